"""The tenant's base quota: asked before a base is created, and kept up to date after."""

from __future__ import annotations

import logging

import grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc

from services.shared.clients import translate
from services.shared.errors import ResourceExhausted
from services.shared.runtime import Runtime

log = logging.getLogger("pyat.workspace")

SERVICE = "tenant-service"
BASES = tenant_pb2.QUOTA_KIND_BASES


def usage_key(base_id: str, *, deleted: bool) -> str:
    """The idempotency key of one base's usage change, the same from the RPC and the event."""
    return f"{base_id}:deleted" if deleted else base_id


class BaseUsage:
    def __init__(self, runtime: Runtime) -> None:
        self._stub = tenant_pb2_grpc.TenantServiceStub(runtime.clients.channel("tenant"))

    async def require_room(self) -> None:
        """RESOURCE_EXHAUSTED unless the caller's tenant may have one more base."""
        try:
            answer = await self._stub.CheckQuota(tenant_pb2.CheckQuotaRequest(kind=BASES, amount=1))
        except grpc.aio.AioRpcError as err:
            raise translate(SERVICE, err) from None
        if not answer.allowed:
            raise ResourceExhausted(
                f"the plan allows {answer.limit} bases and {answer.used} are in use",
                reason="BASE_QUOTA_EXCEEDED",
            )

    async def record(self, base_id: str, *, deleted: bool, strict: bool = False) -> None:
        """Count a base in (or out of) the tenant's usage, once per base whatever the retries.

        The RPC records right away so the next quota check sees it; the BaseChanged event
        records again (`strict`, retried until it lands), so a failure here is only logged.
        """
        request = tenant_pb2.RecordUsageRequest(
            kind=BASES,
            delta=-1 if deleted else 1,
            idempotency_key=usage_key(base_id, deleted=deleted),
        )
        try:
            await self._stub.RecordUsage(request)
        except grpc.aio.AioRpcError as err:
            error = translate(SERVICE, err)
            if strict:
                raise error from None
            log.warning("base usage not recorded yet (the event will): %s", error.message)
