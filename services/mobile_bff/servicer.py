"""MobileBffService (being built)."""

from pyat.mobilebff.v1 import mobile_bff_pb2_grpc

from services.shared.runtime import Runtime


class MobileBffServicer(mobile_bff_pb2_grpc.MobileBffServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
