"""The plans, in one table: each sets a tenant's quotas and the request rates the gateway allows.

Where Airtable publishes a figure we use it: records per base (1,000 / 50,000 / 125,000 /
500,000), API calls per month (1,000 / 100,000 / unlimited / unlimited), attachment space
(1 / 20 / 100 / 1,000 GB, per base at Airtable, per tenant here, 1 GB = 2**30 bytes), five
editors on Free, and 50 requests/s per tenant and 5 per base. The rest is our choice: seats on
paid plans (Airtable bills per seat instead of capping them), bases (Airtable has no cap; a
self-hosted install still wants one), LLM tokens (Airtable counts AI credits, not tokens), and
doubled request rates on Business and Enterprise, which pay for their own hardware here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyat.tenant.v1 import tenant_pb2

UNLIMITED = -1
GB = 1 << 30


@dataclass(frozen=True)
class PlanSpec:
    name: str
    seats: int
    bases: int
    records_per_base: int
    api_calls_per_month: int
    storage_bytes: int
    llm_tokens_per_month: int
    requests_per_second: int
    requests_per_second_per_base: int

    def limit(self, kind: tenant_pb2.QuotaKind) -> int:
        """The limit on `kind`, or UNLIMITED (-1)."""
        return {
            tenant_pb2.QUOTA_KIND_SEATS: self.seats,
            tenant_pb2.QUOTA_KIND_BASES: self.bases,
            tenant_pb2.QUOTA_KIND_RECORDS_PER_BASE: self.records_per_base,
            tenant_pb2.QUOTA_KIND_API_CALLS_PER_MONTH: self.api_calls_per_month,
            tenant_pb2.QUOTA_KIND_STORAGE_BYTES: self.storage_bytes,
            tenant_pb2.QUOTA_KIND_LLM_TOKENS_PER_MONTH: self.llm_tokens_per_month,
        }[kind]


# fmt: off
PLANS: dict[tenant_pb2.Plan, PlanSpec] = {
    tenant_pb2.PLAN_FREE: PlanSpec(
        "free", seats=5, bases=10, records_per_base=1_000,
        api_calls_per_month=1_000, storage_bytes=1 * GB, llm_tokens_per_month=100_000,
        requests_per_second=50, requests_per_second_per_base=5,
    ),
    tenant_pb2.PLAN_TEAM: PlanSpec(
        "team", seats=50, bases=100, records_per_base=50_000,
        api_calls_per_month=100_000, storage_bytes=20 * GB, llm_tokens_per_month=1_000_000,
        requests_per_second=50, requests_per_second_per_base=5,
    ),
    tenant_pb2.PLAN_BUSINESS: PlanSpec(
        "business", seats=500, bases=1_000, records_per_base=125_000,
        api_calls_per_month=UNLIMITED, storage_bytes=100 * GB, llm_tokens_per_month=10_000_000,
        requests_per_second=100, requests_per_second_per_base=10,
    ),
    tenant_pb2.PLAN_ENTERPRISE: PlanSpec(
        "enterprise", seats=UNLIMITED, bases=UNLIMITED, records_per_base=500_000,
        api_calls_per_month=UNLIMITED, storage_bytes=1_000 * GB, llm_tokens_per_month=100_000_000,
        requests_per_second=200, requests_per_second_per_base=20,
    ),
}
# fmt: on

DEFAULT_PLAN = tenant_pb2.PLAN_FREE
_BY_NAME = {spec.name: plan for plan, spec in PLANS.items()}


def plan_named(name: str) -> tenant_pb2.Plan:
    """The plan stored as `name` (see Tenant.plan)."""
    return _BY_NAME[name]


def fits(limit: int, total: int) -> bool:
    """Whether a total use of `total` stays within `limit`."""
    return limit == UNLIMITED or total <= limit
