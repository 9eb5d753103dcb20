"""api-gateway over real gRPC, called the way Envoy calls it: Check with real auth-service
tokens and the transcoder's headers. Check answers who is calling (a signed `x-pyat-caller`
assertion) and applies the rate limits: 429 with Retry-After and Airtable's body when a tenant
is over its rate, and a burst to one base held until its tokens are due rather than refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING

import grpc
import pytest
import redis.asyncio as aioredis
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc

from services import api_gateway
from services.api_gateway.limits import MAX_HOLD_S
from services.auth.tokens import TokenIssuer
from services.shared.access_tokens import SESSION_LIVE, session_key
from services.shared.headers import ORIGINAL_METHOD_HEADER, ORIGINAL_PATH_HEADER
from services.shared.identity import CALLER_HEADER, PERSONAL, SESSION, Caller
from services.shared.ids import new_id
from tests.contract.test_auth import register
from tests.fixtures.callers import ASSERTIONS, TEST_SECRET
from tests.fixtures.fabric import StartHost, free_port

if TYPE_CHECKING:  # the async stub type exists only in the generated .pyi
    from pyat.auth.v1.auth_pb2_grpc import AuthServiceAsyncStub as AuthStub

BASE_A = new_id("app")
RECORDS_READ = "data.records:read"


@pytest.fixture
def authz(channel: grpc.aio.Channel) -> external_auth_pb2_grpc.AuthorizationStub:
    return external_auth_pb2_grpc.AuthorizationStub(channel)


@pytest.fixture
def auth(channel: grpc.aio.Channel) -> AuthStub:
    return auth_pb2_grpc.AuthServiceStub(channel)


def check_request(
    authorization: str | None, method: str = "GET", path: str | None = "/v1/users/me"
) -> external_auth_pb2.CheckRequest:
    """What Envoy sends after the transcoder made a REST request gRPC, or (path None) for a
    native gRPC call."""
    request = external_auth_pb2.CheckRequest()
    http = request.attributes.request.http
    if authorization is not None:
        http.headers["authorization"] = authorization
    http.method, http.path = "POST", "/pyat.user.v1.UserService/GetMe"
    http.headers["content-type"] = "application/grpc"
    if path is not None:
        http.headers[ORIGINAL_PATH_HEADER] = path
        http.headers[ORIGINAL_METHOD_HEADER] = method
    return request


def caller_of(response: external_auth_pb2.CheckResponse) -> Caller:
    """The caller the gateway asserts for a request it lets through."""
    assert response.status.code == 0, response.denied_response.body
    headers = {h.header.key: h.header.value for h in response.ok_response.headers}
    assert set(headers) == {CALLER_HEADER}
    return ASSERTIONS.verify(headers[CALLER_HEADER])


def refusal(response: external_auth_pb2.CheckResponse, http_status: int) -> dict[str, str]:
    assert response.WhichOneof("http_response") == "denied_response"
    assert response.denied_response.status.code == http_status
    error: dict[str, str] = json.loads(response.denied_response.body)["error"]
    assert set(error) == {"type", "message"}
    return error


def bearer(token: str) -> str:
    return f"Bearer {token}"


async def personal_token(
    auth: AuthStub,
    session: auth_pb2.RegisterResponse,
    scopes: Sequence[str],
    base_ids: Sequence[str] = (),
) -> auth_pb2.CreatePersonalAccessTokenResponse:
    created: auth_pb2.CreatePersonalAccessTokenResponse = await auth.CreatePersonalAccessToken(
        auth_pb2.CreatePersonalAccessTokenRequest(name="ci", scopes=scopes, base_ids=base_ids),
        metadata=(("authorization", bearer(session.access_token)),),
    )
    return created


async def refused_within_a_second(
    authz: external_auth_pb2_grpc.AuthorizationStub, request: external_auth_pb2.CheckRequest
) -> None:
    """Checks may be allowed for up to a second after a revocation; one sent after that
    (however long it takes to be answered on a loaded machine) must be refused."""
    revoked_at = time.monotonic()
    while time.monotonic() - revoked_at < 1.0:
        if (await authz.Check(request)).status.code != 0:
            break
        await asyncio.sleep(0.05)
    refusal(await authz.Check(request), 401)


# Who is calling.


async def test_a_session_token_passes_as_its_session(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: AuthStub
) -> None:
    session = await register(auth)
    for method, path in [("GET", "/v1/users/me"), ("GET", f"/v0/{BASE_A}/T"), ("GET", None)]:
        caller = caller_of(
            await authz.Check(check_request(bearer(session.access_token), method, path))
        )
        assert caller == Caller(user_id=session.user.id, tenant_id=session.user.tenant_id)
        assert caller.kind == SESSION and not caller.scopes


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz"])
async def test_no_bearer_token_is_401_authentication_required(
    authz: external_auth_pb2_grpc.AuthorizationStub, authorization: str | None
) -> None:
    response = await authz.Check(check_request(authorization))
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
    error = refusal(await authz.Check(check_request(bearer(token))), 401)
    assert error["type"] == "UNAUTHORIZED"
    assert token[:20] not in error["message"] or len(token) < 10


async def test_a_token_signed_with_another_key_or_expired_is_401(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: AuthStub
) -> None:
    session = await register(auth)
    user = session.user
    claims = {"user_id": user.id, "tenant_id": user.tenant_id, "email": "a@example.com"}
    sid = new_id("rtk")
    forged, _ = TokenIssuer(b"k" * 48, 60, 60).access_token(
        **claims, session_id=sid, now=dt.datetime.now(dt.UTC)
    )
    expired, _ = TokenIssuer(TEST_SECRET.encode(), 60, 60).access_token(
        **claims, session_id=sid, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    assert "invalid" in refusal(await authz.Check(check_request(bearer(forged))), 401)["message"]
    assert "expired" in refusal(await authz.Check(check_request(bearer(expired))), 401)["message"]


async def test_a_native_grpc_caller_gets_a_plain_message(
    authz: external_auth_pb2_grpc.AuthorizationStub,
) -> None:
    response = await authz.Check(check_request(None, path=None))
    assert response.denied_response.status.code == 401
    assert response.denied_response.body.startswith("Authentication required")


async def test_a_pat_passes_with_its_scopes_and_bases(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: AuthStub
) -> None:
    session = await register(auth)
    created = await personal_token(auth, session, [RECORDS_READ], [BASE_A])
    caller = caller_of(
        await authz.Check(check_request(bearer(created.token), "GET", f"/v0/{BASE_A}/T"))
    )
    assert (caller.user_id, caller.kind) == (session.user.id, PERSONAL)
    assert (caller.scopes, caller.token_bases) == ((RECORDS_READ,), (BASE_A,))


async def test_a_revoked_pat_is_refused_within_a_second(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: AuthStub
) -> None:
    session = await register(auth)
    created = await personal_token(auth, session, [RECORDS_READ])
    request = check_request(bearer(created.token), "GET", f"/v0/{BASE_A}/Tasks")
    caller_of(await authz.Check(request))
    await auth.RevokePersonalAccessToken(
        auth_pb2.RevokePersonalAccessTokenRequest(token_id=created.personal_access_token.id),
        metadata=(("authorization", bearer(session.access_token)),),
    )
    await refused_within_a_second(authz, request)


async def test_an_ended_session_is_refused_within_a_second(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: AuthStub
) -> None:
    session = await register(auth)
    request = check_request(bearer(session.access_token))
    caller_of(await authz.Check(request))  # its liveness is now remembered by the gateway
    await auth.Logout(
        auth_pb2.LogoutRequest(), metadata=(("authorization", bearer(session.access_token)),)
    )
    await refused_within_a_second(authz, request)
    assert "session has ended" in refusal(await authz.Check(request), 401)["message"]


# Rate limits.


async def checks(
    authz: external_auth_pb2_grpc.AuthorizationStub,
    request: external_auth_pb2.CheckRequest,
    count: int,
) -> list[external_auth_pb2.CheckResponse]:
    return list(await asyncio.gather(*(authz.Check(request) for _ in range(count))))


async def refusals(
    authz: external_auth_pb2_grpc.AuthorizationStub,
    request: external_auth_pb2.CheckRequest,
    count: int,
) -> list[external_auth_pb2.CheckResponse]:
    """The refused answers to a burst of `count` checks. A loaded machine may answer a burst
    more slowly than its bucket refills, so a burst that had none refused is sent again (a
    few times at most: each drains the bucket further)."""
    for _ in range(5):
        answers = await checks(authz, request, count)
        refused = [a for a in answers if a.status.code != 0]
        if refused:
            return refused
    pytest.fail(f"five bursts of {count} checks at once, and not one was refused")


def rate_limited(response: external_auth_pb2.CheckResponse) -> dict[str, str]:
    """A 429's Airtable error, after checking its gRPC code and headers."""
    assert response.status.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    error = refusal(response, 429)
    assert error["type"] == "RATE_LIMIT_REACHED"
    headers = {h.header.key: h.header.value for h in response.denied_response.headers}
    assert headers["content-type"] == "application/json"
    assert int(headers["retry-after"]) >= 1
    return error


