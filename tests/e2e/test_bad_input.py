"""Bad input never breaks the platform: every REST route, fed junk by a signed-in user, answers
with a 4xx and a JSON body, never a 5xx, and nothing already stored is lost."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from services.cli import descriptor_set_path
from services.edge.config import http_methods

JUNK_SEGMENTS = ["x", "usr" + "A" * 14, "%2e%2e%2f", "wsp" + "é" * 14, "a" * 3000, "%00", "-1"]
JUNK_BODIES: list[bytes] = [
    json.dumps(body).encode()
    for body in (
        {},
        {"name": 12, "email": ["x"], "role": "ROLE_NOPE", "scopes": "data.records:read"},
        {"name": "x" * 20_000, "email": "e" * 500, "role": 99, "page_size": -5},
        {"unknown_field": True},
        {"name": "\u0000", "email": "a\u0000@x.com", "query": "%_", "preferences": {"a": [1]}},
    )
] + [b'{"name": "\xff\xfe", "email": "\xc3"}', b"[1, 2", b"null", b"\x00\x01"]


def http_routes() -> list[tuple[str, str]]:
    """(method, path template) of every google.api.http route in our contracts."""
    return sorted((m.verb, m.path) for m in http_methods(descriptor_set_path()))


ROUTES = http_routes()
PASSWORD = "correct-horse-9"


@pytest.fixture(scope="module")
async def signed_in(edge_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with httpx.AsyncClient(base_url=edge_url, timeout=15) as http:
        registered = await http.post(
            "/v1/auth/register",
            json={
                "email": f"fuzz-{secrets.token_hex(5)}@example.com",
                "password": "correct-horse-9",
            },
        )
        assert registered.status_code == 200
        yield http, registered.json()["access_token"]


def test_every_routed_method_is_covered() -> None:
    assert len(ROUTES) >= 37
    assert ("POST", "/v1/auth/register") in ROUTES


@pytest.mark.parametrize(("verb", "template"), ROUTES, ids=[f"{v} {t}" for v, t in ROUTES])
async def test_junk_never_gets_a_server_error(
    signed_in: tuple[httpx.AsyncClient, str], verb: str, template: str
) -> None:
    http, token = signed_in
    headers = {"Authorization": f"Bearer {token}"}
    for segment in JUNK_SEGMENTS:
        path = re.sub(r"\{[^}]+\}", segment, template)
        for body in JUNK_BODIES if verb in ("POST", "PATCH", "PUT") else [None]:
            response = await http.request(
                verb,
                path,
                headers={**headers, "content-type": "application/json"},
                content=body,
                params={"page_size": "-1", "query": "%"},
            )
            assert response.status_code < 500, f"{verb} {path} {body!r}: {response.text[:300]}"
            if response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/json"), path
    # The account that sent all of it still works.
    me = await http.get("/v1/users/me", headers=headers)
    assert me.status_code == 200
