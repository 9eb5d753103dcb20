"""Sign-in lockout through Envoy: keyed by the address Envoy saw, never by what a client wrote
in X-Forwarded-For, with a ceiling per email for guessing spread over many addresses.

Each client here connects from its own loopback address (Linux routes all of 127.0.0.0/8 to
`lo`), so Envoy sees distinct peers, as it would distinct machines.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

PASSWORD = "correct-horse-9"
WRONG = "guess-number-1"

ClientAt = Callable[[str], httpx.AsyncClient]


def _loopback_aliases_work() -> bool:
    try:
        with socket.socket() as sock:
            sock.bind(("127.0.0.2", 0))
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _loopback_aliases_work(), reason="needs 127.0.0.2 and up on loopback (Linux has them)"
)


@pytest.fixture
async def client_at(edge_url: str) -> AsyncIterator[ClientAt]:
    """HTTP clients of the edge, each connecting from the loopback address it is given."""
    clients: list[httpx.AsyncClient] = []

    def at(address: str) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=address)
        clients.append(httpx.AsyncClient(base_url=edge_url, transport=transport, timeout=10))
        return clients[-1]

    yield at
    for client in clients:
        await client.aclose()


async def sign_up(client: httpx.AsyncClient) -> str:
    email = f"owner-{secrets.token_hex(5)}@example.com"
    response = await client.post(
        "/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Owner"}
    )
    assert response.status_code == 200, response.text
    return email


async def sign_in(
    client: httpx.AsyncClient,
    email: str,
    password: str,
    expect: int,
    headers: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )
    assert response.status_code == expect, f"{response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    return body


def reason(body: dict[str, Any]) -> str:
    """The google.rpc.ErrorInfo reason in a google.rpc.Status body."""
    reasons = [d.get("reason", "") for d in body.get("details", []) if "ErrorInfo" in d["@type"]]
    return reasons[0] if reasons else ""


async def test_a_stranger_locked_out_does_not_keep_the_owner_out(client_at: ClientAt) -> None:
    stranger, owner = client_at("127.0.0.2"), client_at("127.0.0.3")
    email = await sign_up(owner)
    for _ in range(5):
        await sign_in(stranger, email, WRONG, 401)
    locked = await sign_in(stranger, email, PASSWORD, 429)
    assert "from your address; try again in 15 minutes" in locked["message"]
    assert reason(locked) == "LOGIN_LOCKED"
    signed_in = await sign_in(owner, email, PASSWORD, 200)
    assert signed_in["user"]["email"] == email and signed_in["access_token"]


async def test_what_a_client_writes_in_x_forwarded_for_changes_nothing(
    client_at: ClientAt,
) -> None:
    stranger, owner = client_at("127.0.0.4"), client_at("127.0.0.5")
    email = await sign_up(owner)
    # The stranger claims a new address on every try, the owner's among them, in one header
    # or in several; Envoy appends the peer it saw, and that is what counts.
    for n in range(5):
        claims = [("X-Forwarded-For", f"192.0.2.{n}"), ("X-Forwarded-For", "127.0.0.5")]
        await sign_in(stranger, email, WRONG, 401, headers=claims[: 1 + n % 2])
    await sign_in(stranger, email, PASSWORD, 429, headers=[("X-Forwarded-For", "192.0.2.99")])
    # So the stranger is locked out and the owner, whose address was only named, is not.
    await sign_in(owner, email, PASSWORD, 200)
    # Nor can the owner borrow an address to get round a lockout of their own.
    for _ in range(5):
        await sign_in(owner, email, WRONG, 401)
    await sign_in(owner, email, PASSWORD, 429, headers=[("X-Forwarded-For", "127.0.0.6")])


async def test_guessing_from_many_addresses_locks_the_email_for_everyone(
    client_at: ClientAt,
) -> None:
    owner = client_at("127.0.1.100")
    email = await sign_up(owner)
    attackers = [client_at(f"127.0.1.{n}") for n in range(1, 11)]
    # Nine addresses, five guesses each: 45 failures, and each address is locked out.
    for attacker in attackers[:9]:
        for _ in range(5):
            await sign_in(attacker, email, WRONG, 401)
        await sign_in(attacker, email, WRONG, 429)
    # Below the ceiling of 50 per email, the owner still signs in; which doesn't reset it.
    await sign_in(owner, email, PASSWORD, 200)
    for _ in range(5):
        await sign_in(attackers[9], email, WRONG, 401)
    # The fiftieth failure locked the email: for the owner too, from any address.
    for client in (owner, client_at("127.0.1.101")):
        locked = await sign_in(client, email, PASSWORD, 429)
        assert "locked for everyone; try again in 15 minutes" in locked["message"]
        assert reason(locked) == "EMAIL_LOCKED"
