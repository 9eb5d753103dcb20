"""The scenarios: what each calls, with which requests, at which tier and offered load.

Adding one takes a few lines in SCENARIOS: a name, the service it exercises, the gRPC method
or the REST path through Envoy, and a function that builds its calls from the seeded data.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as at
from pyat.auth.v1 import auth_pb2
from pyat.permission.v1 import permission_pb2 as perm
from pyat.permission.v1 import permission_pb2_grpc
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from pyat.workspace.v1 import workspace_pb2, workspace_pb2_grpc

from benchmarks import dataplane
from benchmarks.callers import caller_metadata


@dataclass(frozen=True)
class Tier:
    """A latency target: each percentile must stay under its figure."""

    name: str
    p50_ms: float
    p95_ms: float
    p99_ms: float


FAST = Tier("fast", 5.0, 20.0, 50.0)
AI = Tier("AI", 50.0, 200.0, 500.0)


@dataclass(frozen=True)
class Call:
    """One request as sent: the serialized message (or REST body) and its headers."""

    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    # REST only: the path with its query, when it differs from the scenario's.
    path: str = ""


@dataclass(frozen=True)
class User:
    user_id: str
    tenant_id: str
    email: str
    token: str


@dataclass(frozen=True)
class Env:
    """What scenarios build their calls from."""

    users: list[User]  # registered through the real API before any scenario runs
    grpc_address: str  # the fabric, for scenarios that need to create more data first
    table_records: int  # how many records the data plane's table gets


Transport = Literal["grpc", "rest"]


@dataclass(frozen=True)
class Scenario:
    name: str
    service: str  # the service it exercises, as `pyat serve` names it (for the solo runs)
    transport: Transport  # "grpc" straight to the fabric, or "rest" through Envoy
    path: str  # the gRPC method, or the REST path
    calls: Callable[[Env], list[Call]]  # used in turn, round robin
    tier: Tier = FAST
    rate: float = 500.0  # the offered load (calls/s) at which its target is checked
    http_method: str = "GET"


def bearer(user: User) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {user.token}"),)


def as_caller(user: User) -> tuple[tuple[str, str], ...]:
    """The signed assertion the gateway adds once it has verified a token."""
    return caller_metadata(user.tenant_id, user.user_id)


def for_caller(user: User) -> tuple[tuple[str, str], ...]:
    """The assertion a service passes on when it calls an internal method for the user."""
    return caller_metadata(user.tenant_id, user.user_id, via="bench")


def verify_token(env: Env) -> list[Call]:
    gateway = caller_metadata("", "svc:api-gateway", via="api-gateway")
    return [
        Call(auth_pb2.VerifyTokenRequest(token=u.token).SerializeToString(), gateway)
        for u in env.users
    ]


@dataclass(frozen=True)
class Owned:
    """A user's own workspace (they own it) and a base in it, created through the real API."""

    user: User
    workspace_id: str
    base_id: str


@functools.cache
def owned(address: str, users: tuple[User, ...]) -> tuple[Owned, ...]:
    """Per user, once per run: CreateWorkspace (which grants the caller owner in
    permission-service) and CreateBase in it; then a real Check must find the grant."""
    result = []
    with grpc.insecure_channel(address) as channel:
        workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)
        permissions = permission_pb2_grpc.PermissionServiceStub(channel)
        for u in users:
            request = workspace_pb2.CreateWorkspaceRequest(name=f"Bench {u.email}")
            wsp = workspaces.CreateWorkspace(request, metadata=as_caller(u), timeout=30).workspace
            request_base = workspace_pb2.CreateBaseRequest(workspace_id=wsp.id, name="Bench")
            app = workspaces.CreateBase(request_base, metadata=as_caller(u), timeout=30).base
            mine = Owned(u, wsp.id, app.id)
            # A table no scenario asks about, so no scenario starts with its decision cached.
            probe = check(mine, "tblSetupProbe0001")
            answer = permissions.Check(probe, metadata=for_caller(u), timeout=30)
            if not (answer.allowed and answer.role == perm.ROLE_OWNER):
                raise RuntimeError(f"no owner grant found for {u.user_id} on {wsp.id}: {answer}")
            result.append(mine)
    return tuple(result)


