"""web-bff's screens over real gRPC, as real signed-up users: home, grid and record, their
tenancy and roles, and what they answer when a service behind them is down."""

from __future__ import annotations

import grpc
import pytest
from pyat.airtable.v1 import airtable_gateway_pb2 as records_pb2
from pyat.permission.v1 import permission_pb2 as perm
from pyat.schema.v1 import schema_pb2, schema_pb2_grpc
from pyat.webbff.v1 import web_bff_pb2 as pb
from pyat.webbff.v1 import web_bff_pb2_grpc

from services import auth, permission, schema, tenant, user, web_bff, workspace
from services.shared.server import Host
from tests.airtable_gateway.helpers import fails, spec
from tests.contract.test_workspace import api_on
from tests.fixtures.fabric import StartHost, free_port
from tests.web_bff.support import Board, new_board

HIDDEN = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED)


@pytest.fixture
async def board(fabric: Host, channel: grpc.aio.Channel) -> Board:
    return await new_board(fabric, channel)


async def hidden(call: object) -> None:
    """The call fails as if the thing did not exist, or as not allowed; never with data."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.code() in HIDDEN, caught.value.details()


async def test_home_shows_the_caller_their_workspaces_bases_and_latest_changes(
    board: Board,
) -> None:
    owner = board.owner
    first = await board.bff.GetHome(pb.GetHomeRequest(), metadata=owner.md)
    assert (first.me.user_id, first.me.tenant_id, first.me.email) == (
        owner.user_id,
        owner.tenant_id,
        owner.email,
    )
    [shown] = first.workspaces
    assert shown.workspace.id == board.base.workspace_id
    assert [b.id for b in shown.bases] == [board.base.base_id]
    assert shown.bases[0].my_role == perm.ROLE_OWNER
    assert list(first.partial) == []

    ada, bob = await board.add("Ada", "Bob")
    await board.base.update(board.tasks.id, (ada.id, {"Points": 3}))
    later = await board.bff.GetHome(pb.GetHomeRequest(), metadata=owner.md)
    assert list(later.partial) == []
    seen = [(a.record_id, a.kind) for a in later.recent_activity]
    # Newest first: the update, then the two creations (made together, in either order).
    assert seen[0] == (ada.id, records_pb2.CHANGE_KIND_UPDATED)
    assert sorted(seen[1:]) == sorted(
        [(ada.id, records_pb2.CHANGE_KIND_CREATED), (bob.id, records_pb2.CHANGE_KIND_CREATED)]
    )
    newest = later.recent_activity[0]
    assert (newest.base_id, newest.base_name, newest.table_id, newest.actor_id) == (
        board.base.base_id,
        "Base",
        board.tasks.id,
        owner.user_id,
    )


async def test_home_shows_no_other_tenants_workspaces_or_changes(
    board: Board, fabric: Host, channel: grpc.aio.Channel
) -> None:
    other = await new_board(fabric, channel)
    await board.bff.GetHome(pb.GetHomeRequest(), metadata=board.owner.md)
    await other.add("theirs")
    mine = await board.bff.GetHome(pb.GetHomeRequest(), metadata=board.owner.md)
    assert [w.workspace.id for w in mine.workspaces] == [board.base.workspace_id]
    assert list(mine.recent_activity) == []


async def test_grid_has_base_schema_first_page_role_and_cursor(board: Board) -> None:
    created = await board.add("a", "b", "c")
    grid = await board.grid(page_size=2)
    assert grid.base.id == board.base.base_id
    assert grid.table.id == board.tasks.id
    assert [f.id for f in grid.table.fields] == [f.id for f in board.tasks.fields]
    assert [r.id for r in grid.records] == [r.id for r in created[:2]]
    assert set(grid.records[0].fields.keys()) == {board.title_id}
    assert grid.offset
    assert grid.role == perm.ROLE_OWNER
    assert grid.cursor
    assert list(grid.partial) == []
    rest = await board.base.list(board.tasks.id, offset=grid.offset)
    assert [r.id for r in rest.records] == [created[2].id]


async def test_grid_applies_a_named_view(board: Board) -> None:
    await board.add("keep", "drop")
    view = await board.base.schema.CreateView(
        schema_pb2.CreateViewRequest(
            base_id=board.base.base_id,
            table_id=board.tasks.id,
            name="Only keep",
            filter_by_formula="{Title} = 'keep'",
        ),
        metadata=board.owner.md,
    )
    grid = await board.grid(view=view.view.name)
    assert [r.fields[board.title_id] for r in grid.records] == ["keep"]
    assert view.view.id in [v.id for v in grid.table.views]


async def test_grid_rejects_bad_requests(board: Board) -> None:
    await fails(board.grid(page_size=101), grpc.StatusCode.INVALID_ARGUMENT)
    await fails(board.grid(base_id=""), grpc.StatusCode.INVALID_ARGUMENT)
    await fails(board.grid(table_id="tblNope0000000000"), grpc.StatusCode.NOT_FOUND)


async def test_record_names_the_records_its_links_point_to(board: Board) -> None:
    people = await board.base.table("People", spec("Name", "singleLineText"))
    owners = await board.base.field(
        board.tasks.id, "Owners", "multipleRecordLinks", {"linkedTableId": people.id}
    )
    ada, bob = await board.base.create(people.id, {"Name": "Ada"}, {"Name": "Bob"})
    [task] = await board.base.create(board.tasks.id, {"Title": "ship", "Owners": [bob.id, ada.id]})
    answer = await board.bff.GetRecord(
        pb.GetRecordRequest(base_id=board.base.base_id, table_id=board.tasks.id, record_id=task.id),
        metadata=board.owner.md,
    )
    assert answer.record.id == task.id
    assert answer.record.fields[board.title_id] == "ship"
    assert answer.table.id == board.tasks.id
    assert answer.role == perm.ROLE_OWNER
    assert [(r.id, r.name) for r in answer.linked[owners.id].records] == [
        (bob.id, "Bob"),
        (ada.id, "Ada"),
    ]
    assert list(answer.partial) == []


async def test_a_read_only_member_gets_their_role(board: Board) -> None:
    api = board.base.api
    reader = await api.colleague(board.owner)
    await api.grant(board.owner, reader, perm.ROLE_READ_ONLY, workspace_id=board.base.workspace_id)
    [task] = await board.add("visible")
    grid = await board.grid(person=reader)
    assert grid.role == perm.ROLE_READ_ONLY
    assert [r.id for r in grid.records] == [task.id]
    answer = await board.bff.GetRecord(
        pb.GetRecordRequest(base_id=board.base.base_id, table_id=board.tasks.id, record_id=task.id),
        metadata=reader.md,
    )
    assert answer.role == perm.ROLE_READ_ONLY


async def test_a_colleague_without_access_gets_nothing(board: Board) -> None:
    stranger = await board.base.api.colleague(board.owner)
    [task] = await board.add("secret")
    await hidden(board.grid(person=stranger))
    await hidden(
        board.bff.GetRecord(
            pb.GetRecordRequest(
                base_id=board.base.base_id, table_id=board.tasks.id, record_id=task.id
            ),
            metadata=stranger.md,
        )
    )


async def test_another_tenants_ids_get_nothing_on_every_route(
    board: Board, fabric: Host, channel: grpc.aio.Channel
) -> None:
    other = await new_board(fabric, channel)
    [theirs] = await other.add("theirs")
    [mine] = await board.add("mine")
    md = board.owner.md
    theirs_base, theirs_table = other.base.base_id, other.tasks.id
    mine_base, mine_table = board.base.base_id, board.tasks.id
    for base_id, table_id in ((theirs_base, theirs_table), (mine_base, theirs_table)):
        await hidden(board.grid(base_id=base_id, table_id=table_id))
        watch = board.bff.WatchTable(
            pb.WatchTableRequest(base_id=base_id, table_id=table_id), metadata=md
        )
        await hidden(watch.read())
    for base_id, table_id, record_id in (
        (theirs_base, theirs_table, theirs.id),
        (mine_base, theirs_table, theirs.id),
        (mine_base, mine_table, theirs.id),
    ):
        await hidden(
            board.bff.GetRecord(
                pb.GetRecordRequest(base_id=base_id, table_id=table_id, record_id=record_id),
                metadata=md,
            )
        )
    # The caller's own record still answers.
    answer = await board.bff.GetRecord(
        pb.GetRecordRequest(base_id=mine_base, table_id=mine_table, record_id=mine.id),
        metadata=md,
    )
    assert answer.record.id == mine.id


async def test_without_airtable_gateway_home_is_partial_and_grid_unavailable(
    start_host: StartHost,
) -> None:
    dead = f"127.0.0.1:{free_port()}"
    specs = [s.SERVICE for s in (auth, user, tenant, workspace, permission, schema, web_bff)]
    host = await start_host(specs, service_addrs={"airtable_gateway": dead})
    async with grpc.aio.insecure_channel(host.address) as channel:
        api = api_on(host, channel)
        owner = await api.sign_up()
        workspace_made = await api.workspace(owner)
        base = await api.base(owner, workspace_made.id)
        bff = web_bff_pb2_grpc.WebBffServiceStub(channel)
        # A deadline far above the screens' own: a hang fails the test, slowness does not.
        home = await bff.GetHome(pb.GetHomeRequest(), metadata=owner.md, timeout=30)
        assert home.me.user_id == owner.user_id
        assert [b.id for w in home.workspaces for b in w.bases] == [base.id]
        [missing] = home.partial
        assert missing.section == "recent_activity"
        assert "airtable-gateway" in missing.reason
        await fails(
            bff.GetGrid(
                pb.GetGridRequest(base_id=base.id, table_id="tblNope0000000000"),
                metadata=owner.md,
                timeout=30,
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        created = await schema_pb2_grpc.SchemaServiceStub(channel).CreateTables(
            schema_pb2.CreateTablesRequest(
                base_id=base.id,
                tables=[schema_pb2.TableSpec(name="T", fields=[spec("Name", "singleLineText")])],
            ),
            metadata=owner.md,
        )
        await fails(
            bff.GetGrid(
                pb.GetGridRequest(base_id=base.id, table_id=created.tables[0].id),
                metadata=owner.md,
                timeout=30,
            ),
            grpc.StatusCode.UNAVAILABLE,
        )
