"""REST through a real Envoy to the real services: the first slice of identity, end to end."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

PASSWORD = "correct-horse-9"


def new_email() -> str:
    return f"rest-{secrets.token_hex(6)}@example.com"


async def register(http: httpx.AsyncClient, email: str | None = None) -> dict[str, Any]:
    response = await http.post(
        "/v1/auth/register",
        json={"email": email or new_email(), "password": PASSWORD, "name": "Grace Hopper"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_register_login_and_get_me(http: httpx.AsyncClient) -> None:
    email = new_email()
    registered = await register(http, email)
    assert registered["user"]["email"] == email
    assert registered["user"]["id"].startswith("usr")
    assert registered["token_type"] == "Bearer"
    assert registered["access_token"] and registered["refresh_token"]

    login = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"] == registered["user"]

    me = await http.get(
        "/v1/users/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.status_code == 200, me.text
    assert me.json()["user"] == registered["user"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "weak@example.com", "password": "short"}, "password"),
        ({"email": "weak@example.com", "password": "password123"}, "password"),
    ],
)
async def test_register_bad_input_is_400_with_the_field(
    http: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await http.post("/v1/auth/register", json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == 3  # INVALID_ARGUMENT
    violations = [
        v["field"]
        for detail in error["details"]
        if detail["@type"].endswith("google.rpc.BadRequest")
        for v in detail["field_violations"]
    ]
    assert violations == [field]


async def test_register_taken_email_is_409(http: httpx.AsyncClient) -> None:
    email = new_email()
    await register(http, email)
    response = await http.post(
        "/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Again"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == 6  # ALREADY_EXISTS


async def test_bad_login_is_401(http: httpx.AsyncClient) -> None:
    email = (await register(http))["user"]["email"]
    response = await http.post("/v1/auth/login", json={"email": email, "password": "nope-nope-1"})
    assert response.status_code == 401
    assert response.json()["message"] == "invalid email or password"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic Zm9vOmJhcg=="}],
    ids=["missing", "garbage", "basic"],
)
async def test_get_me_without_a_valid_token_is_401(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.get("/v1/users/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")


async def test_spoofed_identity_headers_are_stripped_at_the_edge(http: httpx.AsyncClient) -> None:
    alice, bob = await register(http), await register(http)
    spoof = {"x-pyat-user-id": bob["user"]["id"], "x-pyat-tenant-id": bob["user"]["tenant_id"]}
    # Without a token the spoofed headers alone get nowhere...
    assert (await http.get("/v1/users/me", headers=spoof)).status_code == 401
    # ...and with Alice's token they don't turn her into Bob.
    me = await http.get(
        "/v1/users/me", headers={**spoof, "Authorization": f"Bearer {alice['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["user"]["id"] == alice["user"]["id"]


async def test_another_tenants_user_is_404(http: httpx.AsyncClient) -> None:
    alice, bob = await register(http), await register(http)
    response = await http.get(
        f"/v1/users/{bob['user']['id']}",
        headers={"Authorization": f"Bearer {alice['access_token']}"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nothing-here"),
        ("DELETE", "/v1/users/me"),
        ("POST", "/pyat.user.v1.UserService/CreateUser"),
        ("POST", "/pyat.auth.v1.AuthService/VerifyToken"),
    ],
)
async def test_unknown_routes_and_internal_methods_are_404_json(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await http.request(method, path, json={})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] == 404


async def test_malformed_json_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
