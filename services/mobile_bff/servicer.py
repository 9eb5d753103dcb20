"""mobile-bff's gRPC surface: the caller, handed over to the domain; the answer wrapped."""

from __future__ import annotations

from pyat.mobilebff.v1 import mobile_bff_pb2 as pb
from pyat.mobilebff.v1 import mobile_bff_pb2_grpc

from services.mobile_bff import devices
from services.mobile_bff.bases import Bases
from services.mobile_bff.records import Records
from services.mobile_bff.storage import Device
from services.shared import identity
from services.shared.errors import PermissionDenied
from services.shared.protos import timestamp
from services.shared.runtime import Context, Runtime


def device_message(device: Device) -> pb.Device:
    return pb.Device(
        id=device.id,
        platform=devices.platform_of(device),
        name=device.name,
        registered_at=timestamp(device.registered_at),
        last_seen_at=timestamp(device.last_seen_at),
    )


class MobileBffServicer(mobile_bff_pb2_grpc.MobileBffServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.bases = Bases(runtime)
        self.records = Records(runtime)

    async def ListBases(
        self, request: pb.ListBasesRequest, context: Context
    ) -> pb.ListBasesResponse:
        return pb.ListBasesResponse(bases=await self.bases.of_caller())

    async def ListRecords(
        self, request: pb.ListRecordsRequest, context: Context
    ) -> pb.ListRecordsResponse:
        return await self.records.list_page(identity.caller(), request)

    async def SyncTable(
        self, request: pb.SyncTableRequest, context: Context
    ) -> pb.SyncTableResponse:
        return await self.records.sync(identity.caller(), request)

    async def RegisterDevice(
        self, request: pb.RegisterDeviceRequest, context: Context
    ) -> pb.RegisterDeviceResponse:
        caller = identity.caller()
        wanted = devices.validated(request)
        device = await devices.register(self.runtime.db, caller.tenant_id, caller.user_id, wanted)
        return pb.RegisterDeviceResponse(device=device_message(device))

    async def ListDevices(
        self, request: pb.ListDevicesRequest, context: Context
    ) -> pb.ListDevicesResponse:
        caller = identity.caller()
        mine = await devices.of_user(self.runtime.db, caller.tenant_id, caller.user_id)
        return pb.ListDevicesResponse(devices=[device_message(device) for device in mine])

    async def UnregisterDevice(
        self, request: pb.UnregisterDeviceRequest, context: Context
    ) -> pb.UnregisterDeviceResponse:
        caller = identity.caller()
        await devices.unregister(
            self.runtime.db, caller.tenant_id, caller.user_id, request.device_id
        )
        return pb.UnregisterDeviceResponse()

    async def ListPushTokens(
        self, request: pb.ListPushTokensRequest, context: Context
    ) -> pb.ListPushTokensResponse:
        caller = identity.caller()
        # Admission lets in any call a service relays; only the platform acting as itself
        # (notification-service) may read a user's tokens, and only in its own tenant if it
        # acts for one.
        if caller.kind != identity.SERVICE:
            raise PermissionDenied("push tokens are for the platform's services only")
        if caller.tenant_id and caller.tenant_id != request.tenant_id:
            raise PermissionDenied("this service acts for another tenant")
        found = await devices.push_tokens(self.runtime.db, request.tenant_id, request.user_id)
        return pb.ListPushTokensResponse(
            tokens=[
                pb.PushToken(
                    device_id=device.id,
                    platform=devices.platform_of(device),
                    push_token=device.push_token,
                )
                for device in found
            ]
        )
