"""SchemaService's REST routes through a real Envoy: the http annotations, transcoded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.test_rest import register


@pytest.fixture
async def client(edge_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=edge_url, timeout=10) as http:
        registered = await register(http)
        http.headers["Authorization"] = f"Bearer {registered['access_token']}"
        yield http


async def test_tables_and_fields_over_rest(client: httpx.AsyncClient) -> None:
    workspace = (await client.post("/v1/workspaces", json={"name": "W"})).json()["workspace"]
    created = await client.post(f"/v1/workspaces/{workspace['id']}/bases", json={"name": "B"})
    assert created.status_code == 200, created.text
    base_id = created.json()["base"]["id"]

    spec = {"name": "Tasks", "fields": [{"name": "Name", "type": "singleLineText"}]}
    made = await client.post(f"/v1/bases/{base_id}/tables", json={"tables": [spec]})
    assert made.status_code == 200, made.text
    table = made.json()["tables"][0]
    field = await client.post(
        f"/v1/bases/{base_id}/tables/{table['id']}/fields",
        json={"field": {"name": "Size", "type": "number", "options": {"precision": 1}}},
    )
    assert field.status_code == 200, field.text
    assert field.json()["field"]["options"] == {"precision": 1}
    got = await client.get(f"/v1/bases/{base_id}/tables/Tasks")
    assert [f["name"] for f in got.json()["table"]["fields"]] == ["Name", "Size"]

    bad = await client.post(
        f"/v1/bases/{base_id}/tables/{table['id']}/fields",
        json={"field": {"name": "Odd", "type": "hologram"}},
    )
    assert bad.status_code == 400, bad.text
    missing = await client.get(f"/v1/bases/{base_id}/tables/Nope")
    assert missing.status_code == 404, missing.text


async def test_a_view_is_updated_over_rest_by_a_mask_of_json_names(
    client: httpx.AsyncClient,
) -> None:
    workspace = (await client.post("/v1/workspaces", json={"name": "W"})).json()["workspace"]
    base = await client.post(f"/v1/workspaces/{workspace['id']}/bases", json={"name": "B"})
    base_id = base.json()["base"]["id"]
    spec = {"name": "Tasks", "fields": [{"name": "Name", "type": "singleLineText"}]}
    table = (await client.post(f"/v1/bases/{base_id}/tables", json={"tables": [spec]})).json()
    table_id, view = table["tables"][0]["id"], table["tables"][0]["views"][0]
    url = f"/v1/bases/{base_id}/tables/{table_id}/views/{view['id']}"

    changed = await client.patch(
        url,
        json={"name": "Open", "filter_by_formula": "{Name} != ''", "sorts": [{"field_id": "x"}],
              "update_mask": "name,filterByFormula"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    shown = changed.json()["view"]
    assert (shown["name"], shown["filter_by_formula"]) == ("Open", "{Name} != ''")
    assert shown.get("sorts", []) == []

    bad = await client.patch(
        url, json={"filter_by_formula": "{Nope}", "update_mask": "filterByFormula"}
    )
    assert bad.status_code == 400, bad.text
    assert "Nope" in bad.json()["message"]
    unknown = await client.patch(url, json={"update_mask": "type"})
    assert unknown.status_code == 400, unknown.text
    assert "'type'" in unknown.json()["message"]
