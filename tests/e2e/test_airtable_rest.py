"""Airtable's Web API at /v0, as raw HTTP through Envoy: every route, good and bad input, PAT
scopes, tenants kept apart, and the rate limit, all in Airtable's statuses and bodies."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import httpx
import pytest

from services.api_gateway.limits import MAX_HOLD_S
from tests.e2e.test_gateway import bearer, register

EVERY_SCOPE = [
    "data.records:read",
    "data.records:write",
    "schema.bases:read",
    "schema.bases:write",
]
# The fields of the table most tests use.
TASK_FIELDS = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Points", "type": "number", "options": {"precision": 0}},
    {"name": "Done", "type": "checkbox", "options": {"icon": "check", "color": "greenBright"}},
]


class Account:
    """Someone signed up in a tenant of their own, with a workspace and a full-scope PAT."""

    def __init__(self, session: dict[str, Any], workspace_id: str, pat: str) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.pat = pat

    @property
    def user_id(self) -> str:
        user_id: str = self.session["user"]["id"]
        return user_id


# A base's bucket refills a token every 0.2 s; 50 tries span 10 s, far longer than a test's
# own requests can keep it empty.
RETRIES_ON_429 = 50


async def send(
    http: httpx.AsyncClient, method: str, path: str, token: str, **kwargs: Any
) -> httpx.Response:
    """One request as a well-behaved client makes it: over a rate limit, wait and try again.
    (Airtable allows 5 requests a second per base; the limit itself is tested below.)"""
    headers = {**bearer(token), **kwargs.pop("headers", {})}
    for _ in range(RETRIES_ON_429):
        response = await http.request(method, path, headers=headers, **kwargs)
        if response.status_code != 429:
            return response
        await asyncio.sleep(0.2)
    pytest.fail(f"{method} {path}: still 429 after {RETRIES_ON_429} tries: {response.text}")


async def call(
    http: httpx.AsyncClient, method: str, path: str, token: str, expect: int = 200, **kwargs: Any
) -> Any:
    response = await send(http, method, path, token, **kwargs)
    assert response.status_code == expect, (
        f"{method} {path}: {response.status_code} {response.text}"
    )
    return response.json()


def airtable_error(response: httpx.Response, status: int) -> dict[str, str]:
    """The `{"error": {"type", "message"}}` body Airtable answers a failure with."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}, body
    error: dict[str, str] = body["error"]
    return error


async def personal_token(http: httpx.AsyncClient, session_token: str, scopes: list[str]) -> str:
    created = await call(
        http, "POST", "/v1/auth/tokens", session_token, json={"name": "rest", "scopes": scopes}
    )
    token: str = created["token"]
    return token


async def sign_up(http: httpx.AsyncClient) -> Account:
    session = await register(http)
    token = session["access_token"]
    workspace = await call(http, "POST", "/v1/workspaces", token, json={"name": "Ops"})
    return Account(
        session, workspace["workspace"]["id"], await personal_token(http, token, EVERY_SCOPE)
    )