@functools.cache
def on_enterprise_plan(address: str, users: tuple[User, ...]) -> None:
    """Move each user's tenant to the enterprise plan (200 requests/s), once per run, so that
    the edge's tenant rate limit (50/s on the free plan) does not refuse a REST scenario's load
    spread over its users; the limiter still takes a token for every call."""
    with grpc.insecure_channel(address) as channel:
        tenants = tenant_pb2_grpc.TenantServiceStub(channel)
        for u in users:
            tenants.UpdateTenant(
                tenant_pb2.UpdateTenantRequest(plan=tenant_pb2.PLAN_ENTERPRISE),
                metadata=as_caller(u),
                timeout=30,
            )


def rest_get_me(env: Env) -> list[Call]:
    on_enterprise_plan(env.grpc_address, tuple(env.users))
    return [Call(headers=bearer(u)) for u in env.users]


def owned_by(env: Env) -> tuple[Owned, ...]:
    return owned(env.grpc_address, tuple(env.users))


def check(o: Owned, table_id: str) -> perm.CheckRequest:
    """May the caller read this table of their own base? (Yes: owner, from the workspace.)"""
    resource = perm.Resource(workspace_id=o.workspace_id, base_id=o.base_id, table_id=table_id)
    return perm.CheckRequest(action=perm.ACTION_READ, resource=resource)


def table(kind: str, n: int) -> str:
    """A table id (`tbl` and 14 characters) of its own per kind ("w", "c", "b") and n."""
    return f"tbl{kind}{n:013d}"


# Cold Check: every call asks about a table never asked before, so each is a decision-cache miss
# (one database read). The ids are all distinct, and the runner starts each run of a scenario
# where its last run stopped (`Job.first`), so no id comes back until COLD_CALLS calls later:
# by then the in-process LRU (10,000 entries) has evicted it, and even at 5,000/s more than
# DECISION_TTL_S (10 s) has passed, so Redis has expired it too.
COLD_CALLS = 60_000


def check_cold(env: Env) -> list[Call]:
    mine = itertools.cycle(owned_by(env))
    return [
        Call(check(o, table("c", n)).SerializeToString(), for_caller(o.user))
        for n, o in zip(range(COLD_CALLS), mine, strict=False)
    ]


def batch_check(o: Owned) -> bytes:
    """20 checks on 20 tables of the caller's base: always the same 20, so warm after one call."""
    checks = [check(o, table("b", n)) for n in range(20)]
    return perm.BatchCheckRequest(checks=checks).SerializeToString()


def data_table(env: Env) -> dataplane.DataTable:
    """The first user's table of env.table_records records, seeded once per run."""
    u = env.users[0]
    return dataplane.seeded(env.grpc_address, u.tenant_id, u.user_id, env.table_records)


def get_record(env: Env) -> list[Call]:
    table = data_table(env)
    return [
        Call(
            at.GetRecordRequest(
                base_id=table.base_id, table=table.table_id, record_id=record_id
            ).SerializeToString(),
            table.headers,
        )
        for record_id in table.record_ids
    ]


def list_page(env: Env) -> list[Call]:
    table = data_table(env)
    return [Call(dataplane.list_page(table).SerializeToString(), table.headers)]


def rest_list_page(env: Env) -> list[Call]:
    table = data_table(env)
    pat = (("authorization", f"Bearer {table.pat}"),)
    return [Call(headers=pat, path=dataplane.rest_list_path(table))]


# web-bff's grid: per owned base, one table of GRID_RECORDS records, read a page at a time.
GRID_RECORDS = 200
GRID_PAGE = 100


@dataclass(frozen=True)
class GridTable:
    """A table of an owned base, seeded through the API, for the grid and the change feed."""

    owner: Owned
    table_id: str


@functools.cache
def grid_table(address: str, o: Owned) -> GridTable:
    """Once per run per base: schema-service CreateTables as the owner (five fields, as the
    data plane's), then GRID_RECORDS records through CreateRecords, ten at a time."""
    headers = as_caller(o.user)
    with grpc.insecure_channel(address) as channel:
        request = schema_pb2.CreateTablesRequest(
            base_id=o.base_id, tables=[dataplane.table_spec("Grid")]
        )
        schema = schema_pb2_grpc.SchemaServiceStub(channel)
        made = schema.CreateTables(request, metadata=headers, timeout=30).tables[0]
        dataplane.fill(channel, o.base_id, made.id, headers, GRID_RECORDS)
    return GridTable(o, made.id)


def grid_tables(env: Env) -> list[GridTable]:
    return [grid_table(env.grpc_address, o) for o in owned_by(env)]


def rest_get_home(env: Env) -> list[Call]:
    on_enterprise_plan(env.grpc_address, tuple(env.users))
    return [Call(headers=bearer(o.user)) for o in owned_by(env)]


