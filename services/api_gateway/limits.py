"""Rate limits: a token bucket per tenant and one per base, as large as the tenant's plan says."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc

from services.api_gateway.flights import Flights
from services.shared.cache import Bucket, Cache, MemoryCache
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
# The longest a request is held for its base's next token: 30 clients at once on a base of
# the default 5 requests/s, each waiting its turn. Envoy waits longer than this for a check
# (services/edge/config.py AUTHZ_TIMEOUT).
MAX_HOLD_S = 6.0


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
    """A request's outcome. Let through: `hold_s`, how long it must wait for the base token
    it reserved (0.0: none). Refused: the bucket that refused it ("tenant" or "base"), its
    rate, and `retry_after_s`, when a request could get (or reserve) a token again."""

    bucket: str = ""
    limit: int = 0
    hold_s: float = 0.0
    retry_after_s: float = 0.0

    @property
    def refused(self) -> bool:
        return bool(self.bucket)


class RateLimiter:
    """A bucket per tenant and one per base, both taken in one cache round trip.

    The base bucket queues: a request to a base whose bucket is empty reserves the next token
    and is held until it is due, up to `max_hold_s`, so a burst to one base is spread out at
    the plan's rate instead of refused (clients with standard retries would give up). The
    tenant bucket does not queue: it is the tenant's whole allowance, and a tenant over it is
    told to slow down at once.
    """

    def __init__(self, cache: Cache, plans: Plans, *, max_hold_s: float = MAX_HOLD_S) -> None:
        self.cache = cache
        self.plans = plans
        self.max_hold_s = max_hold_s

    async def take(self, tenant_id: str, user_id: str, base_id: str | None) -> Verdict:
        """Take (or reserve) one token from the request's base bucket and its tenant's, or
        none: a refusal takes nothing, so hammering one base does not use up the tenant's
        allowance for its other bases."""
        if not looks_like(tenant_id, "ten") or not looks_like(user_id, "usr"):
            return Verdict()
        limits = await self.plans.limits(tenant_id, user_id)
        # Hash-tagged by tenant: one tenant's buckets live on one Redis Cluster slot, so the
        # script that takes both may run there. Keyed by tenant too, so that naming another
        # tenant's base can't drain its bucket.
        buckets = [("tenant", Bucket(f"ratelimit:{{{tenant_id}}}:tenant", limits.per_tenant,
                                     limits.per_tenant))]  # fmt: skip
        if base_id is not None and looks_like(base_id, "app"):
            base = Bucket(
                f"ratelimit:{{{tenant_id}}}:base:{base_id}",
                limits.per_base,
                limits.per_base,
                max_wait_s=self.max_hold_s,
            )
            buckets.insert(0, ("base", base))
        taken = await self.cache.take_tokens([bucket for _, bucket in buckets])
        if taken.refused_by is None:
            return Verdict(hold_s=taken.wait_s)
        name, refusing = buckets[taken.refused_by]
        return Verdict(bucket=name, limit=int(refusing.rate_per_s), retry_after_s=taken.wait_s)
