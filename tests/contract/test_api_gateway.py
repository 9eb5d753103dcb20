"""api-gateway over real gRPC, called the way Envoy calls it: Check with real auth-service
tokens and the transcoder's headers, and ShouldRateLimit with the edge's descriptors."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Sequence

import grpc
import pytest
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc
from pyat.tenant.v1 import tenant_pb2, tenant_pb2_grpc

from services import api_gateway
from services.api_gateway.routes import (
    RECORDS_READ,
    RECORDS_WRITE,
    SCHEMA_READ,
    SCHEMA_WRITE,
    WEBHOOKS,
    match,
)
from services.registry import SERVICES
from services.shared.headers import (
    BASE_HEADER,
    BASE_KEY,
    ORIGINAL_METHOD_HEADER,
    ORIGINAL_PATH_HEADER,
    RATE_LIMIT_DOMAIN,
    TENANT_KEY,
    USER_KEY,
)
from services.shared.identity import SCOPES_HEADER, TENANT_HEADER, USER_HEADER
from services.shared.ids import new_id
from tests.contract.test_auth import register
from tests.fixtures.fabric import StartHost, free_port

BASE_A, BASE_B = new_id("app"), new_id("app")
ALL_SCOPES = (RECORDS_READ, RECORDS_WRITE, SCHEMA_READ, SCHEMA_WRITE, WEBHOOKS)
OK = rls_pb2.RateLimitResponse.OK
OVER = rls_pb2.RateLimitResponse.OVER_LIMIT


# The route table, on its own.


@pytest.mark.parametrize(
    ("method", "path", "scope", "base"),
    [
        ("GET", "/v0/meta/whoami", None, None),
        ("GET", "/v0/meta/bases", SCHEMA_READ, None),
        ("GET", "/v0/meta/bases?offset=itr1", SCHEMA_READ, None),
        ("GET", f"/v0/meta/bases/{BASE_A}/tables", SCHEMA_READ, BASE_A),
        ("POST", "/v0/meta/bases", SCHEMA_WRITE, None),
        ("POST", f"/v0/meta/bases/{BASE_A}/tables", SCHEMA_WRITE, BASE_A),
        ("PATCH", f"/v0/meta/bases/{BASE_A}/tables/tblX/fields/fldY", SCHEMA_WRITE, BASE_A),
        ("GET", f"/v0/bases/{BASE_A}/webhooks", WEBHOOKS, BASE_A),
        ("POST", f"/v0/bases/{BASE_A}/webhooks", WEBHOOKS, BASE_A),
        ("GET", f"/v0/bases/{BASE_A}/webhooks/achX/payloads", WEBHOOKS, BASE_A),
        ("DELETE", f"/v0/bases/{BASE_A}/webhooks/achX", WEBHOOKS, BASE_A),
        ("GET", f"/v0/{BASE_A}/Tasks", RECORDS_READ, BASE_A),
        ("GET", f"/v0/{BASE_A}/Tasks/recX?cellFormat=json", RECORDS_READ, BASE_A),
        ("POST", f"/v0/{BASE_A}/Tasks/listRecords", RECORDS_READ, BASE_A),
        ("POST", f"/v0/{BASE_A}/Tasks", RECORDS_WRITE, BASE_A),
        ("PATCH", f"/v0/{BASE_A}/Tasks", RECORDS_WRITE, BASE_A),
        ("PUT", f"/v0/{BASE_A}/Tasks/recX", RECORDS_WRITE, BASE_A),
        ("DELETE", f"/v0/{BASE_A}/Tasks/recX", RECORDS_WRITE, BASE_A),
        # A table named listRecords is read with GET and written with PATCH like any other.
        ("PATCH", f"/v0/{BASE_A}/listRecords", RECORDS_WRITE, BASE_A),
        # Percent-encoding does not hide a base from its restriction.
        ("GET", f"/v0/{BASE_A[:3]}%{ord(BASE_A[3]):02X}{BASE_A[4:]}/Tasks", RECORDS_READ, BASE_A),
    ],
)
def test_each_rest_route_needs_its_scope(
    method: str, path: str, scope: str | None, base: str | None
) -> None:
    found = match(method, path)
    assert found is not None
    assert (found.route.scope, found.base_id) == (scope, base)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/users/me"),
        ("POST", "/v1/auth/tokens"),
        ("GET", "/v0/meta"),
        ("GET", "/v0/meta/bases/notabase/tables"),
        ("GET", "/v0/nobase/Tasks"),
        ("GET", f"/v0/bases/{BASE_A}"),
        ("POST", "/v0/meta/whoami"),
        ("HEAD", f"/v0/{BASE_A}/Tasks"),
        ("GET", "/v2/anything"),
        ("GET", "/"),
    ],
)
def test_routes_outside_the_table_fit_no_route(method: str, path: str) -> None:
    assert match(method, path) is None


# Check, as Envoy asks it.


@pytest.fixture
def authz(channel: grpc.aio.Channel) -> external_auth_pb2_grpc.AuthorizationStub:
    return external_auth_pb2_grpc.AuthorizationStub(channel)


@pytest.fixture
def auth(channel: grpc.aio.Channel) -> auth_pb2_grpc.AuthServiceStub:
    return auth_pb2_grpc.AuthServiceStub(channel)


def check_request(
    authorization: str | None,
    method: str = "GET",
    path: str | None = "/v0/meta/whoami",
    *,
    transcoded: bool = True,
) -> external_auth_pb2.CheckRequest:
    """What Envoy sends: after the transcoder made a REST request gRPC, or (path None) for a
    native gRPC call, or (transcoded False) for REST that no method serves."""
    request = external_auth_pb2.CheckRequest()
    http = request.attributes.request.http
    if authorization is not None:
        http.headers["authorization"] = authorization
    if path is not None and not transcoded:
        http.method, http.path = method, path
        http.headers["content-type"] = "application/json"
        return request
    http.method, http.path = "POST", "/pyat.user.v1.UserService/WhoAmI"
    http.headers["content-type"] = "application/grpc"
    if path is not None:
        http.headers[ORIGINAL_PATH_HEADER] = path
        http.headers[ORIGINAL_METHOD_HEADER] = method
    return request


def allowed_headers(response: external_auth_pb2.CheckResponse) -> dict[str, str]:
    assert response.status.code == 0, response.denied_response.body
    return {h.header.key: h.header.value for h in response.ok_response.headers}


def refusal(response: external_auth_pb2.CheckResponse, http_status: int) -> dict[str, str]:
    assert response.WhichOneof("http_response") == "denied_response"
    assert response.denied_response.status.code == http_status
    error: dict[str, str] = json.loads(response.denied_response.body)["error"]
    assert set(error) == {"type", "message"}
    return error


async def personal_token(
    auth: auth_pb2_grpc.AuthServiceStub,
    session: auth_pb2.RegisterResponse,
    scopes: Sequence[str],
    base_ids: Sequence[str] = (),
) -> str:
    created = await auth.CreatePersonalAccessToken(
        auth_pb2.CreatePersonalAccessTokenRequest(name="ci", scopes=scopes, base_ids=base_ids),
        metadata=(("authorization", f"Bearer {session.access_token}"),),
    )
    token: str = created.token
    return token


async def test_a_session_token_passes_with_its_identity_and_no_scopes(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: auth_pb2_grpc.AuthServiceStub
) -> None:
    session = await register(auth)
    bearer = f"Bearer {session.access_token}"
    for method, path in [("GET", "/v1/users/me"), ("PATCH", "/v1/users/me"), ("GET", None)]:
        headers = allowed_headers(await authz.Check(check_request(bearer, method, path)))
        assert headers == {
            TENANT_HEADER: session.user.tenant_id,
            USER_HEADER: session.user.id,
        }
    on_base = allowed_headers(await authz.Check(check_request(bearer, "GET", f"/v0/{BASE_A}/T")))
    assert on_base[BASE_HEADER] == BASE_A
    assert SCOPES_HEADER not in on_base


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz"])
async def test_no_bearer_token_is_401_authentication_required(
    authz: external_auth_pb2_grpc.AuthorizationStub, authorization: str | None
) -> None:
    response = await authz.Check(check_request(authorization, "GET", "/v1/users/me"))
    assert response.status.code == grpc.StatusCode.UNAUTHENTICATED.value[0]
    assert refusal(response, 401)["type"] == "AUTHENTICATION_REQUIRED"


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
        "pat" + "x" * 14 + "." + "0" * 64,
        "x" * 5000,
        "\u00e9t\u00e9",
    ],
    ids=["garbage", "jwt-shaped", "pat-shaped", "huge", "non-ascii"],
)
async def test_a_bad_token_is_401_unauthorized(
    authz: external_auth_pb2_grpc.AuthorizationStub, token: str
) -> None:
    response = await authz.Check(check_request(f"Bearer {token}", "GET", "/v1/users/me"))
    error = refusal(response, 401)
    assert error["type"] == "UNAUTHORIZED"
    assert token[:20] not in error["message"] or len(token) < 10


async def test_a_native_grpc_caller_gets_a_plain_message(
    authz: external_auth_pb2_grpc.AuthorizationStub,
) -> None:
    response = await authz.Check(check_request(None, path=None))
    assert response.denied_response.status.code == 401
    assert response.denied_response.body.startswith("Authentication required")


async def test_a_pat_is_held_to_its_scopes(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: auth_pb2_grpc.AuthServiceStub
) -> None:
    session = await register(auth)
    bearer = f"Bearer {await personal_token(auth, session, [RECORDS_READ])}"

    async def decide(method: str, path: str | None) -> external_auth_pb2.CheckResponse:
        response: external_auth_pb2.CheckResponse = await authz.Check(
            check_request(bearer, method, path)
        )
        return response

    for method, path in [
        ("GET", "/v0/meta/whoami"),
        ("GET", f"/v0/{BASE_A}/Tasks"),
        ("POST", f"/v0/{BASE_A}/Tasks/listRecords"),
    ]:
        headers = allowed_headers(await decide(method, path))
        assert headers[USER_HEADER] == session.user.id
        assert headers[SCOPES_HEADER] == RECORDS_READ
    # REST that no method serves yet is judged the same way, by the request's own path.
    untranscoded = check_request(bearer, "POST", f"/v0/{BASE_A}/Tasks", transcoded=False)
    assert RECORDS_WRITE in refusal(await authz.Check(untranscoded), 403)["message"]
    untranscoded = check_request(bearer, "GET", f"/v0/{BASE_A}/Tasks", transcoded=False)
    assert allowed_headers(await authz.Check(untranscoded))[BASE_HEADER] == BASE_A
    for method, path, why in [
        ("POST", f"/v0/{BASE_A}/Tasks", RECORDS_WRITE),
        ("DELETE", f"/v0/{BASE_A}/Tasks/recX", RECORDS_WRITE),
        ("GET", "/v0/meta/bases", SCHEMA_READ),
        ("POST", f"/v0/meta/bases/{BASE_A}/tables", SCHEMA_WRITE),
        ("GET", f"/v0/bases/{BASE_A}/webhooks", WEBHOOKS),
        ("GET", "/v1/users/me", "account routes"),
        ("POST", "/v1/auth/tokens", "account routes"),
        ("GET", "/v0/somewhere/else", "this route"),
    ]:
        response = await decide(method, path)
        assert response.status.code == grpc.StatusCode.PERMISSION_DENIED.value[0]
        error = refusal(response, 403)
        assert error["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
        assert why in error["message"], (method, path)
    # Over native gRPC there is no REST route to judge a PAT by, so it gets nowhere.
    native = await decide("GET", None)
    assert native.denied_response.status.code == 403
    assert "REST API" in native.denied_response.body


async def test_a_pat_with_every_scope_passes_every_route(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: auth_pb2_grpc.AuthServiceStub
) -> None:
    session = await register(auth)
    bearer = f"Bearer {await personal_token(auth, session, ALL_SCOPES)}"
    for method, path in [
        ("GET", "/v0/meta/bases"),
        ("POST", "/v0/meta/bases"),
        ("DELETE", f"/v0/bases/{BASE_A}/webhooks/achX"),
        ("PATCH", f"/v0/{BASE_A}/Tasks"),
    ]:
        headers = allowed_headers(await authz.Check(check_request(bearer, method, path)))
        assert sorted(headers[SCOPES_HEADER].split()) == sorted(ALL_SCOPES)
    # Still not an account key.
    refusal(await authz.Check(check_request(bearer, "GET", "/v1/users/me")), 403)


async def test_a_pat_limited_to_some_bases_is_refused_on_the_others(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: auth_pb2_grpc.AuthServiceStub
) -> None:
    session = await register(auth)
    scopes = [RECORDS_READ, SCHEMA_READ, WEBHOOKS]
    bearer = f"Bearer {await personal_token(auth, session, scopes, [BASE_A])}"
    for path in [f"/v0/{BASE_A}/Tasks", f"/v0/meta/bases/{BASE_A}/tables", "/v0/meta/bases"]:
        allowed_headers(await authz.Check(check_request(bearer, "GET", path)))
    for path in [
        f"/v0/{BASE_B}/Tasks",
        f"/v0/meta/bases/{BASE_B}/tables",
        f"/v0/bases/{BASE_B}/webhooks",
    ]:
        error = refusal(await authz.Check(check_request(bearer, "GET", path)), 403)
        assert "base" in error["message"]


async def test_a_revoked_pat_is_refused_within_a_second(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: auth_pb2_grpc.AuthServiceStub
) -> None:
    session = await register(auth)
    created = await auth.CreatePersonalAccessToken(
        auth_pb2.CreatePersonalAccessTokenRequest(name="soon gone", scopes=[RECORDS_READ]),
        metadata=(("authorization", f"Bearer {session.access_token}"),),
    )
    request = check_request(f"Bearer {created.token}", "GET", f"/v0/{BASE_A}/Tasks")
    allowed_headers(await authz.Check(request))
    await auth.RevokePersonalAccessToken(
        auth_pb2.RevokePersonalAccessTokenRequest(token_id=created.personal_access_token.id),
        metadata=(("authorization", f"Bearer {session.access_token}"),),
    )
    revoked_at = time.monotonic()
    # Checks may be allowed for up to a second; one sent after that (however long it takes to
    # be answered on a loaded machine) must be refused.
    while time.monotonic() - revoked_at < 1.0:
        if (await authz.Check(request)).status.code != 0:
            break
        await asyncio.sleep(0.05)
    refusal(await authz.Check(request), 401)


# ShouldRateLimit, as the edge's descriptors ask it.


@pytest.fixture
def rls(channel: grpc.aio.Channel) -> rls_pb2_grpc.RateLimitServiceStub:
    return rls_pb2_grpc.RateLimitServiceStub(channel)


def limit_request(
    tenant_id: str, user_id: str, base_id: str | None = None
) -> rls_pb2.RateLimitRequest:
    """What the edge sends: the tenant's descriptor, and the base's on a base route."""
    request = rls_pb2.RateLimitRequest(domain=RATE_LIMIT_DOMAIN)
    tenant = request.descriptors.add()
    for key, value in ((TENANT_KEY, tenant_id), (USER_KEY, user_id)):
        tenant.entries.add(key=key, value=value)
    if base_id is not None:
        base = request.descriptors.add()
        for key, value in ((TENANT_KEY, tenant_id), (BASE_KEY, base_id)):
            base.entries.add(key=key, value=value)
    return request


async def burst(
    rls: rls_pb2_grpc.RateLimitServiceStub, request: rls_pb2.RateLimitRequest, count: int
) -> list[rls_pb2.RateLimitResponse]:
    return list(await asyncio.gather(*(rls.ShouldRateLimit(request) for _ in range(count))))


async def timed_burst(
    rls: rls_pb2_grpc.RateLimitServiceStub, request: rls_pb2.RateLimitRequest, count: int
) -> tuple[list[rls_pb2.RateLimitResponse], float]:
    """A burst's answers, and how many seconds it took to answer them all."""
    started = time.monotonic()
    answers = await burst(rls, request, count)
    return answers, time.monotonic() - started


