"""Every route takes a body of up to 2 MiB, the /v0 front's own limit, and Envoy refuses a
larger one with a 413 and Airtable's JSON body, on /v1 and /v0 alike."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.edge.config import MAX_REQUEST_BYTES
from tests.e2e.test_airtable_rest import airtable_error, call, create_base, sign_up
from tests.e2e.test_gateway import PASSWORD, bearer

pytestmark = pytest.mark.envoy


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON, made exactly `size` bytes long by whitespace JSON allows at its end."""
    encoded = json.dumps(body).encode()
    assert len(encoded) <= size
    return encoded + b" " * (size - len(encoded))


@pytest.fixture
async def http(edge: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of Envoy in front of the fabric on SQLite."""
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(base_url=edge, timeout=30, headers=headers) as client:
        yield client


def assert_too_large(response: httpx.Response) -> None:
    error = airtable_error(response, 413)
    assert error["type"] == "REQUEST_TOO_LARGE"
    assert "2 MiB" in error["message"]


async def test_v1_takes_a_body_at_the_limit_and_refuses_one_byte_more(
    http: httpx.AsyncClient,
) -> None:
    def registration() -> dict[str, str]:
        email = f"big-{secrets.token_hex(5)}@example.com"
        return {"email": email, "password": PASSWORD, "name": "Big"}

    at_limit = await http.post(
        "/v1/auth/register", content=padded(registration(), MAX_REQUEST_BYTES)
    )
    assert at_limit.status_code == 200, at_limit.text

    over = await http.post(
        "/v1/auth/register", content=padded(registration(), MAX_REQUEST_BYTES + 1)
    )
    assert_too_large(over)
    # A guarded route is refused the same way, before its token is even looked at.
    token = at_limit.json()["access_token"]
    workspace = padded({"name": "Ops"}, MAX_REQUEST_BYTES + 1)
    assert_too_large(await http.post("/v1/workspaces", content=workspace, headers=bearer(token)))
    assert_too_large(await http.post("/v1/workspaces", content=workspace))


async def test_v0_takes_a_body_at_the_limit_and_refuses_one_byte_more(
    http: httpx.AsyncClient,
) -> None:
    account = await sign_up(http)
    base = await create_base(http, account)
    path = f"/v0/{base['id']}/Tasks"
    records = {"records": [{"fields": {"Name": "Write", "Points": 3}}]}

    # At the limit it passes Envoy and the front alike: the record is made.
    created = await call(
        http, "POST", path, account.pat, content=padded(records, MAX_REQUEST_BYTES)
    )
    assert [r["fields"]["Name"] for r in created["records"]] == ["Write"]

    over = await http.post(
        path, content=padded(records, MAX_REQUEST_BYTES + 1), headers=bearer(account.pat)
    )
    assert_too_large(over)
    # Half as much again is refused too, and nothing more was stored.
    over = await http.post(
        path, content=padded(records, 3 * MAX_REQUEST_BYTES // 2), headers=bearer(account.pat)
    )
    assert_too_large(over)
    listed = await call(http, "GET", path, account.pat)
    assert len(listed["records"]) == 1
