"""Rate limits: a token bucket per tenant and one per base, as large as the tenant's plan says."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc

from services.api_gateway.flights import Flights
from services.shared.cache import Cache, MemoryCache
from services.shared.clients import Clients
from services.shared.identity import Caller, act_as
from services.shared.ids import looks_like

log = logging.getLogger("pyat.api_gateway")

# Airtable's figures, used when a plan says nothing or tenant-service can't be asked.
DEFAULT_PER_TENANT = 50
DEFAULT_PER_BASE = 5
# How long a plan's limits are kept, and after tenant-service failed, the defaults.
PLAN_TTL_S = 60.0
FALLBACK_TTL_S = 10.0
PLAN_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Limits:
    """Requests per second, which is also each bucket's size: a second's worth at once."""

    per_tenant: int
    per_base: int


DEFAULT_LIMITS = Limits(DEFAULT_PER_TENANT, DEFAULT_PER_BASE)


class Plans:
    """Each tenant's limits from tenant-service, cached, with one call per tenant in flight."""

    def __init__(self, clients: Clients) -> None:
        self._tenants = tenant_pb2_grpc.TenantServiceStub(clients.channel("tenant"))
        self._cached = MemoryCache(max_entries=100_000)
        self._flights: Flights[Limits] = Flights()

    async def limits(self, tenant_id: str, user_id: str) -> Limits:
        cached = await self._cached.get(tenant_id)
        if cached is not None:
            per_tenant, per_base = cached.split()
            return Limits(int(per_tenant), int(per_base))
        return await self._flights.share(tenant_id, lambda: self._fetch(tenant_id, user_id))

    async def _fetch(self, tenant_id: str, user_id: str) -> Limits:
        # GetMyTenant answers about the caller's tenant, so ask as the user making the request.
        act_as(Caller(user_id=user_id, tenant_id=tenant_id, via="api-gateway"))
        try:
            reply = await self._tenants.GetMyTenant(
                tenant_pb2.GetMyTenantRequest(), timeout=PLAN_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as err:
            log.warning(
                "tenant-service could not give the plan; using the default rate limits",
                extra={"tenant_id": tenant_id, "code": err.code().name, "for_s": FALLBACK_TTL_S},
            )
            limits, ttl = DEFAULT_LIMITS, FALLBACK_TTL_S
        else:
            tenant = reply.tenant
            limits = Limits(
                _positive(tenant.requests_per_second, DEFAULT_PER_TENANT),
                _positive(tenant.requests_per_second_per_base, DEFAULT_PER_BASE),
            )
            ttl = PLAN_TTL_S
        await self._cached.set(tenant_id, f"{limits.per_tenant} {limits.per_base}".encode(), ttl)
        return limits


def _positive(value: int, default: int) -> int:
    return value if value > 0 else default


@dataclass(frozen=True)
class Verdict:
    """A request's outcome: the bucket that refused it ("tenant", "base"; "" for none), its
    rate, and how long to wait for a token (0.0 when one was taken)."""

    bucket: str = ""
    limit: int = 0
    wait_s: float = 0.0


class RateLimiter:
    def __init__(self, cache: Cache, plans: Plans) -> None:
        self.cache = cache
        self.plans = plans

    async def take(self, tenant_id: str, user_id: str, base_id: str | None) -> Verdict:
        """Take one token for a request: from its base's bucket first, then its tenant's, so
        hammering one base does not use up the tenant's allowance for its other bases. The
        first refusal is the verdict; a request that takes every token gets an empty one."""
        if not looks_like(tenant_id, "ten") or not looks_like(user_id, "usr"):
            return Verdict()
        limits = await self.plans.limits(tenant_id, user_id)
        buckets = [("tenant", f"ratelimit:tenant:{tenant_id}", limits.per_tenant)]
        if base_id is not None and looks_like(base_id, "app"):
            # Keyed by tenant too: naming another tenant's base can't drain its bucket.
            buckets.insert(0, ("base", f"ratelimit:base:{tenant_id}:{base_id}", limits.per_base))
        for bucket, key, rate in buckets:
            wait = await self.cache.take_token(key, rate_per_s=rate, burst=rate)
            if wait > 0:
                return Verdict(bucket=bucket, limit=rate, wait_s=wait)
        return Verdict()
