"""The plan's records-per-base quota, checked before records are created.

tenant-service counts the records from the RecordCreated and RecordDeleted events that commit
with them, so the count follows what committed whatever happens to the request afterwards.
"""

from __future__ import annotations

import grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc

from services.shared.clients import translate
from services.shared.errors import ResourceExhausted
from services.shared.runtime import Runtime

RECORDS = tenant_pb2.QUOTA_KIND_RECORDS_PER_BASE


class RecordQuota:
    def __init__(self, runtime: Runtime) -> None:
        self._stub = tenant_pb2_grpc.TenantServiceStub(runtime.clients.channel("tenant"))

    async def require_room(self, base_id: str, count: int) -> None:
        """RESOURCE_EXHAUSTED unless the base may hold `count` more records."""
        request = tenant_pb2.CheckQuotaRequest(kind=RECORDS, amount=count, scope=base_id)
        try:
            answer = await self._stub.CheckQuota(request)
        except grpc.aio.AioRpcError as err:
            raise translate("tenant", err) from None
        if not answer.allowed:
            raise ResourceExhausted(
                f"the plan allows {answer.limit} records per base and {answer.used} are in use",
                reason="RECORD_QUOTA_EXCEEDED",
            )