async def create_base(
    http: httpx.AsyncClient, account: Account, fields: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A base with one table, "Tasks"."""
    base: dict[str, Any] = await call(
        http,
        "POST",
        "/v0/meta/bases",
        account.pat,
        json={
            "name": "Sprint",
            "workspaceId": account.workspace_id,
            "tables": [{"name": "Tasks", "fields": fields or TASK_FIELDS}],
        },
    )
    return base


async def test_a_token_limited_to_one_base_lists_only_that_base(
    http: httpx.AsyncClient,
) -> None:
    account = await sign_up(http)
    first, second = await create_base(http, account), await create_base(http, account)
    limited = await call(
        http,
        "POST",
        "/v1/auth/tokens",
        account.session["access_token"],
        json={"name": "one", "scopes": ["schema.bases:read"], "base_ids": [second["id"]]},
    )
    listed = await call(http, "GET", "/v0/meta/bases", limited["token"])
    assert [b["id"] for b in listed["bases"]] == [second["id"]]
    everything = await call(http, "GET", "/v0/meta/bases", account.pat)
    assert {b["id"] for b in everything["bases"]} == {first["id"], second["id"]}


async def test_the_metadata_api_creates_and_describes_bases_tables_and_fields(
    http: httpx.AsyncClient,
) -> None:
    account = await sign_up(http)
    base = await create_base(http, account)
    assert base["id"].startswith("app")
    (tasks,) = base["tables"]
    assert [f["name"] for f in tasks["fields"]] == ["Name", "Points", "Done"]
    assert tasks["primaryFieldId"] == tasks["fields"][0]["id"]
    assert tasks["fields"][1]["options"] == {"precision": 0}

    listed = await call(http, "GET", "/v0/meta/bases", account.pat)
    assert listed == {"bases": [{"id": base["id"], "name": "Sprint", "permissionLevel": "create"}]}
    past_the_end = await call(http, "GET", "/v0/meta/bases", account.pat, params={"offset": "1"})
    assert past_the_end == {"bases": []}

    meta = f"/v0/meta/bases/{base['id']}/tables"
    table = await call(
        http,
        "POST",
        meta,
        account.pat,
        json={
            "name": "People",
            "description": "Who",
            "fields": [{"name": "Name", "type": "email"}],
        },
    )
    assert (table["name"], table["description"]) == ("People", "Who")
    # A table is named by its id or its name.
    renamed = await call(http, "PATCH", f"{meta}/People", account.pat, json={"name": "Staff"})
    assert (renamed["id"], renamed["name"]) == (table["id"], "Staff")
    field = await call(
        http,
        "POST",
        f"{meta}/{table['id']}/fields",
        account.pat,
        json={"name": "Notes", "type": "multilineText", "description": "Anything"},
    )
    assert (field["name"], field["type"], field["description"]) == (
        "Notes",
        "multilineText",
        "Anything",
    )
    changed = await call(
        http, "PATCH", f"{meta}/Staff/fields/{field['id']}", account.pat, json={"name": "Remarks"}
    )
    assert (changed["id"], changed["name"]) == (field["id"], "Remarks")

    schema = await call(http, "GET", meta, account.pat, params={"include": "visibleFieldIds"})
    assert [t["name"] for t in schema["tables"]] == ["Tasks", "Staff"]
    staff = schema["tables"][1]
    assert [f["name"] for f in staff["fields"]] == ["Name", "Remarks"]
    assert "description" not in staff["fields"][0] and "options" not in staff["fields"][0]
    (view,) = staff["views"]
    assert view["type"] == "grid"
    assert view["visibleFieldIds"] == [f["id"] for f in staff["fields"]]


async def test_records_are_created_listed_read_updated_upserted_and_deleted(
    http: httpx.AsyncClient,
) -> None:
    account = await sign_up(http)
    base = await create_base(http, account)
    records = f"/v0/{base['id']}/Tasks"
    pat = account.pat

    one = await call(http, "POST", records, pat, json={"fields": {"Name": "Plan", "Points": 3}})
    assert one["id"].startswith("rec") and one["fields"] == {"Name": "Plan", "Points": 3}
    assert len(one["createdTime"]) == 24 and one["createdTime"].endswith("Z")
    batch = await call(
        http,
        "POST",
        records,
        pat,
        json={
            "records": [
                {"fields": {"Name": name, "Points": points, "Done": points > 4}}
                for name, points in [("Build", 8), ("Test", 5), ("Ship", 1)]
            ],
            "typecast": True,
        },
    )
    assert [r["fields"]["Name"] for r in batch["records"]] == ["Build", "Test", "Ship"]
    assert batch["records"][0]["fields"]["Done"] is True
    assert "Done" not in batch["records"][2]["fields"]

    # Paging, sort and the fields chosen, as Airtable's clients write them in the query.
    query = {"pageSize": "2", "sort[0][field]": "Points", "sort[0][direction]": "desc"}
    first = await call(http, "GET", records, pat, params={**query, "fields[]": "Name"})
    assert [r["fields"] for r in first["records"]] == [{"Name": "Build"}, {"Name": "Test"}]
    rest = await call(
        http, "GET", records, pat, params={**query, "fields[]": "Name", "offset": first["offset"]}
    )
    assert [r["fields"]["Name"] for r in rest["records"]] == ["Plan", "Ship"]
    assert "offset" not in rest
    limited = await call(http, "GET", records, pat, params={"maxRecords": "1", **query})
    assert [r["fields"]["Name"] for r in limited["records"]] == ["Build"]
    by_formula = await call(
        http,
        "GET",
        records,
        pat,
        params={"filterByFormula": "{Points} > 4", "returnFieldsByFieldId": "1"},
    )
    name_id = base["tables"][0]["fields"][0]["id"]
    assert sorted(r["fields"][name_id] for r in by_formula["records"]) == ["Build", "Test"]
    # listRecords: the same options in a JSON body.
    posted = await call(
        http,
        "POST",
        f"{records}/listRecords",
        pat,
        json={"filterByFormula": "{Done}", "sort": [{"field": "Name"}], "fields": ["Name"]},
    )
    assert [r["fields"] for r in posted["records"]] == [{"Name": "Build"}, {"Name": "Test"}]

    # A view by name, and every value as the string Airtable's UI shows.
    as_strings = await call(
        http,
        "GET",
        records,
        pat,
        params={
            "view": "Grid view",
            "fields": "Points",
            "cellFormat": "string",
            "timeZone": "Europe/Paris",
            "userLocale": "en-gb",
        },
    )
    assert sorted(r["fields"]["Points"] for r in as_strings["records"]) == ["1", "3", "5", "8"]

    got = await call(http, "GET", f"{records}/{one['id']}", pat)
    assert got == one

    patched = await call(
        http, "PATCH", f"{records}/{one['id']}", pat, json={"fields": {"Done": True}}
    )
    assert patched["fields"] == {"Name": "Plan", "Points": 3, "Done": True}
    put = await call(http, "PUT", f"{records}/{one['id']}", pat, json={"fields": {"Name": "Plan"}})
    assert put["fields"] == {"Name": "Plan"}
    updated = await call(
        http,
        "PATCH",
        records,
        pat,
        json={"records": [{"id": r["id"], "fields": {"Points": 2}} for r in batch["records"][:2]]},
    )
    assert [r["fields"]["Points"] for r in updated["records"]] == [2, 2]

    upserted = await call(
        http,
        "PATCH",
        records,
        pat,
        json={
            "performUpsert": {"fieldsToMergeOn": ["Name"]},
            "records": [
                {"fields": {"Name": "Ship", "Points": 13}},
                {"fields": {"Name": "Celebrate", "Points": 1}},
            ],
        },
    )
    assert upserted["updatedRecords"] == [batch["records"][2]["id"]]
    (created_id,) = upserted["createdRecords"]
    assert [r["fields"]["Points"] for r in upserted["records"]] == [13, 1]

    deleted = await call(http, "DELETE", f"{records}/{one['id']}", pat)
    assert deleted == {"id": one["id"], "deleted": True}
    gone = [batch["records"][0]["id"], created_id]
    deleted_many = await call(http, "DELETE", records, pat, params=[("records[]", i) for i in gone])
    assert deleted_many == {"records": [{"id": i, "deleted": True} for i in gone]}
    left = await call(http, "GET", records, pat)
    assert sorted(r["fields"]["Name"] for r in left["records"]) == ["Ship", "Test"]
    missing = await send(http, "GET", f"{records}/{one['id']}", pat)
    assert (missing.status_code, missing.json()) == (404, {"error": "NOT_FOUND"})


async def test_bad_requests_get_422_with_airtable_bodies(http: httpx.AsyncClient) -> None:
    account = await sign_up(http)
    base = await create_base(http, account)
    records = f"/v0/{base['id']}/Tasks"
    ten_plus_one = {"records": [{"fields": {"Name": str(i)}} for i in range(11)]}
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", records, {"content": b"{not json"}, "not valid JSON"),
        ("POST", records, {"json": ["a list"]}, "JSON object"),
        ("POST", records, {"json": ten_plus_one}, "at most 10"),
        ("POST", records, {"json": {"records": []}}, "non-empty"),
        ("POST", records, {"json": {"fields": {"Name": "x"}, "typecast": "yes"}}, "true or false"),
        ("POST", records, {"json": {"fields": "Name"}}, "JSON object"),
        ("POST", records, {"json": {"fields": {}, "surprise": 1}}, "'surprise'"),
        ("PATCH", records, {"json": {"records": [{"fields": {"Name": "x"}}]}}, "'id'"),
        ("GET", records, {"params": {"pageSize": "many"}}, "'pageSize'"),
        (
            "GET",
            records,
            {"params": {"sort[0][direction]": "sideways", "sort[0][field]": "Name"}},
            "direction",
        ),
        ("GET", records, {"params": {"cellFormat": "xml"}}, "'cellFormat'"),
        ("GET", records, {"params": {"colour": "red"}}, "'colour'"),
        ("POST", f"{records}/listRecords", {"json": {"pageSize": "2"}}, "'pageSize'"),
        ("DELETE", records, {}, "records[]"),
        (
            "POST",
            "/v0/meta/bases",
            {"json": {"name": "B", "workspaceId": account.workspace_id}},
            "'tables'",
        ),
        ("GET", "/v0/meta/bases", {"params": {"offset": "soon"}}, "'offset'"),
    ]
    for method, path, kwargs, said in cases:
        error = airtable_error(await send(http, method, path, account.pat, **kwargs), 422)
        assert error["type"] == "INVALID_REQUEST_UNKNOWN", (method, path, kwargs)
        assert said in error["message"], (said, error)
    # What only the services can tell, with the type they give.
    unknown_field = await send(http, "POST", records, account.pat, json={"fields": {"Nope": 1}})
    assert airtable_error(unknown_field, 422)["type"] == "UNKNOWN_FIELD_NAME"
    bad_value = await send(http, "POST", records, account.pat, json={"fields": {"Points": "many"}})
    assert airtable_error(bad_value, 422)["type"] == "INVALID_VALUE_FOR_COLUMN"
    no_table = await send(http, "GET", f"/v0/{base['id']}/Nope", account.pat)
    assert airtable_error(no_table, 404)["type"] == "TABLE_NOT_FOUND"
    # A base whose tables are refused is not left behind.
    refused = await send(
        http,
        "POST",
        "/v0/meta/bases",
        account.pat,
        json={
            "name": "Bad",
            "workspaceId": account.workspace_id,
            "tables": [{"name": "T", "fields": [{"name": "X", "type": "nonsense"}]}],
        },
    )
    assert airtable_error(refused, 422)["type"] == "INVALID_FIELD_TYPE"
    listed = await call(http, "GET", "/v0/meta/bases", account.pat)
    assert [b["name"] for b in listed["bases"]] == ["Sprint"]
    nowhere = await send(
        http, "GET", f"/v0/{base['id']}/Tasks/{secrets.token_hex(3)}/more", account.pat
    )
    assert (nowhere.status_code, nowhere.json()) == (404, {"error": "NOT_FOUND"})


async def test_a_read_only_token_reads_but_cannot_write(http: httpx.AsyncClient) -> None:
    account = await sign_up(http)
    base = await create_base(http, account)
    records = f"/v0/{base['id']}/Tasks"
    await call(http, "POST", records, account.pat, json={"fields": {"Name": "Plan"}})
    reader = await personal_token(
        http, account.session["access_token"], ["data.records:read", "schema.bases:read"]
    )
    assert len((await call(http, "GET", records, reader))["records"]) == 1
    assert (await call(http, "GET", f"/v0/meta/bases/{base['id']}/tables", reader))["tables"]
    for method, path, body in [
        ("POST", records, {"fields": {"Name": "x"}}),
        ("DELETE", records, None),
        (
            "POST",
            "/v0/meta/bases",
            {"name": "B", "workspaceId": account.workspace_id, "tables": []},
        ),
        ("POST", f"/v0/meta/bases/{base['id']}/tables", {"name": "T", "fields": []}),
    ]:
        error = airtable_error(await send(http, method, path, reader, json=body), 403)
        assert error["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"


async def test_another_tenant_neither_sees_nor_touches_a_base(http: httpx.AsyncClient) -> None:
    owner, stranger = await sign_up(http), await sign_up(http)
    base = await create_base(http, owner)
    record = await call(
        http, "POST", f"/v0/{base['id']}/Tasks", owner.pat, json={"fields": {"Name": "Secret"}}
    )
    assert (await call(http, "GET", "/v0/meta/bases", stranger.pat)) == {"bases": []}
    attempts = [
        ("GET", f"/v0/{base['id']}/Tasks", None),
        ("GET", f"/v0/{base['id']}/Tasks/{record['id']}", None),
        ("POST", f"/v0/{base['id']}/Tasks", {"fields": {"Name": "Mine"}}),
        ("PATCH", f"/v0/{base['id']}/Tasks/{record['id']}", {"fields": {"Name": "Mine"}}),
        ("DELETE", f"/v0/{base['id']}/Tasks/{record['id']}", None),
        ("GET", f"/v0/meta/bases/{base['id']}/tables", None),
        (
            "POST",
            f"/v0/meta/bases/{base['id']}/tables",
            {"name": "T", "fields": [{"name": "A", "type": "singleLineText"}]},
        ),
    ]
    for method, path, body in attempts:
        response = await send(http, method, path, stranger.pat, json=body)
        assert response.status_code in (403, 404), (method, path, response.text)
        assert "error" in response.json()
    # Identity headers a client sends are dropped at the edge, whatever they claim.
    spoofed = await send(
        http,
        "GET",
        f"/v0/{base['id']}/Tasks",
        stranger.pat,
        headers={
            "x-pyat-tenant-id": owner.session["user"]["tenant_id"],
            "x-pyat-user-id": owner.user_id,
        },
    )
    assert spoofed.status_code in (403, 404)
    # The owner's record is untouched.
    still = await call(http, "GET", f"/v0/{base['id']}/Tasks/{record['id']}", owner.pat)
    assert still["fields"] == {"Name": "Secret"}


async def test_a_burst_over_a_base_limit_gets_airtables_429(http: httpx.AsyncClient) -> None:
    account = await sign_up(http)
    base = await create_base(http, account)
    # A base's bucket gives 5 at once and holds MAX_HOLD_S seconds' worth more for their
    # tokens; a burst past that is refused. Sent again if a loaded machine spread it too thin.
    size = int(5 + 5 * MAX_HOLD_S) + 15
    deadline = time.monotonic() + 30
    limited = None
    while limited is None:
        assert time.monotonic() < deadline, "no request was ever limited in 30 s of bursts"
        burst = await asyncio.gather(
            *(http.get(f"/v0/{base['id']}/Tasks", headers=bearer(account.pat)) for _ in range(size))
        )
        assert {r.status_code for r in burst} <= {200, 429}
        limited = next((r for r in burst if r.status_code == 429), None)
    assert airtable_error(limited, 429)["type"] == "RATE_LIMIT_REACHED"