def codes(answers: list[rls_pb2.RateLimitResponse]) -> tuple[int, int]:
    """How many were let through and how many refused."""
    return (
        sum(a.overall_code == OK for a in answers),
        sum(a.overall_code == OVER for a in answers),
    )


def most_let_through(rate: int, seconds: float) -> int:
    """The most a new bucket of `rate` a second (and as many at once) lets through in
    `seconds`: it refills while a burst is being answered, for longer on a loaded machine."""
    return int(rate + rate * seconds)


async def first_refusal(
    rls: rls_pb2_grpc.RateLimitServiceStub,
    request: rls_pb2.RateLimitRequest,
    answers: list[rls_pb2.RateLimitResponse],
) -> rls_pb2.RateLimitResponse:
    """A refusal from `answers`, else from more bursts: a burst answered more slowly than its
    bucket refills (a loaded machine) may refuse nothing."""
    for _ in range(5):
        over = next((a for a in answers if a.overall_code == OVER), None)
        if over is not None:
            return over
        answers = await burst(rls, request, 200)
    pytest.fail("five bursts over the limit, and not one request was refused")


async def test_a_tenant_gets_50_a_second_then_429_with_retry_after(
    rls: rls_pb2_grpc.RateLimitServiceStub,
) -> None:
    request = limit_request(new_id("ten"), new_id("usr"))
    answers, seconds = await timed_burst(rls, request, 100)
    let_through, refused = codes(answers)
    assert 50 <= let_through <= most_let_through(50, seconds)
    assert refused == 100 - let_through
    assert all(a.statuses[0].current_limit.requests_per_unit == 50 for a in answers), (
        "every answer names the tenant's limit"
    )
    over = await first_refusal(rls, request, answers)
    assert {(h.key, h.value) for h in over.response_headers_to_add} == {("retry-after", "1")}
    error = json.loads(over.raw_body)["error"]
    assert error["type"] == "RATE_LIMIT_REACHED"
    assert "50 requests per second per tenant" in error["message"]
    # A token comes back every 1/50 s.
    assert 0 < over.statuses[0].duration_until_reset.ToTimedelta().total_seconds() <= 0.02
    await asyncio.sleep(0.1)
    assert (await rls.ShouldRateLimit(request)).overall_code == OK


