"""The web app's routes through Envoy: its files at the root, the OpenAPI document, the
screens of web-bff as REST, and the live change feed as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.e2e.test_airtable_rest import call, create_base, sign_up
from tests.e2e.test_gateway import bearer

# A change reaches the feed within a second; this is how long a test waits for it at most.
FEED_WAIT_S = 15.0


async def test_the_root_serves_the_web_app_and_the_api_document(http: httpx.AsyncClient) -> None:
    page = await http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>PyAirtable</title>" in page.text
    # A route of the app (no file of that name) is the app too.
    assert (await http.get("/bases/appXXXXXXXXXXXXXX")).status_code == 200
    document = await http.get("/openapi.json")
    assert document.status_code == 200
    assert "/v1/web/home" in document.json()["paths"]
    # API paths never fall through to the app.
    for path in ("/v1/nothing-here", "/v0", "/pyat.user.v1.UserService/CreateUser"):
        assert (await http.get(path)).status_code == 404, path


async def test_home_and_grid_are_one_call_each(http: httpx.AsyncClient) -> None:
    account = await sign_up(http)
    token = account.session["access_token"]
    base = await create_base(http, account)
    table = base["tables"][0]
    path = f"/v0/{base['id']}/{table['id']}"
    await call(http, "POST", path, account.pat, json={"records": [{"fields": {"Name": "One"}}]})

    home = await call(http, "GET", "/v1/web/home", token)
    [workspace] = home["workspaces"]
    assert [b["id"] for b in workspace["bases"]] == [base["id"]]
    assert home["me"]["user_id"] == account.user_id
    grid = await call(http, "GET", f"/v1/web/bases/{base['id']}/tables/{table['id']}/grid", token)
    assert grid["table"]["id"] == table["id"]
    assert grid["role"] == "ROLE_OWNER"
    [record] = grid["records"]
    assert set(record["fields"]) <= {field["id"] for field in grid["table"]["fields"]}
    assert grid["cursor"]
    # A PAT is not a session: the screens are the web app's.
    refused = await http.get("/v1/web/home", headers=bearer(account.pat))
    assert refused.status_code in (401, 403)


async def test_the_change_feed_arrives_as_server_sent_events(http: httpx.AsyncClient) -> None:
    account = await sign_up(http)
    token = account.session["access_token"]
    base = await create_base(http, account)
    table = base["tables"][0]
    feed = f"/v1/web/bases/{base['id']}/tables/{table['id']}/changes"
    records = f"/v0/{base['id']}/{table['id']}"
    seen: list[dict[str, Any]] = []
    following_now = asyncio.Event()

    async def follow() -> None:
        async with http.stream("GET", feed, headers=bearer(token), timeout=None) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            async for line in answer.aiter_lines():
                if line.startswith("data:"):
                    message = json.loads(line.removeprefix("data:"))
                    seen.append(message)
                    following_now.set()
                    if message.get("change"):
                        return

    following = asyncio.create_task(follow())
    # The stream's first message says it is following; then the write is sure to be seen.
    async with asyncio.timeout(FEED_WAIT_S):
        await following_now.wait()
    created = await call(
        http, "POST", records, account.pat, json={"records": [{"fields": {"Name": "Live"}}]}
    )
    async with asyncio.timeout(FEED_WAIT_S):
        await following
    change = seen[-1]["change"]
    assert change["kind"] == "CHANGE_KIND_CREATED"
    assert change["record_id"] == created["records"][0]["id"]
    assert seen[-1]["cursor"]


async def test_another_tenant_cannot_watch_a_table(http: httpx.AsyncClient) -> None:
    owner, stranger = await sign_up(http), await sign_up(http)
    base = await create_base(http, owner)
    feed = f"/v1/web/bases/{base['id']}/tables/{base['tables'][0]['id']}/changes"
    token = stranger.session["access_token"]
    async with http.stream("GET", feed, headers=bearer(token)) as answer:
        body = (await answer.aread()).decode()
    # Envoy answers a stream that ends before its first message with the gRPC status.
    assert answer.status_code in (403, 404), body
    assert "Live" not in body
