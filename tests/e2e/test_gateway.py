"""api-gateway behind a real Envoy, over real HTTP and gRPC: who gets in, with what identity,
what a personal access token may do, and how fast anyone may go."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import jwt
import pytest
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.shared.server import Host

PASSWORD = "correct-horse-9"
JSON = "application/json"


@pytest.fixture(params=["sqlite", "postgres"])
def fabric_and_edge(request: pytest.FixtureRequest) -> tuple[Host, str]:
    """Envoy in front of the fabric on SQLite, then on PostgreSQL, Redis and NATS."""
    sqlite = request.param == "sqlite"
    host: Host = request.getfixturevalue("fabric" if sqlite else "pg_fabric")
    url: str = request.getfixturevalue("edge" if sqlite else "pg_edge")
    return host, url


@pytest.fixture
async def http(fabric_and_edge: tuple[Host, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fabric_and_edge[1], timeout=10) as client:
        yield client


@pytest.fixture
def signing_key(fabric_and_edge: tuple[Host, str]) -> str:
    key = fabric_and_edge[0].settings.jwt_secret
    assert key is not None
    return key


async def register(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post(
        "/v1/auth/register",
        json={
            "email": f"gw-{secrets.token_hex(6)}@example.com",
            "password": PASSWORD,
            "name": "Katherine Johnson",
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def airtable_error(response: httpx.Response, status: int) -> dict[str, str]:
    """The `{"error": {"type", "message"}}` body of a gateway refusal."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].partition(";")[0] == JSON
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}
    error: dict[str, str] = body["error"]
    return error


