"""A grid at any row, over real gRPC: GetGrid's total (kept with its cached page) and
GetGridRows, a window of a view or of an unsaved filter and sort from any position, refused
when bad and to anyone who may not read the table."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from pyat.schema.v1 import schema_pb2
from pyat.webbff.v1 import web_bff_pb2 as pb

from services.shared.server import Host
from tests.airtable_gateway.helpers import fails
from tests.contract.test_auth import field_violations
from tests.contract.test_workspace import Person
from tests.web_bff.support import Board, new_board
from tests.web_bff.test_grid_cache import warm
from tests.web_bff.test_screens import hidden

INVALID = grpc.StatusCode.INVALID_ARGUMENT
COUNT = 12


@pytest.fixture
async def board(fabric: Host, channel: grpc.aio.Channel) -> Board:
    board = await new_board(fabric, channel)
    for start in range(0, COUNT, 10):
        await board.base.create(
            board.tasks.id,
            *(
                {"Title": f"Task {n:02d}", "Points": n % 4}
                for n in range(start, min(start + 10, COUNT))
            ),
        )
    return board


async def rows(
    board: Board, person: Person | None = None, **request: Any
) -> pb.GetGridRowsResponse:
    fields = {"base_id": board.base.base_id, "table_id": board.tasks.id, **request}
    answer: pb.GetGridRowsResponse = await board.bff.GetGridRows(
        pb.GetGridRowsRequest(**fields), metadata=(person or board.owner).md
    )
    return answer


def titles(board: Board, answer: pb.GetGridRowsResponse | pb.GetGridResponse) -> list[str]:
    return [r.fields[board.title_id] for r in answer.records]


def points_id(board: Board) -> str:
    return board.tasks.fields[1].id


async def test_the_grid_gives_the_total_and_its_cached_page_keeps_it(board: Board) -> None:
    grid = await board.grid(page_size=5)
    assert len(grid.records) == 5 and grid.total == COUNT
    cached = await warm(board)
    assert cached.total == COUNT
    await board.add("one more")
    assert (await board.grid()).total == COUNT + 1


async def test_the_grid_total_is_the_views(board: Board) -> None:
    await board.base.schema.CreateView(
        schema_pb2.CreateViewRequest(
            base_id=board.base.base_id,
            table_id=board.tasks.id,
            name="Threes",
            filter_by_formula="{Points} = 3",
        ),
        metadata=board.owner.md,
    )
    grid = await board.grid(view="Threes")
    assert titles(board, grid) == ["Task 03", "Task 07", "Task 11"] and grid.total == 3


async def test_rows_from_any_position_with_the_total(board: Board) -> None:
    window = await rows(board, start=4, page_size=3)
    assert titles(board, window) == ["Task 04", "Task 05", "Task 06"]
    assert window.total == COUNT
    assert set(window.records[0].fields) == {board.title_id, points_id(board)}
    past = await rows(board, start=COUNT + 1)
    assert not past.records and past.total == COUNT


async def test_rows_of_an_unsaved_filter_and_sort(board: Board) -> None:
    window = await rows(
        board,
        filter_by_formula="{Points} >= 2",
        sort=[f"-{points_id(board)}", board.title_id],
        start=1,
        page_size=4,
    )
    expected = sorted((n for n in range(COUNT) if n % 4 >= 2), key=lambda n: (-(n % 4), n))
    assert titles(board, window) == [f"Task {n:02d}" for n in expected[1:5]]
    assert window.total == len(expected)


async def test_sorts_replace_the_views_and_its_filter_stays(board: Board) -> None:
    await board.base.schema.CreateView(
        schema_pb2.CreateViewRequest(
            base_id=board.base.base_id,
            table_id=board.tasks.id,
            name="Low first",
            filter_by_formula="{Points} <= 1",
            sorts=[schema_pb2.Sort(field_id=points_id(board))],
        ),
        metadata=board.owner.md,
    )
    by_view = await rows(board, view="Low first", page_size=3)
    assert titles(board, by_view) == ["Task 00", "Task 04", "Task 08"]
    by_title = await rows(board, view="Low first", sort=[f"-{board.title_id}"], page_size=3)
    assert titles(board, by_title) == ["Task 09", "Task 08", "Task 05"]
    assert by_view.total == by_title.total == 6


async def test_bad_rows_requests_are_invalid_arguments(board: Board) -> None:
    for bad in ({"page_size": 101}, {"page_size": -1}, {"start": -1}, {"base_id": ""}):
        err = await fails(rows(board, **bad), INVALID)
        assert field_violations(err), bad
    for unknown in ("fldNope000000000", "-Title", "-", ""):
        err = await fails(rows(board, sort=[board.title_id, unknown]), INVALID)
        assert repr(unknown.removeprefix("-")) in field_violations(err)["sort"], unknown
    await fails(rows(board, filter_by_formula="{Points} >"), INVALID)
    await fails(rows(board, table_id="tblNope0000000000"), grpc.StatusCode.NOT_FOUND)


async def test_rows_are_hidden_from_colleagues_without_access_and_other_tenants(
    board: Board, fabric: Host, channel: grpc.aio.Channel
) -> None:
    colleague = await board.base.api.colleague(board.owner)
    await hidden(rows(board, person=colleague))
    other = await new_board(fabric, channel)
    await other.add("theirs")
    theirs_base, theirs_table = other.base.base_id, other.tasks.id
    mine_base = board.base.base_id
    for base_id, table_id in ((theirs_base, theirs_table), (mine_base, theirs_table)):
        await hidden(rows(board, base_id=base_id, table_id=table_id, start=0))
        # Not even whether a sort field exists there.
        await hidden(rows(board, base_id=base_id, table_id=table_id, sort=["fldNope000000000"]))
    # Their own table counts only their own records.
    theirs = await rows(other)
    assert titles(other, theirs) == ["theirs"] and theirs.total == 1
