"""The compatibility contract: pyairtable, the popular Airtable client, pointed at our edge
works as it does against Airtable, with a personal access token from auth-service.

pyairtable is synchronous (requests), so each journey runs in a thread while the event loop
keeps serving the fabric, on PostgreSQL, Redis and NATS.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pyairtable import Api
from pyairtable.formulas import GT, Field
from pyairtable.orm import Model
from pyairtable.orm import fields as F
from pyairtable.utils import Url

from tests.e2e.test_airtable_rest import sign_up

CONTACT_FIELDS = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Age", "type": "number", "options": {"precision": 0}},
    {"name": "Active", "type": "checkbox", "options": {"icon": "check", "color": "greenBright"}},
]


@pytest.fixture
async def account(pg_edge: str) -> AsyncIterator[tuple[str, str, str]]:
    """(edge URL, a full-scope PAT, a workspace id) for someone just signed up."""
    async with httpx.AsyncClient(base_url=pg_edge, timeout=10) as http:
        signed_up = await sign_up(http)
    yield pg_edge, signed_up.pat, signed_up.workspace_id


def schema_and_records(edge: str, pat: str, workspace_id: str) -> None:
    api = Api(pat, endpoint_url=edge)
    base = api.workspace(workspace_id).create_base(
        "CRM", [{"name": "Contacts", "fields": CONTACT_FIELDS}]
    )
    assert base.name == "CRM" and base.id.startswith("app")
    assert base.id in [b.id for b in api.bases()]
    schema = base.schema()
    contacts_schema = schema.table("Contacts")
    assert [f.name for f in contacts_schema.fields] == ["Name", "Age", "Active"]
    assert contacts_schema.primary_field_id == contacts_schema.fields[0].id

    deals = base.create_table(
        "Deals", [{"name": "Title", "type": "singleLineText"}], description="Money"
    )
    assert deals.schema().description == "Money"
    table = base.table("Contacts")
    email = table.create_field("Email", "email", description="Work address")
    assert (email.name, email.type) == ("Email", "email")
    assert "Email" in [f.name for f in table.schema(force=True).fields]

    ada = table.create({"Name": "Ada", "Age": 36, "Email": "ada@example.com"})
    assert ada["id"].startswith("rec") and ada["fields"]["Age"] == 36
    people = table.batch_create(
        [{"Name": f"Person {i:02d}", "Age": 20 + i, "Active": i % 2 == 0} for i in range(12)]
    )
    assert len(people) == 12

    everyone = table.all()
    assert len(everyone) == 13
    oldest = table.all(sort=["-Age"], fields=["Name", "Age"], max_records=2)
    assert [r["fields"] for r in oldest] == [
        {"Name": "Ada", "Age": 36},
        {"Name": "Person 11", "Age": 31},
    ]
    over_30 = table.all(formula=GT(Field("Age"), 30), sort=["Name"])
    assert [r["fields"]["Name"] for r in over_30] == ["Ada", "Person 11"]
    assert len(table.all(formula="{Active}")) == 6
    pages = list(table.iterate(page_size=5))
    assert [len(p) for p in pages] == [5, 5, 3]
    first = table.first(formula="{Name} = 'Ada'")
    assert first is not None and first["id"] == ada["id"]
    assert table.get(ada["id"])["fields"]["Email"] == "ada@example.com"

    updated = table.update(ada["id"], {"Age": 37})
    assert updated["fields"]["Age"] == 37
    replaced = table.update(ada["id"], {"Name": "Ada L."}, replace=True)
    assert replaced["fields"] == {"Name": "Ada L."}
    batch = table.batch_update([{"id": p["id"], "fields": {"Active": True}} for p in people])
    assert all(r["fields"]["Active"] for r in batch)
    upserted = table.batch_upsert(
        [{"fields": {"Name": "Person 00", "Age": 99}}, {"fields": {"Name": "Grace", "Age": 85}}],
        key_fields=["Name"],
    )
    assert upserted["updatedRecords"] == [people[0]["id"]]
    assert len(upserted["createdRecords"]) == 1

    assert table.delete(ada["id"]) == {"id": ada["id"], "deleted": True}
    deleted = table.batch_delete([p["id"] for p in people])
    assert len(deleted) == 12 and all(d["deleted"] for d in deleted)
    assert [r["fields"]["Name"] for r in table.all()] == ["Grace"]
    deals.create({"Title": "Big one"})
    assert len(deals.all()) == 1


def orm_models(edge: str, pat: str, workspace_id: str) -> None:
    api = Api(pat, endpoint_url=edge)
    base = api.workspace(workspace_id).create_base(
        "People", [{"name": "Contacts", "fields": CONTACT_FIELDS}]
    )

    class Contact(Model):
        name = F.TextField("Name")
        age = F.IntegerField("Age")
        active = F.CheckboxField("Active")

        class Meta:
            base_id = base.id
            table_name = "Contacts"
            api_key = pat

    # Model.Meta has no endpoint setting: the ORM's Api is pointed at our edge.
    Contact.meta.api.endpoint_url = Url(edge)

    ada = Contact(name="Ada", age=36, active=True)
    ada.save()
    assert ada.id.startswith("rec") and ada.created_time is not None
    Contact(name="Grace", age=85).save()
    assert sorted(c.name for c in Contact.all()) == ["Ada", "Grace"]
    first = Contact.first(formula="{Name} = 'Grace'")
    assert first is not None and (first.age, first.active) == (85, False)
    ada.age = 37
    ada.save()
    fetched = Contact.from_id(ada.id, fetch=True)
    assert (fetched.name, fetched.age, fetched.active) == ("Ada", 37, True)
    ada.delete()
    assert [c.name for c in Contact.all()] == ["Grace"]


async def test_pyairtable_manages_schema_and_records(account: tuple[str, str, str]) -> None:
    await asyncio.to_thread(schema_and_records, *account)


async def test_pyairtable_orm_saves_finds_and_deletes_models(account: tuple[str, str, str]) -> None:
    await asyncio.to_thread(orm_models, *account)