async def personal_token(
    http: httpx.AsyncClient, session: dict[str, Any], scopes: list[str]
) -> dict[str, Any]:
    response = await http.post(
        "/v1/auth/tokens",
        json={"name": "e2e", "scopes": scopes},
        headers=bearer(session["access_token"]),
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def bad_tokens(real: str, key: str) -> dict[str, str]:
    """Tokens that must not get in, each made from a real one."""
    claims = jwt.decode(real, options={"verify_signature": False})
    header, payload, signature = real.split(".")
    other = {**claims, "sub": "usr" + "A" * 14}
    past = {**claims, "iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600}
    none_header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return {
        "garbage": "not-a-token",
        "forged": jwt.encode(claims, "another-key-that-is-long-enough-0123456789", "HS256"),
        "expired": jwt.encode(past, key, "HS256"),
        "tampered": f"{header}.{_b64(json.dumps(other).encode())}.{signature}",
        "alg-none": f"{none_header}.{payload}.",
        "alg-none-signed": f"{none_header}.{payload}.{signature}",
        "truncated": real[:-5],
    }


async def test_a_valid_access_token_reaches_get_me(http: httpx.AsyncClient) -> None:
    session = await register(http)
    me = await http.get("/v1/users/me", headers=bearer(session["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["user"] == session["user"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic Zm9vOmJhcg=="}, {"Authorization": "Bearer"}],
    ids=["missing", "basic", "empty-bearer"],
)
async def test_without_a_bearer_token_it_is_401_authentication_required(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, path in [
        ("GET", "/v1/users/me"),
        ("GET", "/v0/meta/whoami"),
        ("GET", "/v1/tenant"),
    ]:
        error = airtable_error(await http.request(method, path, headers=headers), 401)
        assert error["type"] == "AUTHENTICATION_REQUIRED"


async def test_forged_expired_tampered_and_unsigned_tokens_are_401_unauthorized(
    http: httpx.AsyncClient, signing_key: str
) -> None:
    session = await register(http)
    for name, token in bad_tokens(session["access_token"], signing_key).items():
        error = airtable_error(await http.get("/v1/users/me", headers=bearer(token)), 401)
        assert error["type"] == "UNAUTHORIZED", name
        assert token not in error["message"]
    # The real one still works: nothing above touched the session.
    me = await http.get("/v1/users/me", headers=bearer(session["access_token"]))
    assert me.status_code == 200


async def test_spoofed_identity_headers_are_ignored_with_a_valid_token(
    http: httpx.AsyncClient,
) -> None:
    alice, bob = await register(http), await register(http)
    spoof = {
        "x-pyat-user-id": bob["user"]["id"],
        "x-pyat-tenant-id": bob["user"]["tenant_id"],
        "x-pyat-scopes": "data.records:read data.records:write",
        "x-pyat-base-id": "app" + "B" * 14,
        "x-envoy-original-path": "/v0/meta/whoami",
        "x-envoy-original-method": "GET",
    }
    me = await http.get("/v1/users/me", headers={**spoof, **bearer(alice["access_token"])})
    assert me.status_code == 200
    assert me.json()["user"]["id"] == alice["user"]["id"]
    whoami = await http.get("/v0/meta/whoami", headers={**spoof, **bearer(alice["access_token"])})
    assert whoami.status_code == 200
    # A session has no scopes; the spoofed ones never reached user-service.
    assert whoami.json() == {
        "id": alice["user"]["id"],
        "email": alice["user"]["email"],
        "scopes": [],
    }
    # Alone, the headers get nowhere.
    assert (await http.get("/v1/users/me", headers=spoof)).status_code == 401


async def test_register_login_and_refresh_need_no_token(http: httpx.AsyncClient) -> None:
    session = await register(http)
    login = await http.post(
        "/v1/auth/login", json={"email": session["user"]["email"], "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    refresh = await http.post(
        "/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert refresh.status_code == 200, refresh.text
    # The open routes answer with their own errors, not the gateway's.
    stranger = f"gw-{secrets.token_hex(6)}@example.com"
    bad = await http.post("/v1/auth/login", json={"email": stranger, "password": "nope-nope-1"})
    assert bad.status_code == 401
    assert bad.json()["message"] == "invalid email or password"
    # Logout is not open.
    assert airtable_error(await http.post("/v1/auth/logout", json={}), 401)


async def test_after_logout_the_access_token_is_refused_within_a_second(
    http: httpx.AsyncClient,
) -> None:
    session = await register(http)
    headers = bearer(session["access_token"])
    assert (await http.get("/v1/users/me", headers=headers)).status_code == 200
    logout = await http.post("/v1/auth/logout", json={}, headers=headers)
    assert logout.status_code == 200, logout.text
    logged_out = time.monotonic()
    # Requests may get in for up to a second; one sent after that (however long it takes to be
    # answered on a loaded machine) must be refused.
    while time.monotonic() - logged_out < 1.0:
        if (await http.get("/v1/users/me", headers=headers)).status_code != 200:
            break
        await asyncio.sleep(0.05)
    me = await http.get("/v1/users/me", headers=headers)
    assert airtable_error(me, 401)["type"] == "UNAUTHORIZED"


async def test_a_pat_gets_whoami_with_its_scopes_but_no_account_route(
    http: httpx.AsyncClient,
) -> None:
    session = await register(http)
    scopes = ["data.records:read", "schema.bases:read"]
    pat = (await personal_token(http, session, scopes))["token"]
    whoami = await http.get("/v0/meta/whoami", headers=bearer(pat))
    assert whoami.status_code == 200, whoami.text
    assert whoami.json()["id"] == session["user"]["id"]
    assert sorted(whoami.json()["scopes"]) == scopes
    for method, path in [
        ("GET", "/v1/users/me"),
        ("GET", "/v1/tenant"),
        ("POST", "/v1/auth/tokens"),
        ("GET", "/v1/auth/tokens"),
        ("POST", "/v1/workspaces"),
    ]:
        # Refused by the method's declared access (sessions only), in the service's own body.
        response = await http.request(method, path, headers=bearer(pat), json={})
        assert response.status_code == 403, (method, path, response.text)
        assert "personal access tokens" in response.json()["message"], (method, path)
    # Claiming to be another route does not help: access is judged by the method called.
    spoofed = await http.get(
        "/v1/users/me", headers={**bearer(pat), "x-envoy-original-path": "/v0/meta/whoami"}
    )
    assert spoofed.status_code == 403, spoofed.text


async def test_airtable_paths_are_judged_before_the_base_is_looked_up(
    http: httpx.AsyncClient,
) -> None:
    session = await register(http)
    base, other_base = "app" + secrets.token_hex(7), "app" + secrets.token_hex(7)
    response = await http.post(
        "/v1/auth/tokens",
        json={"name": "one base", "scopes": ["data.records:read"], "base_ids": [base]},
        headers=bearer(session["access_token"]),
    )
    assert response.status_code == 200, response.text
    pat = bearer(response.json()["token"])
    records = f"/v0/{base}/Tasks"

    anonymous = airtable_error(await http.get(records), 401)
    assert anonymous["type"] == "AUTHENTICATION_REQUIRED"
    for method, path in [("POST", records), ("GET", f"/v0/{other_base}/Tasks")]:
        error = airtable_error(await http.request(method, path, headers=pat, json={}), 403)
        assert error["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
    # Allowed through, the base is simply not there.
    for headers in (pat, bearer(session["access_token"])):
        missing = airtable_error(await http.get(records, headers=headers), 404)
        assert missing["type"] == "BASE_NOT_FOUND"
    # Elsewhere an unknown path is a 404 for anyone.
    assert (await http.get("/v1/no-such-route")).status_code == 404


async def test_a_revoked_pat_is_refused_within_a_second(http: httpx.AsyncClient) -> None:
    session = await register(http)
    created = await personal_token(http, session, ["data.records:read"])
    headers = bearer(created["token"])
    assert (await http.get("/v0/meta/whoami", headers=headers)).status_code == 200
    token_id = created["personal_access_token"]["id"]
    revoke = await http.delete(
        f"/v1/auth/tokens/{token_id}", headers=bearer(session["access_token"])
    )
    assert revoke.status_code == 200, revoke.text
    revoked = time.monotonic()
    # As after a logout: a request sent a second after revocation must be refused.
    while time.monotonic() - revoked < 1.0:
        if (await http.get("/v0/meta/whoami", headers=headers)).status_code != 200:
            break
        await asyncio.sleep(0.05)
    whoami = await http.get("/v0/meta/whoami", headers=headers)
    assert airtable_error(whoami, 401)["type"] == "UNAUTHORIZED"


async def test_native_grpc_clients_are_checked_too(
    http: httpx.AsyncClient, fabric_and_edge: tuple[Host, str]
) -> None:
    session = await register(http)
    pat = (await personal_token(http, session, ["data.records:read"]))["token"]
    target = fabric_and_edge[1].removeprefix("http://")
    async with grpc.aio.insecure_channel(target) as channel:
        users = user_pb2_grpc.UserServiceStub(channel)
        me = await users.GetMe(
            user_pb2.GetMeRequest(),
            metadata=(("authorization", f"Bearer {session['access_token']}"),),
            timeout=5,
        )
        assert me.user.id == session["user"]["id"]
        for metadata, code in [
            ((), grpc.StatusCode.UNAUTHENTICATED),
            ((("authorization", "Bearer nonsense"),), grpc.StatusCode.UNAUTHENTICATED),
            # No REST route to judge a PAT's scopes by, so it gets nowhere over gRPC.
            ((("authorization", f"Bearer {pat}"),), grpc.StatusCode.PERMISSION_DENIED),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await users.GetMe(user_pb2.GetMeRequest(), metadata=metadata, timeout=5)
            assert refused.value.code() is code
            # A plain message, not a JSON body.
            assert not (refused.value.details() or "").startswith("{")


async def test_a_burst_over_the_tenant_limit_gets_429_and_then_recovers(
    http: httpx.AsyncClient, fabric_and_edge: tuple[Host, str]
) -> None:
    session = await register(http)
    headers = bearer(session["access_token"])
    metadata = (("authorization", f"Bearer {session['access_token']}"),)
    # 50 a second per tenant. The services and this client share one process, so most of the
    # burst goes over gRPC, whose client costs far less than httpx's; REST requests ride along
    # in the same waves until one of them meets the limit.
    limited: httpx.Response | None = None
    deadline = time.monotonic() + 30
    async with grpc.aio.insecure_channel(fabric_and_edge[1].removeprefix("http://")) as channel:
        users = user_pb2_grpc.UserServiceStub(channel)

        async def over_grpc() -> grpc.StatusCode:
            try:
                await users.GetMe(user_pb2.GetMeRequest(), metadata=metadata, timeout=10)
            except grpc.aio.AioRpcError as err:
                return err.code()
            return grpc.StatusCode.OK

        while limited is None:
            assert time.monotonic() < deadline, "no request was ever limited in 30 s of waves"
            grpc_codes, rest = await asyncio.gather(
                asyncio.gather(*(over_grpc() for _ in range(150))),
                asyncio.gather(*(http.get("/v1/users/me", headers=headers) for _ in range(10))),
            )
            # A gRPC client over the limit gets Envoy's mapping of a 429: UNAVAILABLE, which
            # gRPC clients retry with backoff.
            assert set(grpc_codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}
            assert {r.status_code for r in rest} <= {200, 429}
            limited = next((r for r in rest if r.status_code == 429), None)
    error = airtable_error(limited, 429)
    assert error["type"] == "RATE_LIMIT_REACHED"
    assert "per tenant" in error["message"]
    assert int(limited.headers["retry-after"]) >= 1
    # Another tenant is not slowed down by this one.
    other = await register(http)
    assert (
        await http.get("/v1/users/me", headers=bearer(other["access_token"]))
    ).status_code == 200

    await asyncio.sleep(1.1)  # the bucket is full again: a pause only makes it fuller
    for _ in range(20):
        me = await http.get("/v1/users/me", headers=headers)
        assert me.status_code == 200, me.text
