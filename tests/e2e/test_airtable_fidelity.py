"""Where real Airtable clients found us unlike Airtable, through pyairtable and Envoy: every
time zone name Airtable supports with any list option, upserts of records with no value to
merge on, and base and workspace information with their collaborators.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import requests
from pyairtable import Api

from services.shared.errors import InvalidArgument
from services.shared.time_zones import time_zone
from tests.e2e.test_airtable_rest import (
    EVERY_SCOPE,
    Account,
    call,
    create_base,
    personal_token,
    sign_up,
)
from tests.e2e.test_gateway import PASSWORD

WORKSPACES_READ = "workspacesAndBases:read"
LAUNCH = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.UTC)
REVIEW = dt.datetime(2024, 1, 16, 8, 30, tzinfo=dt.UTC)
# Names from Airtable's list: its lower-case 'utc' in any case, and IANA names, among them
# links the tz database keeps for old names (Europe/Kiev, Asia/Rangoon, America/Godthab).
TIME_ZONES = [
    "utc",
    "UTC",
    "Utc",
    "GMT",
    "America/New_York",
    "Asia/Kolkata",
    "Europe/Kiev",
    "Asia/Rangoon",
    "America/Godthab",
    "Pacific/Marquesas",
]
EVENT_FIELDS = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Points", "type": "number", "options": {"precision": 0}},
    {
        "name": "When",
        "type": "dateTime",
        "options": {
            "dateFormat": {"name": "iso"},
            "timeFormat": {"name": "24hour"},
            # Shown in the zone the request names.
            "timeZone": "client",
        },
    },
]


@dataclass
class SignedUp:
    edge: str
    account: Account


@pytest.fixture
async def signed_up(edge_url: str) -> AsyncIterator[SignedUp]:
    """Someone just signed up at the edge, with a workspace and a PAT of every scope."""
    async with httpx.AsyncClient(base_url=edge_url, timeout=10) as http:
        account = await sign_up(http)
        account.pat = await personal_token(
            http, account.session["access_token"], [*EVERY_SCOPE, WORKSPACES_READ]
        )
    yield SignedUp(edge_url, account)


def airtable_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def local_time(name: str, moment: dt.datetime) -> str:
    """`moment` as the clock reads in the zone Airtable calls `name`."""
    zone = ZoneInfo("UTC" if name.lower() == "utc" else name)
    return moment.astimezone(zone).strftime("%H:%M")


def test_airtable_time_zone_names_resolve_and_others_are_refused() -> None:
    for name in TIME_ZONES:
        assert time_zone(name).key == ("UTC" if name.lower() == "utc" else name)
    for bad in ("Mars/Olympus", "utc ", "", "../etc/passwd", "america/new_york"):
        with pytest.raises(InvalidArgument):
            time_zone(bad)


def time_zones_with_every_option(edge: str, pat: str, workspace_id: str) -> None:
    api = Api(pat, endpoint_url=edge)
    base = api.workspace(workspace_id).create_base(
        "Zones", [{"name": "Events", "fields": EVENT_FIELDS}]
    )
    table = base.table("Events")
    # A formula in the request's zone: formula fields, filters and sorts all use it.
    table.create_field("Local", "formula", options={"formula": "DATETIME_FORMAT({When}, 'HH:mm')"})
    table.batch_create(
        [
            {"Name": "Launch", "Points": 2, "When": airtable_time(LAUNCH)},
            {"Name": "Review", "Points": 1, "When": airtable_time(REVIEW)},
        ]
    )
    for name in TIME_ZONES:
        launch, review = local_time(name, LAUNCH), local_time(name, REVIEW)
        plain = table.all(time_zone=name, sort=["Name"])
        assert [r["fields"]["Local"] for r in plain] == [launch, review], name
        filtered = table.all(time_zone=name, formula=f"{{Local}} = '{launch}'")
        assert [r["fields"]["Name"] for r in filtered] == ["Launch"], name
        by_points = table.all(time_zone=name, sort=["Points"], fields=["Name"])
        assert [r["fields"]["Name"] for r in by_points] == ["Review", "Launch"], name
        strings = table.all(
            time_zone=name,
            user_locale="en-us",
            cell_format="string",
            formula="{Points} > 0",
            sort=["-Local"],
            fields=["Name", "When", "Local"],
        )
        launch_day = LAUNCH.astimezone(time_zone(name)).date().isoformat()
        shown = {r["fields"]["Name"]: r["fields"] for r in strings}
        assert shown["Launch"]["When"] == f"{launch_day} {launch}", name
        assert shown["Launch"]["Local"] == launch, name
        assert [r["fields"]["Local"] for r in strings] == sorted([launch, review], reverse=True)
        record = table.get(filtered[0]["id"], time_zone=name, cell_format="string",
                           user_locale="en-us")  # fmt: skip
        assert record["fields"]["When"] == f"{launch_day} {launch}", name

    # A name Airtable does not know is refused alike, whatever else the request asks.
    for options in ({}, {"formula": "{Points}"}, {"sort": ["Points"]}, {"cell_format": "string"}):
        with pytest.raises(requests.HTTPError) as refused:
            table.all(time_zone="Mars/Olympus", user_locale="en-us", **options)
        response = refused.value.response
        assert response is not None and response.status_code == 422, options
        assert "Mars/Olympus" in response.json()["error"]["message"]


async def test_every_time_zone_works_with_filters_sorts_and_string_cells(
    signed_up: SignedUp,
) -> None:
    account = signed_up.account
    await asyncio.to_thread(time_zones_with_every_option, signed_up.edge, account.pat,
                            account.workspace_id)  # fmt: skip


def upserts_without_merge_values(edge: str, pat: str, workspace_id: str) -> None:
    api = Api(pat, endpoint_url=edge)
    base = api.workspace(workspace_id).create_base(
        "People", [{"name": "People", "fields": EVENT_FIELDS}]
    )
    table = base.table("People")
    ada = table.create({"Name": "Ada", "Points": 1})
    unnamed = table.create({"Points": 2})

    upserted = table.batch_upsert(
        [
            {"fields": {"Name": None, "Points": 3}},
            {"fields": {"Name": "Ada", "Points": 4}},
            {"fields": {"Name": "", "Points": 5}},
        ],
        key_fields=["Name"],
    )
    # A blank value to merge on matches no record, not even one with a blank there too.
    assert upserted["updatedRecords"] == [ada["id"]]
    created = upserted["createdRecords"]
    assert len(created) == 2 and unnamed["id"] not in created
    assert [r["fields"].get("Points") for r in upserted["records"]] == [3, 4, 5]
    assert [r["id"] for r in upserted["records"]] == [created[0], ada["id"], created[1]]

    # Merging on two fields: a record blank in either is created.
    both = table.batch_upsert(
        [{"fields": {"Name": "Ada", "Points": 4}}, {"fields": {"Name": "Ada", "Points": None}}],
        key_fields=["Name", "Points"],
    )
    assert both["updatedRecords"] == [ada["id"]] and len(both["createdRecords"]) == 1
    assert len(table.all()) == 5


async def test_upsert_creates_records_with_no_value_to_merge_on(
    signed_up: SignedUp, http: httpx.AsyncClient
) -> None:
    account = signed_up.account
    await asyncio.to_thread(upserts_without_merge_values, signed_up.edge, account.pat,
                            account.workspace_id)  # fmt: skip
    # pyairtable refuses to send a record without the merge field; Airtable's API takes it.
    base = await create_base(http, account)
    records = f"/v0/{base['id']}/Tasks"
    body = {"performUpsert": {"fieldsToMergeOn": ["Name"]}, "records": [{"fields": {"Points": 7}}]}
    first = await call(http, "PATCH", records, account.pat, json=body)
    second = await call(http, "PATCH", records, account.pat, json=body)
    assert first["updatedRecords"] == second["updatedRecords"] == []
    assert first["createdRecords"] != second["createdRecords"]


@dataclass
class Team:
    """Alice owns the workspace; Bob joined it as an editor; Carol is invited, not yet in."""

    alice: Account
    bob_id: str
    bob_email: str
    carol_email: str
    carol_invitation: str


async def team(http: httpx.AsyncClient) -> Team:
    alice = await sign_up(http)
    alice.pat = await personal_token(
        http, alice.session["access_token"], [*EVERY_SCOPE, WORKSPACES_READ]
    )
    invitations = f"/v1/workspaces/{alice.workspace_id}/invitations"
    bob_email = f"bob-{secrets.token_hex(4)}@example.com"
    invited = await call(
        http, "POST", invitations, alice.session["access_token"],
        json={"email": bob_email, "role": "ROLE_EDITOR"},
    )  # fmt: skip
    registered = await http.post(
        "/v1/auth/register",
        json={"email": bob_email, "password": PASSWORD, "name": "Bob",
              "invitation_token": invited["signup_token"]},
    )  # fmt: skip
    assert registered.status_code == 200, registered.text
    bob = registered.json()
    await call(
        http, "POST", f"/v1/invitations/{invited['invitation']['id']}:accept",
        bob["access_token"], json={},
    )  # fmt: skip
    carol_email = f"carol-{secrets.token_hex(4)}@example.com"
    carol = await call(
        http, "POST", invitations, alice.session["access_token"],
        json={"email": carol_email, "role": "ROLE_COMMENTER"},
    )  # fmt: skip
    return Team(alice, bob["user"]["id"], bob_email, carol_email, carol["invitation"]["id"])


def base_and_workspace_information(edge: str, team: Team) -> dict[str, Any]:
    """What pyairtable reads about a new base and its workspace."""
    alice = team.alice
    api = Api(alice.pat, endpoint_url=edge)
    created = api.workspace(alice.workspace_id).create_base(
        "Info", [{"name": "Tasks", "fields": EVENT_FIELDS}]
    )
    base = api.base(created.id)
    info = base.collaborators()
    assert (info.id, info.name, info.permission_level) == (created.id, "Info", "owner")
    assert info.workspace_id == alice.workspace_id and base.name == "Info"
    assert info.created_time.tzinfo is not None
    people = {c.user_id: c for c in info.individual_collaborators.via_workspace}
    assert set(people) == {alice.user_id, team.bob_id}
    assert people[alice.user_id].email == alice.session["user"]["email"]
    assert (people[alice.user_id].permission_level, people[team.bob_id].permission_level) == (
        "owner",
        "edit",
    )
    assert people[team.bob_id].email == team.bob_email
    assert info.individual_collaborators.via_base == []
    assert info.group_collaborators.via_base == info.group_collaborators.via_workspace == []
    (invite,) = info.invite_links.via_workspace
    assert (invite.id, invite.invited_email, invite.permission_level) == (
        team.carol_invitation,
        team.carol_email,
        "comment",
    )
    assert invite.referred_by_user_id == alice.user_id and info.invite_links.via_base == []

    workspace = api.workspace(alice.workspace_id)
    ws = workspace.collaborators()
    assert (ws.id, ws.name, ws.base_ids) == (alice.workspace_id, "Ops", [created.id])
    assert workspace.name == "Ops" and [b.id for b in workspace.bases()] == [created.id]
    assert ws.restrictions.invite_creation == "onlyOwners"
    members = {c.user_id: c.permission_level for c in ws.individual_collaborators.via_workspace}
    assert members == {alice.user_id: "owner", team.bob_id: "edit"}
    assert ws.individual_collaborators.via_base == []
    assert [i.invited_email for i in ws.invite_links.via_workspace] == [team.carol_email]

    # Without `include`, base information is only the base's.
    plain = api.get(base.urls.meta)
    assert set(plain) == {"id", "name", "createdTime", "permissionLevel", "workspaceId"}
    return {"base_id": created.id}


async def test_base_and_workspace_information_show_collaborators(
    http: httpx.AsyncClient, edge_url: str
) -> None:
    members = await team(http)
    seen = await asyncio.to_thread(base_and_workspace_information, edge_url, members)
    alice = members.alice
    base_path = f"/v0/meta/bases/{seen['base_id']}"
    workspace_path = f"/v0/meta/workspaces/{alice.workspace_id}"

    # Bob, an editor, sees the collaborators but not the invitations only owners make.
    login = await http.post(
        "/v1/auth/login", json={"email": members.bob_email, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    bob_session = login.json()
    bob_pat = await personal_token(
        http, bob_session["access_token"], [WORKSPACES_READ, *EVERY_SCOPE]
    )
    as_bob = await call(
        http,
        "GET",
        base_path,
        bob_pat,
        params=[("include", "collaborators"), ("include", "inviteLinks")],
    )
    assert as_bob["permissionLevel"] == "edit"
    assert as_bob["inviteLinks"] == {"baseInviteLinks": [], "workspaceInviteLinks": []}
    assert len(as_bob["individualCollaborators"]["workspaceCollaborators"]) == 2

    # Airtable's scope suffices, for both.
    session = alice.session["access_token"]
    scoped = await personal_token(http, session, [WORKSPACES_READ])
    assert (await call(http, "GET", workspace_path, scoped))["baseIds"] == [seen["base_id"]]
    assert (await call(http, "GET", base_path, scoped))["id"] == seen["base_id"]
    schema_only = await personal_token(http, session, ["schema.bases:read"])
    # A token without it, or limited to other bases, is refused.
    records_only = await personal_token(http, session, ["data.records:read"])
    other_base = await call(
        http, "POST", "/v1/auth/tokens", session,
        json={"name": "other", "scopes": [WORKSPACES_READ],
              "base_ids": [(await create_base(http, alice))["id"]]},
    )  # fmt: skip
    refusals = [
        (base_path, records_only), (workspace_path, records_only), (base_path, schema_only),
        (workspace_path, schema_only),
        (base_path, other_base["token"]), (workspace_path, other_base["token"]),
    ]  # fmt: skip
    for path, token in refusals:
        refused = await call(http, "GET", path, token, expect=403)
        assert refused["error"]["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", path
    # Unknown includes, bases and workspaces are Airtable's errors.
    bad = await call(http, "GET", base_path, alice.pat, expect=422, params={"include": "secrets"})
    assert bad["error"]["type"] == "INVALID_REQUEST_UNKNOWN"
    await call(http, "GET", "/v0/meta/bases/appAAAAAAAAAAAAAA", alice.pat, expect=404)
    await call(http, "GET", "/v0/meta/workspaces/wspAAAAAAAAAAAAAA", alice.pat, expect=404)