def grid_path(t: GridTable) -> str:
    return f"/v1/web/bases/{t.owner.base_id}/tables/{t.table_id}/grid?pageSize={GRID_PAGE}"


def rest_get_grid(env: Env) -> list[Call]:
    on_enterprise_plan(env.grpc_address, tuple(env.users))
    return [Call(headers=bearer(t.owner.user), path=grid_path(t)) for t in grid_tables(env)]


# Half the enterprise plan's 20 requests/s per base, so the edge's rate limit stays out of the
# way at the stated load (above 20/s it answers 429, as it should).
LIST_RATE = 10.0

# web-bff's screens: a fan-out of several calls each, so a lower stated load than one hop.
WEB_RATE = 200.0

# What workspace-service asks before it creates a base.
QUOTA_REQUEST = tenant_pb2.CheckQuotaRequest(kind=tenant_pb2.QUOTA_KIND_BASES, amount=1)

SCENARIOS: list[Scenario] = [
    Scenario("auth.VerifyToken", "auth", "grpc", "/pyat.auth.v1.AuthService/VerifyToken",
             verify_token),
    # With a bearer token user-service asks auth-service who the caller is: two hops.
    Scenario("user.GetMe", "user", "grpc", "/pyat.user.v1.UserService/GetMe",
             lambda env: [Call(headers=bearer(u)) for u in env.users]),
    # The same call with the identity the gateway has already verified: one hop.
    Scenario("user.GetMe as caller", "user", "grpc", "/pyat.user.v1.UserService/GetMe",
             lambda env: [Call(headers=as_caller(u)) for u in env.users]),
    # GetMe through the edge: the difference to the two above is the edge's cost (Envoy and its
    # transcoder, and api-gateway's checks where Envoy asks for them).
    Scenario("REST GET /v1/users/me", "user", "rest", "/v1/users/me", rest_get_me),
    # Warm: each user asks again and again about one table of their own base (held in the
    # decision cache after its first call): one cache read per call.
    Scenario("permission.Check warm", "permission", "grpc",
             "/pyat.permission.v1.PermissionService/Check",
             lambda env: [Call(check(o, table("w", 0)).SerializeToString(), for_caller(o.user))
                          for o in owned_by(env)]),
    # Cold: a table never asked before on every call (see COLD_CALLS): one database read each.
    Scenario("permission.Check cold", "permission", "grpc",
             "/pyat.permission.v1.PermissionService/Check", check_cold),
    Scenario("permission.BatchCheck 20 warm", "permission", "grpc",
             "/pyat.permission.v1.PermissionService/BatchCheck",
             lambda env: [Call(batch_check(o), for_caller(o.user)) for o in owned_by(env)]),
    Scenario("tenant.CheckQuota", "tenant", "grpc", "/pyat.tenant.v1.TenantService/CheckQuota",
             lambda env: [Call(QUOTA_REQUEST.SerializeToString(), for_caller(u))
                          for u in env.users]),
    # The data plane (AI tier, as ARCHITECTURE.md places airtable-gateway): one table of
    # env.table_records records (100,000 in a full run), seeded through the API.
    Scenario("airtable.GetRecord", "airtable-gateway", "grpc",
             "/pyat.airtable.v1.AirtableGatewayService/GetRecord", get_record, tier=AI,
             rate=200.0),
    Scenario("airtable.ListRecords filtered page", "airtable-gateway", "grpc",
             "/pyat.airtable.v1.AirtableGatewayService/ListRecords", list_page, tier=AI,
             rate=LIST_RATE),
    # The same page through Envoy as pyairtable asks for it, with a personal access token.
    Scenario("REST GET /v0 filtered page", "airtable-gateway", "rest",
             "/v0/{baseId}/{tableId}?filterByFormula=...", rest_list_page, tier=AI,
             rate=LIST_RATE),
    # web-bff's screens through the edge, each user on their own workspace and base: the home
    # screen (the caller, their workspaces and bases, recent activity) and a table's grid (its
    # base, schema, role, change cursor and a first page of 100 of its 200 records).
    Scenario("REST GET /v1/web/home", "web-bff", "rest", "/v1/web/home", rest_get_home,
             rate=WEB_RATE),
    Scenario("REST GET /v1/web/.../grid", "web-bff", "rest",
             "/v1/web/bases/{baseId}/tables/{tableId}/grid", rest_get_grid, rate=WEB_RATE),
]  # fmt: skip