async def test_a_tenant_over_its_rate_gets_429_at_once(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: AuthStub
) -> None:
    session = await register(auth)
    request = check_request(bearer(session.access_token))
    # 50 a second per tenant, in buckets of 50: a burst of 150 can't all get through unless
    # answering it takes 2 s, and none is held.
    refused = await refusals(authz, request, 150)
    for answer in refused:
        assert "50 requests per second per tenant" in rate_limited(answer)["message"]
    # Another tenant is not slowed down by this one.
    other = await register(auth)
    caller_of(await authz.Check(check_request(bearer(other.access_token))))


async def test_a_burst_to_one_base_is_held_until_its_tokens_are_due(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: AuthStub
) -> None:
    session = await register(auth)
    request = check_request(bearer(session.access_token), "GET", f"/v0/{new_id('app')}/Tasks")
    started = time.monotonic()
    answers = await checks(authz, request, 12)
    took = time.monotonic() - started
    for answer in answers:
        caller_of(answer)
    # 5 a second per base, 5 at once: the other 7 waited for 7 refills, 1.4 s at least.
    assert took >= 1.4 - 0.05


async def test_past_the_longest_hold_a_base_answers_429_with_when_to_retry(
    authz: external_auth_pb2_grpc.AuthorizationStub, auth: AuthStub
) -> None:
    session = await register(auth)
    base = new_id("app")
    request = check_request(bearer(session.access_token), "GET", f"/v0/{base}/Tasks")
    # A base's bucket holds 5 and queues MAX_HOLD_S seconds' worth more: the rest is refused.
    queued = int(5 + 5 * MAX_HOLD_S)
    refused = await refusals(authz, request, queued + 15)
    for answer in refused:
        assert "5 requests per second per base" in rate_limited(answer)["message"]
    # Another base of the same tenant is not held up by this one.
    other = check_request(bearer(session.access_token), "GET", f"/v0/{new_id('app')}/Tasks")
    caller_of(await authz.Check(other))


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
) -> AsyncIterator[tuple[external_auth_pb2_grpc.AuthorizationStub, str]]:
    """The gateway alone (no tenant-service, no auth-service) on a Redis the test can kill,
    and an access token whose session is live there, recorded as auth-service records it."""
    host = await start_host([api_gateway.SERVICE], redis_url=private_redis[0])
    session_id = new_id("rtk")
    token, _ = TokenIssuer(TEST_SECRET.encode(), 600, 600).access_token(
        user_id=new_id("usr"),
        tenant_id=new_id("ten"),
        email="lone@example.com",
        session_id=session_id,
        now=dt.datetime.now(dt.UTC),
    )
    client = aioredis.Redis.from_url(private_redis[0])
    try:
        await client.set(host.settings.cache_prefix + session_key(session_id), SESSION_LIVE)
    finally:
        await client.aclose()
    async with grpc.aio.insecure_channel(host.address) as channel:
        yield external_auth_pb2_grpc.AuthorizationStub(channel), token


async def test_without_tenant_service_the_defaults_apply_and_are_logged(
    lone_gateway: tuple[external_auth_pb2_grpc.AuthorizationStub, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="pyat.api_gateway")
    authz, token = lone_gateway
    refused = await refusals(authz, check_request(bearer(token)), 80)
    assert "50 requests per second per tenant" in rate_limited(refused[0])["message"]
    warnings = [r for r in caplog.records if "default rate limits" in r.getMessage()]
    # One call to tenant-service for the whole burst, and one warning.
    assert len(warnings) == 1


async def test_with_redis_down_requests_go_through_and_it_is_logged(
    lone_gateway: tuple[external_auth_pb2_grpc.AuthorizationStub, str],
    private_redis: tuple[str, subprocess.Popen[bytes]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    authz, token = lone_gateway
    request = check_request(bearer(token))
    caller_of(await authz.Check(request))
    private_redis[1].kill()
    private_redis[1].wait(timeout=10)
    caplog.set_level(logging.WARNING, logger="pyat.api_gateway")
    # No session can be ended while the cache is down, so its last answer still holds.
    for answer in await checks(authz, request, 80):
        caller_of(answer)
    assert any("letting requests through" in r.getMessage() for r in caplog.records)