async def test_a_base_gets_5_a_second_without_using_up_the_tenant(
    rls: rls_pb2_grpc.RateLimitServiceStub,
) -> None:
    tenant_id, user_id = new_id("ten"), new_id("usr")
    on_a = limit_request(tenant_id, user_id, BASE_A)
    answers, seconds = await timed_burst(rls, on_a, 40)
    let_through, refused = codes(answers)
    assert 5 <= let_through <= most_let_through(5, seconds)
    assert refused == 40 - let_through
    for answer in [*answers, await first_refusal(rls, on_a, answers)]:
        assert answer.statuses[1].current_limit.requests_per_unit == 5
        if answer.overall_code == OK:
            continue
        assert "5 requests per second per base" in json.loads(answer.raw_body)["error"]["message"]
        tenant_status, base_status = answer.statuses
        assert base_status.code == OVER
        # The refusal took nothing from the tenant's bucket.
        assert tenant_status.code == OK
        assert tenant_status.current_limit.requests_per_unit == 0
    # Another base of the same tenant, and the tenant's other routes, still go through.
    assert (await rls.ShouldRateLimit(limit_request(tenant_id, user_id, BASE_B))).overall_code == OK
    assert (await rls.ShouldRateLimit(limit_request(tenant_id, user_id))).overall_code == OK


