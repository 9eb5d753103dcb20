"""The plan's records-per-base quota: checked before records are created, counted after."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc

from services.shared.clients import translate
from services.shared.errors import ResourceExhausted
from services.shared.runtime import Runtime

log = logging.getLogger("pyat.airtable_gateway")

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

    async def record(self, base_id: str, record_ids: Sequence[str], *, deleted: bool) -> None:
        """Count records in (or out of) the base's usage, once whatever the retries. The
        records are already stored, so a failure here is logged rather than raised."""
        digest = hashlib.sha256(",".join(sorted(record_ids)).encode()).hexdigest()[:32]
        request = tenant_pb2.RecordUsageRequest(
            kind=RECORDS,
            delta=-len(record_ids) if deleted else len(record_ids),
            scope=base_id,
            idempotency_key=f"records:{'deleted' if deleted else 'created'}:{digest}",
        )
        try:
            await self._stub.RecordUsage(request)
        except grpc.aio.AioRpcError as err:
            log.warning("record usage not recorded: %s", translate("tenant", err).message)
