"""formula-service: Airtable's formula language, evaluated in Python and translated to SQL."""

from pyat.formula.v1 import formula_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "formula",
    formula_pb2.DESCRIPTOR.services_by_name["FormulaService"],
    "services.formula.servicer:FormulaServicer",
    package=__file__,
)