async def test_naming_another_tenants_base_does_not_drain_its_bucket(
    rls: rls_pb2_grpc.RateLimitServiceStub,
) -> None:
    base = new_id("app")
    owner = limit_request(new_id("ten"), new_id("usr"), base)
    intruder = limit_request(new_id("ten"), new_id("usr"), base)
    answers, seconds = await timed_burst(rls, intruder, 20)
    assert codes(answers)[0] <= most_let_through(5, seconds)
    await first_refusal(rls, intruder, answers)
    assert [a.overall_code for a in await burst(rls, owner, 5)] == [OK] * 5


@pytest.mark.parametrize(
    "entries",
    [
        [],
        [[("tenant", "nonsense"), ("user", "usr")]],
        [[("tenant", new_id("ten"))]],
        [[("remote_address", "10.0.0.1")]],
        [[("tenant", "x" * 10_000), ("user", "y" * 10_000)]],
    ],
    ids=["none", "not-ids", "no-user", "foreign", "huge"],
)
async def test_descriptors_that_are_not_ours_are_never_limited(
    rls: rls_pb2_grpc.RateLimitServiceStub, entries: list[list[tuple[str, str]]]
) -> None:
    request = rls_pb2.RateLimitRequest(domain=RATE_LIMIT_DOMAIN)
    for descriptor_entries in entries:
        descriptor = request.descriptors.add()
        for key, value in descriptor_entries:
            descriptor.entries.add(key=key, value=value)
    for answer in await burst(rls, request, 60):
        assert answer.overall_code == OK
        assert len(answer.statuses) == len(entries)


