"""WebBffService (being built)."""

from pyat.webbff.v1 import web_bff_pb2_grpc

from services.shared.runtime import Runtime


class WebBffServicer(web_bff_pb2_grpc.WebBffServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
