"""The whole identity story through Envoy, as a team would live it: sign up, make a workspace,
invite a colleague who joins and gets a role, mint a limited token and use it; and the
isolation between teams, tried by every id we know of."""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any

import httpx

PASSWORD = "correct-horse-9"


def email(tag: str) -> str:
    return f"{tag}-{secrets.token_hex(5)}@example.com"


async def call(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    token: str | None = None,
    expect: int = 200,
    **kwargs: Any,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.request(method, path, headers=headers, **kwargs)
    assert response.status_code == expect, (
        f"{method} {path}: {response.status_code} {response.text}"
    )
    body: dict[str, Any] = response.json() if response.content else {}
    return body


async def sign_up(http: httpx.AsyncClient, tag: str, **extra: str) -> dict[str, Any]:
    return await call(
        http,
        "POST",
        "/v1/auth/register",
        json={"email": email(tag), "password": PASSWORD, "name": tag.title(), **extra},
    )


async def test_a_team_signs_up_invites_a_colleague_and_uses_a_limited_token(
    http: httpx.AsyncClient,
) -> None:
    alice = await sign_up(http, "alice")
    a_token = alice["access_token"]
    tenant = await call(http, "GET", "/v1/tenant", a_token)
    assert tenant["tenant"]["id"] == alice["user"]["tenant_id"]
    assert tenant["tenant"]["plan"] == "PLAN_FREE"

    workspace = (await call(http, "POST", "/v1/workspaces", a_token, json={"name": "Ops"}))[
        "workspace"
    ]
    assert workspace["id"].startswith("wsp") and workspace["my_role"] == "ROLE_OWNER"
    listed = await call(http, "GET", "/v1/workspaces", a_token)
    assert [w["id"] for w in listed["workspaces"]] == [workspace["id"]]

    # Alice invites Bob, who has no account yet: he gets a token to sign up into her tenant.
    bob_email = email("bob")
    invited = await call(
        http,
        "POST",
        f"/v1/workspaces/{workspace['id']}/invitations",
        a_token,
        json={"email": bob_email, "role": "ROLE_EDITOR"},
    )
    assert invited["signup_token"]
    bob = await call(
        http,
        "POST",
        "/v1/auth/register",
        json={
            "email": bob_email,
            "password": PASSWORD,
            "name": "Bob",
            "invitation_token": invited["signup_token"],
        },
    )
    b_token = bob["access_token"]
    assert bob["user"]["tenant_id"] == alice["user"]["tenant_id"]
    # Before accepting, Bob has no role on the workspace and can't see it.
    await call(http, "GET", f"/v1/workspaces/{workspace['id']}", b_token, expect=404)

    pending = await call(http, "GET", "/v1/invitations", b_token)
    assert [i["id"] for i in pending["invitations"]] == [invited["invitation"]["id"]]
    accepted = await call(
        http, "POST", f"/v1/invitations/{invited['invitation']['id']}:accept", b_token, json={}
    )
    assert accepted["member"]["role"] == "ROLE_EDITOR"
    members = await call(http, "GET", f"/v1/workspaces/{workspace['id']}/members", b_token)
    roles = {m["user_id"]: m["role"] for m in members["members"]}
    assert roles == {alice["user"]["id"]: "ROLE_OWNER", bob["user"]["id"]: "ROLE_EDITOR"}
    # An editor may read but not manage members or delete the workspace.
    await call(
        http,
        "POST",
        f"/v1/workspaces/{workspace['id']}/invitations",
        b_token,
        expect=403,
        json={"email": email("carol"), "role": "ROLE_READ_ONLY"},
    )
    await call(http, "DELETE", f"/v1/workspaces/{workspace['id']}", b_token, expect=403)

    # Bob mints a read-only token for one base and uses it.
    base = (
        await call(
            http, "POST", f"/v1/workspaces/{workspace['id']}/bases", a_token, json={"name": "CRM"}
        )
    )["base"]
    minted = await call(
        http,
        "POST",
        "/v1/auth/tokens",
        b_token,
        json={"name": "reporting", "scopes": ["data.records:read"], "base_ids": [base["id"]]},
    )
    pat = minted["token"]
    assert pat.startswith("pat")
    whoami = await call(http, "GET", "/v0/meta/whoami", pat)
    assert whoami == {"id": bob["user"]["id"], "email": bob_email, "scopes": ["data.records:read"]}
    # Tokens are for the Airtable API, not the account: refused at the edge. (Scope and base
    # limits on /v0 record routes are proven against the gateway in test_api_gateway.py.)
    await call(http, "GET", "/v1/users/me", pat, expect=403)
    # Revoked, it stops working within a second (the edge may cache a verdict that long).
    await call(http, "DELETE", f"/v1/auth/tokens/{minted['personal_access_token']['id']}", b_token)
    await asyncio.sleep(1.1)
    await call(http, "GET", "/v0/meta/whoami", pat, expect=401)


async def test_logout_and_refresh_through_the_edge(http: httpx.AsyncClient) -> None:
    carol = await sign_up(http, "carol")
    refreshed = await call(
        http, "POST", "/v1/auth/refresh", json={"refresh_token": carol["refresh_token"]}
    )
    token = refreshed["access_token"]
    await call(http, "GET", "/v1/users/me", token)
    await call(http, "POST", "/v1/auth/logout", token, json={})
    await asyncio.sleep(1.1)
    await call(http, "GET", "/v1/users/me", token, expect=401)
    await call(
        http,
        "POST",
        "/v1/auth/refresh",
        expect=401,
        json={"refresh_token": refreshed["refresh_token"]},
    )


def _without_ids(body: dict[str, Any]) -> str:
    return re.sub(r"(usr|wsp|app|ivt|ten|pat)[A-Za-z0-9]{14}", "<id>", str(body))


async def test_another_tenant_cannot_see_touch_or_confirm_anything(
    http: httpx.AsyncClient,
) -> None:
    alice = await sign_up(http, "alice")
    a_token = alice["access_token"]
    workspace = (await call(http, "POST", "/v1/workspaces", a_token, json={"name": "Secret"}))[
        "workspace"
    ]
    base = (
        await call(
            http, "POST", f"/v1/workspaces/{workspace['id']}/bases", a_token, json={"name": "Vault"}
        )
    )["base"]
    pat = (
        await call(
            http,
            "POST",
            "/v1/auth/tokens",
            a_token,
            json={"name": "x", "scopes": ["webhook:manage"]},
        )
    )["personal_access_token"]

    mallory = await sign_up(http, "mallory")
    m_token = mallory["access_token"]
    ws, app, usr = workspace["id"], base["id"], alice["user"]["id"]
    fake_ws, fake_app, fake_usr = "wsp" + "Q" * 14, "app" + "Q" * 14, "usr" + "Q" * 14
    probes = [
        ("GET", "/v1/users/{usr}", None),
        ("GET", "/v1/workspaces/{ws}", None),
        ("PATCH", "/v1/workspaces/{ws}", {"name": "pwned"}),
        ("DELETE", "/v1/workspaces/{ws}", None),
        ("GET", "/v1/workspaces/{ws}/members", None),
        ("PATCH", "/v1/workspaces/{ws}/members/{usr}", {"role": "ROLE_READ_ONLY"}),
        ("DELETE", "/v1/workspaces/{ws}/members/{usr}", None),
        ("POST", "/v1/workspaces/{ws}/invitations", {"email": "m@example.com", "role": 1}),
        ("GET", "/v1/workspaces/{ws}/bases", None),
        ("POST", "/v1/workspaces/{ws}/bases", {"name": "mine now"}),
        ("GET", "/v1/bases/{app}", None),
        ("DELETE", "/v1/bases/{app}", None),
    ]
    for method, template, body in probes:
        real = template.format(ws=ws, app=app, usr=usr)
        fake = template.format(ws=fake_ws, app=fake_app, usr=fake_usr)
        kwargs = {"json": body} if body is not None else {}
        on_real = await call(http, method, real, m_token, expect=404, **kwargs)
        on_fake = await call(http, method, fake, m_token, expect=404, **kwargs)
        # The same answer whether the thing exists in another tenant or not at all.
        assert _without_ids(on_real) == _without_ids(on_fake), (method, template)

    await call(http, "DELETE", f"/v1/auth/tokens/{pat['id']}", m_token, expect=404)
    assert (await call(http, "GET", "/v1/workspaces", m_token))["workspaces"] == []
    everyone = await call(http, "GET", "/v1/users", m_token)
    assert [u["id"] for u in everyone["users"]] == [mallory["user"]["id"]]
    found = await call(http, "GET", "/v1/users:search", m_token, params={"query": "alice"})
    assert found.get("users", []) == []
    members = await call(http, "GET", "/v1/tenant/members", m_token)
    assert [m["user_id"] for m in members["members"]] == [mallory["user"]["id"]]
    # And Alice's things are untouched.
    still = await call(http, "GET", f"/v1/workspaces/{ws}", a_token)
    assert still["workspace"]["name"] == "Secret"
    await call(http, "GET", f"/v1/bases/{app}", a_token)


async def test_brute_force_login_locks_out_through_the_edge(http: httpx.AsyncClient) -> None:
    victim = await sign_up(http, "victim")
    credentials = {"email": victim["user"]["email"], "password": "guess-number-1"}
    for _ in range(5):
        await call(http, "POST", "/v1/auth/login", expect=401, json=credentials)
    locked = await call(
        http,
        "POST",
        "/v1/auth/login",
        expect=429,
        json={"email": victim["user"]["email"], "password": PASSWORD},
    )
    assert "try again in 15 minutes" in locked["message"]
    # The victim's existing session still works.
    await call(http, "GET", "/v1/users/me", victim["access_token"])
