"""What web-bff keeps (services/web_bff/kept.py) is never served past a change made through the
API, nor to anyone but the caller it was read for."""

from __future__ import annotations

import asyncio

import grpc
import httpx
import pytest
from pyat.airtable.v1 import airtable_gateway_pb2 as rec
from pyat.events.v1 import events_pb2
from pyat.permission.v1 import permission_pb2 as perm
from pyat.user.v1 import user_pb2, user_pb2_grpc
from pyat.webbff.v1 import web_bff_pb2 as pb

from services.shared.server import Host
from services.shared.versions import (
    Versions,
    grants_scope,
    profile_scope,
    records_scope,
    schema_scope,
    workspaces_scope,
)
from services.web_bff.kept import Kept, changed_scopes
from tests.airtable_gateway.helpers import until
from tests.contract.test_workspace import Person
from tests.web_bff.support import Board, new_board

HIDDEN = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED)


@pytest.fixture
async def board(fabric: Host, channel: grpc.aio.Channel) -> Board:
    return await new_board(fabric, channel)


async def home_of(board: Board, person: Person) -> pb.GetHomeResponse:
    answer: pb.GetHomeResponse = await board.bff.GetHome(pb.GetHomeRequest(), metadata=person.md)
    assert list(answer.partial) == []
    return answer


def listed(home: pb.GetHomeResponse) -> dict[str, list[str]]:
    return {w.workspace.name: [b.name for b in w.bases] for w in home.workspaces}


async def revoke(board: Board, person: Person, **resource: str) -> None:
    await board.base.api.permissions.Revoke(
        perm.RevokeRequest(subject_id=person.user_id, resource=perm.Resource(**resource)),
        metadata=board.owner.md,
    )


def test_a_kept_answer_is_served_only_under_the_tokens_it_was_read_under() -> None:
    kept: Kept[str, str] = Kept()
    kept.put("ten-ada", (b"a", b"b"), "answer")
    assert kept.get("ten-ada", (b"a", b"b")) == "answer"
    assert kept.get("ten-ada", (b"a", b"c")) is None
    assert kept.get("ten-bob", (b"a", b"b")) is None