async def test_the_plan_sets_the_tenant_rate(
    rls: rls_pb2_grpc.RateLimitServiceStub,
    auth: auth_pb2_grpc.AuthServiceStub,
    channel: grpc.aio.Channel,
) -> None:
    if "tenant" not in SERVICES:
        pytest.skip("tenant-service is not in the registry yet")
    session = await register(auth)
    tenants = tenant_pb2_grpc.TenantServiceStub(channel)
    as_owner = (
        (TENANT_HEADER, session.user.tenant_id),
        (USER_HEADER, session.user.id),
    )
    changed = await tenants.UpdateTenant(
        tenant_pb2.UpdateTenantRequest(plan=tenant_pb2.PLAN_BUSINESS), metadata=as_owner
    )
    rate = changed.tenant.requests_per_second
    assert rate > 50
    request = limit_request(session.user.tenant_id, session.user.id)
    answers, seconds = await timed_burst(rls, request, 2 * rate)
    let_through, _ = codes(answers)
    assert rate <= let_through <= most_let_through(rate, seconds)
    assert answers[0].statuses[0].current_limit.requests_per_unit == rate


# Failure modes: the limiter fails open, and says so.


@pytest.fixture
def private_redis(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of this test's own, which it can kill."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not _accepts(port):
            assert server.poll() is None and time.monotonic() < deadline, (
                "redis-server did not start"
            )
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0", server
    finally:
        server.kill()
        server.wait(timeout=10)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
async def lone_gateway(
    start_host: StartHost, private_redis: tuple[str, subprocess.Popen[bytes]]
) -> AsyncIterator[rls_pb2_grpc.RateLimitServiceStub]:
    """The gateway alone (no tenant-service to ask) on a Redis the test can kill."""
    host = await start_host([api_gateway.SERVICE], redis_url=private_redis[0])
    async with grpc.aio.insecure_channel(host.address) as channel:
        yield rls_pb2_grpc.RateLimitServiceStub(channel)


async def test_without_tenant_service_the_defaults_apply_and_are_logged(
    lone_gateway: rls_pb2_grpc.RateLimitServiceStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pyat.api_gateway")
    request = limit_request(new_id("ten"), new_id("usr"), BASE_A)
    answers, seconds = await timed_burst(lone_gateway, request, 10)
    assert 5 <= codes(answers)[0] <= most_let_through(5, seconds)
    let_through = [a for a in answers if a.overall_code == OK]
    assert let_through[0].statuses[0].current_limit.requests_per_unit == 50
    assert let_through[0].statuses[1].current_limit.requests_per_unit == 5
    warnings = [r for r in caplog.records if "default rate limits" in r.getMessage()]
    # One call to tenant-service for the whole burst, and one warning.
    assert len(warnings) == 1


async def test_with_redis_down_requests_go_through_and_it_is_logged(
    lone_gateway: rls_pb2_grpc.RateLimitServiceStub,
    private_redis: tuple[str, subprocess.Popen[bytes]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = limit_request(new_id("ten"), new_id("usr"))
    assert (await lone_gateway.ShouldRateLimit(request)).overall_code == OK
    private_redis[1].kill()
    private_redis[1].wait(timeout=10)
    caplog.set_level(logging.WARNING, logger="pyat.api_gateway")
    answers = await burst(lone_gateway, request, 80)
    assert {a.overall_code for a in answers} == {OK}
    assert any("letting requests through" in r.getMessage() for r in caplog.records)
