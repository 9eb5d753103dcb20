"""web-bff's GetGridRows through Envoy: the query string (repeated `sort`, `start`, `page_size`)
reaches it, bad input is a 400, and another tenant gets nothing."""

from __future__ import annotations

import httpx

from tests.e2e.test_airtable_rest import call, create_base, sign_up
from tests.e2e.test_gateway import bearer


async def test_rows_at_any_position_through_the_edge(http: httpx.AsyncClient) -> None:
    account = await sign_up(http)
    token = account.session["access_token"]
    base = await create_base(http, account)
    table = base["tables"][0]
    name_id = table["fields"][0]["id"]
    created = [{"fields": {"Name": f"Task {n}"}} for n in range(6)]
    await call(
        http, "POST", f"/v0/{base['id']}/{table['id']}", account.pat, json={"records": created}
    )
    path = f"/v1/web/bases/{base['id']}/tables/{table['id']}"

    grid = await call(http, "GET", f"{path}/grid?page_size=2", token)
    assert grid["total"] == 6
    query = {"sort": [f"-{name_id}"], "start": "1", "page_size": "3", "filter_by_formula": "1"}
    window = await call(http, "GET", f"{path}/rows", token, params=query)
    assert [r["fields"][name_id] for r in window["records"]] == ["Task 4", "Task 3", "Task 2"]
    assert window["total"] == 6

    bad = await http.get(f"{path}/rows", params={"sort": "fldNope"}, headers=bearer(token))
    assert bad.status_code == 400 and "fldNope" in bad.text
    assert (await http.get(f"{path}/rows?start=-1", headers=bearer(token))).status_code == 400
    stranger = (await sign_up(http)).session["access_token"]
    hidden = await http.get(f"{path}/rows", headers=bearer(stranger))
    assert hidden.status_code in (403, 404) and "Task" not in hidden.text
