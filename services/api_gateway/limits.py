"""Rate limits: a token bucket per tenant and one per base, as large as the tenant's plan says."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc

from services.api_gateway.flights import Flights
from services.shared.cache import Cache, MemoryCache
from services.shared.clients import Clients
from services.shared.edge import BASE_KEY, TENANT_KEY, USER_KEY
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
        act_as(Caller(user_id=user_id, tenant_id=tenant_id))
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
    """One descriptor's outcome: which bucket ("tenant", "base"; "" for none), its rate, and
    how long to wait for a token (0.0 when one was taken)."""

    bucket: str = ""
    limit: int = 0
    wait_s: float = 0.0


class RateLimiter:
    def __init__(self, cache: Cache, plans: Plans) -> None:
        self.cache = cache
        self.plans = plans

    async def check(self, descriptors: Sequence[Mapping[str, str]]) -> list[Verdict]:
        """A verdict per descriptor: {tenant, user} takes from the tenant's bucket, {tenant,
        base} from that base's. Anything else (not ours, or not ids) is not limited.

        Base buckets go first and a refusal stops the rest, so hammering one base does not
        use up the tenant's allowance for its other bases.
        """
        tenant_id = next((d[TENANT_KEY] for d in descriptors if TENANT_KEY in d), "")
        user_id = next((d[USER_KEY] for d in descriptors if USER_KEY in d), "")
        verdicts = [Verdict()] * len(descriptors)
        if not looks_like(tenant_id, "ten") or not looks_like(user_id, "usr"):
            return verdicts
        limits = await self.plans.limits(tenant_id, user_id)
        buckets: list[tuple[int, str, str, int]] = []
        for index, entries in enumerate(descriptors):
            if entries.get(TENANT_KEY) != tenant_id:
                continue
            if set(entries) == {TENANT_KEY, BASE_KEY} and looks_like(entries[BASE_KEY], "app"):
                # Keyed by tenant too: naming another tenant's base can't drain its bucket.
                key = f"ratelimit:base:{tenant_id}:{entries[BASE_KEY]}"
                buckets.insert(0, (index, "base", key, limits.per_base))
            elif set(entries) == {TENANT_KEY, USER_KEY}:
                key = f"ratelimit:tenant:{tenant_id}"
                buckets.append((index, "tenant", key, limits.per_tenant))
        for index, bucket, key, rate in buckets:
            wait = await self.cache.take_token(key, rate_per_s=rate, burst=rate)
            verdicts[index] = Verdict(bucket=bucket, limit=rate, wait_s=wait)
            if wait > 0:
                break
        return verdicts
