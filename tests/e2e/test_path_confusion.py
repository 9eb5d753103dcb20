"""Path confusion through Envoy: however a /v0 path is spelled (encoded slashes, dot segments,
double encoding, ids in another case), the edge and the /v0 front judge the same base, so a
token never reads a base it was not given: the answer is a 4xx, never that base's data."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass

import httpcore
import httpx
import pytest

from tests.e2e.test_airtable_rest import Account, call, create_base, sign_up

# Each names base B while trying to look like something else; {a} is a base the token may
# use, {b} the one it must not reach, {rec} a record of B.
DISGUISES = {
    "plain": "/v0/{b}/Tasks",
    "encoded slashes": "/v0/{a}%2F..%2F{b}/Tasks",
    "encoded slashes, lower case": "/v0/{a}%2f..%2f{b}/Tasks",
    "encoded dot segment": "/v0/{a}/%2E%2E/{b}/Tasks",
    "half encoded dot segment": "/v0/{a}/.%2e/{b}/Tasks",
    "dot segment, encoded slash": "/v0/{a}/..%2F{b}/Tasks",
    "all encoded": "/v0/{a}%2F%2E%2E%2F{b}/Tasks",
    "dot segments": "/v0/{a}/../{b}/Tasks",
    "dot segments past the table": "/v0/{a}/Tasks/../../{b}/Tasks",
    "current directory": "/v0/./{b}/Tasks",
    "doubled slash": "/v0//{b}/Tasks",
    "double encoded slashes": "/v0/{a}%252F..%252F{b}/Tasks",
    "double encoded dot segment": "/v0/{a}/%252E%252E/{b}/Tasks",
    "encoded backslashes": "/v0/{a}%5C..%5C{b}/Tasks",
    "path parameter": "/v0/{a};/../{b}/Tasks",
    "encoded id": "/v0/%61%70%70{b_rest}/Tasks",
    "upper-case prefix": "/v0/APP{b_rest}/Tasks",
    "upper-case id": "/v0/{b_upper}/Tasks",
    "swapped-case id": "/v0/{b_swapped}/Tasks",
    "a record, dot segments": "/v0/{a}/../{b}/Tasks/{rec}",
    "a record, encoded slashes": "/v0/{a}%2F..%2F{b}/Tasks/{rec}",
    "a record, upper-case id": "/v0/{b_upper}/Tasks/{rec}",
    "schema, dot segments": "/v0/meta/bases/{a}/../{b}/tables",
    "schema, encoded slashes": "/v0/meta/bases/{a}%2F..%2F{b}/tables",
    "schema, double encoded": "/v0/meta/bases/{a}%252F..%252F{b}/tables",
    "schema, upper-case id": "/v0/meta/bases/{b_upper}/tables",
}
# listRecords is a POST: the same disguises on it.
LIST_RECORDS = {
    "listRecords, dot segments": "/v0/{a}/../{b}/Tasks/listRecords",
    "listRecords, encoded slashes": "/v0/{a}%2F..%2F{b}/Tasks/listRecords",
}
# A 429 is waited out and tried again; a base's bucket refills a token every 0.2 s.
RETRIES_ON_429 = 50


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


async def raw_request(
    edge_url: str, method: str, target: str, token: str, body: bytes | None = None
) -> Answer:
    """One request with its target sent as written (httpx would resolve dot segments and
    could re-encode before sending, hiding exactly what is being tested)."""
    url = httpx.URL(edge_url)
    headers = [(b"Authorization", f"Bearer {token}".encode())]
    if body is not None:
        headers.append((b"Content-Type", b"application/json"))
    where = httpcore.URL(scheme=b"http", host=url.host.encode(), port=url.port, target=target)
    async with httpcore.AsyncConnectionPool() as pool:
        for _ in range(RETRIES_ON_429):
            response = await pool.request(method, where, headers=headers, content=body)
            if response.status != 429:
                return Answer(response.status, response.content.decode(errors="replace"))
            await asyncio.sleep(0.2)
    pytest.fail(f"{method} {target}: still 429 after {RETRIES_ON_429} tries")


@dataclass(frozen=True)
class Target:
    """Base B, which the caller must not read, and the words that would show it leaked."""

    base_id: str
    record_id: str
    secret: str


async def base_with_secret(http: httpx.AsyncClient, account: Account) -> Target:
    """A base whose table Tasks has a field and a record named with a fresh secret, so any
    answer carrying its schema or its records is caught."""
    secret = "s" + secrets.token_hex(8)
    fields = [{"name": "Name", "type": "singleLineText"}, {"name": secret, "type": "email"}]
    base = await create_base(http, account, fields)
    created = await call(
        http, "POST", f"/v0/{base['id']}/Tasks", account.pat, json={"fields": {"Name": secret}}
    )
    return Target(base["id"], created["id"], secret)


def disguised(template: str, allowed_base: str, target: Target) -> str:
    b = target.base_id
    return template.format(
        a=allowed_base,
        b=b,
        rec=target.record_id,
        b_rest=b[3:],
        b_upper=b.upper(),
        b_swapped=b.swapcase(),
    )


async def assert_never_reaches(
    edge_url: str, token: str, allowed_base: str, target: Target
) -> None:
    """Every disguise of `target`'s paths gets a 4xx (not a 429) without its secret."""
    leaks = []
    calls: list[tuple[str, str, bytes | None]] = [("GET", t, None) for t in DISGUISES.values()]
    calls += [("POST", template, b"{}") for template in LIST_RECORDS.values()]
    for method, template, body in calls:
        path = disguised(template, allowed_base, target)
        answer = await raw_request(edge_url, method, path, token, body)
        if not 400 <= answer.status < 500 or target.secret in answer.text:
            leaks.append(f"{method} {path}: {answer.status} {answer.text[:200]}")
    assert not leaks, "\n".join(leaks)


async def test_a_token_limited_to_one_base_never_reaches_another_by_its_path(
    edge_url: str, http: httpx.AsyncClient
) -> None:
    account = await sign_up(http)
    allowed = await base_with_secret(http, account)
    forbidden = await base_with_secret(http, account)
    limited = await call(
        http,
        "POST",
        "/v1/auth/tokens",
        account.session["access_token"],
        json={
            "name": "base A only",
            "scopes": ["data.records:read", "schema.bases:read"],
            "base_ids": [allowed.base_id],
        },
    )
    token = limited["token"]
    # The token works where it may: base A's records, by their plain path.
    mine = await raw_request(edge_url, "GET", f"/v0/{allowed.base_id}/Tasks", token)
    assert mine.status == 200, mine.text
    assert allowed.secret in mine.text and forbidden.secret not in mine.text
    await assert_never_reaches(edge_url, token, allowed.base_id, forbidden)


async def test_a_token_of_one_tenant_never_reaches_another_tenants_base_by_its_path(
    edge_url: str, http: httpx.AsyncClient
) -> None:
    owner, stranger = await sign_up(http), await sign_up(http)
    theirs = await base_with_secret(http, owner)
    own = await base_with_secret(http, stranger)
    for token in (stranger.pat, stranger.session["access_token"]):
        await assert_never_reaches(edge_url, token, own.base_id, theirs)
    # The owner still reads it, so the refusals were about who asked.
    listed = await raw_request(edge_url, "GET", f"/v0/{theirs.base_id}/Tasks", owner.pat)
    assert listed.status == 200, listed.text
    assert [r["fields"]["Name"] for r in json.loads(listed.text)["records"]] == [theirs.secret]
