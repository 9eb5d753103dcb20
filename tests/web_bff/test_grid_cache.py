"""web-bff's cache of grid first pages, over real gRPC: a page is served again while nothing in
the base or the table's schema has changed and its few seconds last, and only to callers who may
read the table; everything else reads the page afresh. Hits and misses are counted by
`pyat_web_grid_cache_hits_total` and `pyat_web_grid_cache_misses_total`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import grpc
import pytest
from prometheus_client import REGISTRY
from pyat.airtable.v1 import airtable_gateway_pb2 as records_pb2
from pyat.permission.v1 import permission_pb2 as perm
from pyat.webbff.v1 import web_bff_pb2 as pb

from services.shared.server import Host
from services.web_bff import caches, screens
from services.web_bff.caches import PageCache, PageKey, Recent
from tests.airtable_gateway.helpers import spec
from tests.web_bff.support import Board, new_board

HIDDEN = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED)


@pytest.fixture
async def board(fabric: Host, channel: grpc.aio.Channel) -> Board:
    return await new_board(fabric, channel)


def counted(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def served(
    call: Callable[[], Awaitable[pb.GetGridResponse]],
) -> tuple[pb.GetGridResponse, str]:
    """The grid and where its page came from: "cache" or "gateway" (tests run one at a time)."""
    hits = counted("pyat_web_grid_cache_hits_total")
    misses = counted("pyat_web_grid_cache_misses_total")
    answer = await call()
    hit = counted("pyat_web_grid_cache_hits_total") - hits
    miss = counted("pyat_web_grid_cache_misses_total") - misses
    assert (hit, miss) in ((1, 0), (0, 1)), (hit, miss)
    return answer, "cache" if hit else "gateway"


def titles(board: Board, answer: pb.GetGridResponse) -> list[str]:
    return [r.fields[board.title_id] for r in answer.records]


async def warm(board: Board) -> pb.GetGridResponse:
    """Grid until its page comes from the cache (the first read of a table fills it)."""
    for _ in range(20):
        answer, source = await served(board.grid)
        if source == "cache":
            return answer
    raise AssertionError("the page never came from the cache")


async def test_a_page_is_served_again_until_the_table_is_written(board: Board) -> None:
    await board.add("a", "b")
    first, source = await served(board.grid)
    assert source == "gateway"
    again, source = await served(board.grid)
    assert source == "cache"
    assert again == first
    assert titles(board, again) == ["a", "b"]

    await board.add("c")
    after_write, source = await served(board.grid)
    assert source == "gateway"
    assert titles(board, after_write) == ["a", "b", "c"]
    assert after_write.cursor != first.cursor
    # Another page size, or a view, is another page.
    _, source = await served(lambda: board.grid(page_size=1))
    assert source == "gateway"


async def test_callers_at_once_share_one_read_of_a_page(board: Board) -> None:
    await board.add("a", "b")
    hits = counted("pyat_web_grid_cache_hits_total")
    misses = counted("pyat_web_grid_cache_misses_total")
    answers = await asyncio.gather(*(board.grid() for _ in range(6)))
    assert counted("pyat_web_grid_cache_misses_total") - misses == 1
    assert counted("pyat_web_grid_cache_hits_total") - hits == 5
    assert all(titles(board, answer) == ["a", "b"] for answer in answers)


async def test_a_change_in_another_table_of_the_base_reads_the_page_afresh(board: Board) -> None:
    await board.add("a")
    people = await board.base.table("People", spec("Name", "singleLineText"))
    await warm(board)
    await board.base.create(people.id, {"Name": "Ada"})
    answer, source = await served(board.grid)
    assert source == "gateway"
    assert titles(board, answer) == ["a"]


async def test_a_new_field_reads_the_page_afresh(board: Board) -> None:
    await board.add("a")
    await warm(board)
    shout = await board.base.field(board.tasks.id, "Shout", "formula", {"formula": "{Title} & '!'"})
    # The table is kept for a few seconds; once the grid shows the new field, its page has it.
    sources = []
    for _ in range(200):
        answer, source = await served(board.grid)
        sources.append(source)
        if shout.id in [f.id for f in answer.table.fields]:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the grid never showed the new field")
    assert sources[-1] == "gateway"
    # airtable-gateway may render with its cached schema for a moment: not served from the cache.
    for _ in range(200):
        answer, source = await served(board.grid)
        cells = answer.records[0].fields
        if shout.id in cells and cells[shout.id] == "a!":
            break
        assert source == "gateway", "a page without the new field was cached"
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the page never had the new field")


async def test_a_page_expires_after_its_ttl(board: Board, monkeypatch: pytest.MonkeyPatch) -> None:
    await board.add("a")
    await warm(board)
    later = caches.monotonic() + caches.TTL_S + 1
    monkeypatch.setattr(caches, "monotonic", lambda: later)
    monkeypatch.setattr(screens, "monotonic", lambda: later)
    _, source = await served(board.grid)
    assert source == "gateway"
    _, source = await served(board.grid)
    assert source == "cache"


async def test_a_cached_page_goes_only_to_callers_who_may_read_the_table(
    board: Board, fabric: Host, channel: grpc.aio.Channel
) -> None:
    await board.add("secret")
    await warm(board)
    hits = counted("pyat_web_grid_cache_hits_total")

    stranger = await board.base.api.colleague(board.owner)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await board.grid(person=stranger)
    assert caught.value.code() in HIDDEN
    other = await new_board(fabric, channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await other.grid(person=other.owner, base_id=board.base.base_id, table_id=board.tasks.id)
    assert caught.value.code() in HIDDEN
    assert counted("pyat_web_grid_cache_hits_total") == hits

    # A reader of the same tenant is given the same page, with their own role.
    reader = await board.base.api.colleague(board.owner)
    await board.base.api.grant(
        board.owner, reader, perm.ROLE_READ_ONLY, workspace_id=board.base.workspace_id
    )
    answer, source = await served(lambda: board.grid(person=reader))
    assert source == "cache"
    assert titles(board, answer) == ["secret"]
    assert answer.role == perm.ROLE_READ_ONLY


def test_the_page_cache_is_bounded_by_entries_and_bytes() -> None:
    def key(n: int) -> PageKey:
        return PageKey("ten", "app", "tbl", "", 100, f"chg{n}")

    def page(size: int) -> records_pb2.ListRecordsResponse:
        return records_pb2.ListRecordsResponse(offset="x" * size)

    pages = PageCache(max_entries=3, max_bytes=1000)
    for n in range(5):
        pages.put(key(n), "tbl", 1, page(10))
    assert len(pages) == 3
    assert pages.get(key(0), "tbl", 1) is None and pages.get(key(4), "tbl", 1) is not None
    # Another version of the table is not served.
    assert pages.get(key(4), "tbl", 2) is None
    # Past the byte budget, the least recently used go.
    pages.put(key(9), "tbl", 1, page(980))
    assert pages.get(key(9), "tbl", 1) is not None
    assert len(pages) == 2 and pages.get(key(2), "tbl", 1) is None
    # A page larger than the whole budget is never kept.
    pages.put(key(10), "tbl", 1, page(2000))
    assert pages.get(key(10), "tbl", 1) is None


def test_recent_forgets_the_least_recently_used() -> None:
    recent: Recent[str, int] = Recent(limit=2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1
    recent.put("c", 3)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (1, None, 3)
