"""formula-service: Airtable's formula language, evaluated in Python and translated to SQL."""

import grpc
from pyat.formula.v1 import formula_pb2, formula_pb2_grpc

from services.shared.runtime import Runtime, ServiceSpec


def _add_to_server(server: grpc.aio.Server, runtime: Runtime) -> None:
    from services.formula.servicer import FormulaServicer

    formula_pb2_grpc.add_FormulaServiceServicer_to_server(FormulaServicer(runtime), server)


SERVICE = ServiceSpec(
    name="formula",
    grpc_services=(formula_pb2.DESCRIPTOR.services_by_name["FormulaService"].full_name,),
    add_to_server=_add_to_server,
)