async def test_callers_that_miss_at_once_share_one_read() -> None:
    kept: Kept[str, str] = Kept()
    reads = 0
    release = asyncio.Event()

    async def read() -> str:
        nonlocal reads
        reads += 1
        await release.wait()
        return "answer"

    waiting = [asyncio.ensure_future(kept.answer("key", (b"a",), read)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == ["answer"] * 5
    assert reads == 1
    assert await kept.answer("key", (b"a",), read) == "answer"
    assert reads == 1
    # Under other tokens it is read again.
    assert await kept.answer("key", (b"b",), read) == "answer"
    assert reads == 2


async def test_a_kept_answer_expires_after_its_bound() -> None:
    kept: Kept[str, str] = Kept(ttl_s=0.05)
    kept.put("key", (b"a",), "answer")

    async def gone() -> bool:
        return kept.get("key", (b"a",)) is None

    await until(gone, "the kept answer expires", timeout_s=5)


async def test_home_shows_a_workspace_and_base_made_through_the_api_on_the_next_read(
    board: Board,
) -> None:
    api, owner = board.base.api, board.owner
    assert listed(await home_of(board, owner)) == {"Team": ["Base"]}
    workspace = await api.workspace(owner, "Second")
    await api.base(owner, workspace.id, "Plans")
    assert listed(await home_of(board, owner)) == {"Team": ["Base"], "Second": ["Plans"]}
    await api.rpc(owner, "UpdateWorkspace", workspace_id=workspace.id, name="Renamed")
    assert listed(await home_of(board, owner)) == {"Team": ["Base"], "Renamed": ["Plans"]}
    await api.rpc(owner, "DeleteWorkspace", workspace_id=workspace.id)
    assert listed(await home_of(board, owner)) == {"Team": ["Base"]}


async def test_home_and_grid_follow_a_colleagues_grants_on_the_next_read(board: Board) -> None:
    api, owner = board.base.api, board.owner
    colleague = await api.colleague(owner)
    assert listed(await home_of(board, colleague)) == {}
    resource = {"workspace_id": board.base.workspace_id, "base_id": board.base.base_id}
    await api.grant(owner, colleague, perm.ROLE_READ_ONLY, **resource)
    home = await home_of(board, colleague)
    assert listed(home) == {"Team": ["Base"]}
    assert home.workspaces[0].bases[0].my_role == perm.ROLE_READ_ONLY
    assert (await board.grid(person=colleague)).role == perm.ROLE_READ_ONLY
    await api.grant(owner, colleague, perm.ROLE_EDITOR, **resource)
    assert (await home_of(board, colleague)).workspaces[0].bases[0].my_role == perm.ROLE_EDITOR
    assert (await board.grid(person=colleague)).role == perm.ROLE_EDITOR
    # Revoked: the very next reads show nothing and refuse the grid.
    await revoke(board, colleague, **resource)
    assert listed(await home_of(board, colleague)) == {}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await board.grid(person=colleague)
    assert caught.value.code() in HIDDEN


async def test_home_shows_a_renamed_profile_on_the_next_read(
    board: Board, channel: grpc.aio.Channel
) -> None:
    owner = board.owner
    await home_of(board, owner)
    users = user_pb2_grpc.UserServiceStub(channel)
    await users.UpdateMe(user_pb2.UpdateMeRequest(name="Ada Lovelace"), metadata=owner.md)
    assert (await home_of(board, owner)).me.name == "Ada Lovelace"


async def test_nobody_else_is_served_what_was_kept_for_a_caller(
    board: Board, fabric: Host, channel: grpc.aio.Channel
) -> None:
    owner = board.owner
    other = await new_board(fabric, channel)
    colleague = await board.base.api.colleague(owner)
    mine = await home_of(board, owner)
    assert await board.grid()  # the owner's read decision is kept too
    assert listed(await home_of(other, other.owner)) == {"Team": ["Base"]}
    assert (await home_of(other, other.owner)).workspaces[0].workspace.id != (
        mine.workspaces[0].workspace.id
    )
    assert (await home_of(board, colleague)).me.user_id == colleague.user_id
    assert listed(await home_of(board, colleague)) == {}
    for person in (colleague, other.owner):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await board.grid(person=person)
        assert caught.value.code() in HIDDEN


def test_each_owners_event_names_the_scope_it_changed() -> None:
    def event(payload: object, tenant_id: str = "ten1") -> events_pb2.Event:
        wrapped = events_pb2.Event(type=payload.DESCRIPTOR.full_name, tenant_id=tenant_id)  # type: ignore[attr-defined]
        wrapped.payload.Pack(payload)  # type: ignore[arg-type]
        return wrapped

    assert changed_scopes(event(events_pb2.GrantChanged(tenant_id="ten1", subject_id="usr1"))) == [
        grants_scope("ten1", "usr1")
    ]
    assert changed_scopes(event(events_pb2.WorkspaceChanged(tenant_id="ten1"))) == [
        workspaces_scope("ten1")
    ]
    assert changed_scopes(event(events_pb2.BaseChanged(tenant_id="ten1"))) == [
        workspaces_scope("ten1")
    ]
    assert changed_scopes(event(events_pb2.UserUpdated(tenant_id="ten1", user_id="usr1"))) == [
        profile_scope("ten1", "usr1")
    ]
    for written in (
        events_pb2.RecordCreated(tenant_id="ten1", base_id="app1"),
        events_pb2.RecordUpdated(tenant_id="ten1", base_id="app1"),
        events_pb2.RecordDeleted(tenant_id="ten1", base_id="app1"),
    ):
        assert changed_scopes(event(written)) == [records_scope("ten1", "app1")]
    for reshaped in (
        events_pb2.TableChanged(tenant_id="ten1", base_id="app1"),
        events_pb2.FieldChanged(tenant_id="ten1", base_id="app1"),
    ):
        assert changed_scopes(event(reshaped)) == [schema_scope("ten1", "app1")]
    assert changed_scopes(event(events_pb2.TenantUpdated(tenant_id="ten1"))) == []


async def test_an_owners_event_replaces_the_token_in_web_bffs_cache(board: Board) -> None:
    """For a process whose cache the owner does not share: the event alone makes it ask.
    (WorkspaceChanged: no other service here replaces a token on it.)"""
    runtime = board.host.runtime
    assert runtime is not None
    versions = Versions(runtime.cache)
    scope = workspaces_scope(board.owner.tenant_id)
    [before] = await versions.current([scope])
    changed = events_pb2.WorkspaceChanged(
        tenant_id=board.owner.tenant_id,
        workspace_id=board.base.workspace_id,
        change="updated",
        actor_id=board.owner.user_id,
    )
    event = events_pb2.Event(
        id="evt-kept-test-" + board.owner.user_id,
        type=changed.DESCRIPTOR.full_name,
        tenant_id=board.owner.tenant_id,
        source="test",
    )
    event.payload.Pack(changed)
    await runtime.bus.publish(event)

    async def replaced() -> bool:
        return (await versions.current([scope]))[0] != before

    await until(replaced, "web-bff replaces the workspaces token on WorkspaceChanged")


def titles(grid: pb.GetGridResponse, board: Board) -> list[object]:
    return [r.fields[board.title_id] for r in grid.records if board.title_id in r.fields]


def activity_of(home: pb.GetHomeResponse) -> list[tuple[str, int]]:
    return [(a.record_id, a.kind) for a in home.recent_activity]


async def test_grid_and_home_show_records_written_through_grpc_on_the_next_read(
    board: Board,
) -> None:
    before = await board.grid()
    assert await home_of(board, board.owner)  # the base's newest changes are kept too
    [made] = await board.add("Write the spec")
    grid = await board.grid()
    assert titles(grid, board) == ["Write the spec"]
    assert grid.cursor != before.cursor
    assert grid.total == 1
    assert activity_of(await home_of(board, board.owner)) == [(made.id, rec.CHANGE_KIND_CREATED)]
    await board.base.update(board.tasks.id, (made.id, {"Title": "Ship the spec"}))
    moved = await board.grid()
    assert titles(moved, board) == ["Ship the spec"]
    assert moved.cursor != grid.cursor
    assert activity_of(await home_of(board, board.owner))[0] == (made.id, rec.CHANGE_KIND_UPDATED)
    await board.base.records.DeleteRecords(
        rec.DeleteRecordsRequest(
            base_id=board.base.base_id, table=board.tasks.id, record_ids=[made.id]
        ),
        metadata=board.owner.md,
    )
    assert titles(await board.grid(), board) == []
    assert activity_of(await home_of(board, board.owner))[0] == (made.id, rec.CHANGE_KIND_DELETED)


async def test_grid_and_home_show_a_record_written_through_v0_on_the_next_read(
    board: Board, edge: str
) -> None:
    before = await board.grid()
    assert activity_of(await home_of(board, board.owner)) == []
    headers = dict(board.owner.md)
    async with httpx.AsyncClient(base_url=edge, timeout=10) as http:
        response = await http.post(
            f"/v0/{board.base.base_id}/{board.tasks.id}",
            json={"fields": {"Title": "From the API"}},
            headers={"Authorization": headers["authorization"]},
        )
    assert response.status_code == 200, response.text
    grid = await board.grid()
    assert titles(grid, board) == ["From the API"]
    assert grid.cursor != before.cursor
    made = response.json()["id"]
    assert activity_of(await home_of(board, board.owner)) == [(made, rec.CHANGE_KIND_CREATED)]


async def test_a_field_added_shows_on_the_next_grid(board: Board) -> None:
    first = await board.grid()
    assert [f.name for f in first.table.fields] == ["Title", "Points"]
    await board.base.field(board.tasks.id, "Due", "date")
    second = await board.grid()
    assert [f.name for f in second.table.fields] == ["Title", "Points", "Due"]
    assert second.table.version > first.table.version


async def test_another_tenants_writes_show_only_in_their_own_grid(
    board: Board, fabric: Host, channel: grpc.aio.Channel
) -> None:
    """Their tokens are not ours (tests/contract/test_permission_versions.py): what is kept for
    one tenant's base is never another's."""
    await board.add("Mine")
    mine = await board.grid()
    other = await new_board(fabric, channel)
    await other.add("Theirs")
    await other.base.field(other.tasks.id, "Due", "date")
    theirs = await other.grid()
    assert titles(theirs, other) == ["Theirs"]
    assert [f.name for f in theirs.table.fields] == ["Title", "Points", "Due"]
    assert await board.grid() == mine
