"""The home screen: who the caller is, their workspaces and bases, and the latest changes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TypeVar

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as records_pb2
from pyat.webbff.v1 import web_bff_pb2 as pb
from pyat.workspace.v1 import workspace_pb2

from services.shared.errors import DomainError
from services.web_bff.upstream import GATEWAY, WORKSPACE, Upstream, why

RECENT = 20
# The bases whose changes one home screen reads, and how many at once.
MAX_BASES_READ = 50
_READ_CONCURRENCY = 10

T = TypeVar("T")


async def recent_activity(
    upstream: Upstream, bases: Sequence[workspace_pb2.Base]
) -> tuple[list[pb.Activity], BaseException | None]:
    """Newest first, at most RECENT, across `bases`; and the first failure to read a base
    (other than a base without a change log: a connected base, say), if any."""
    gate = asyncio.Semaphore(_READ_CONCURRENCY)

    async def read(base: workspace_pb2.Base) -> list[pb.Activity]:
        async with gate:
            try:
                page = await upstream.newest_changes(base.id, RECENT)
            except DomainError as error:
                if error.code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND):
                    return []  # a base without a change log, or one gone since it was listed
                raise
        return [activity(base, change) for change in page.changes]

    results = await asyncio.gather(
        *(read(base) for base in bases[:MAX_BASES_READ]), return_exceptions=True
    )
    found: list[pb.Activity] = []
    failure: BaseException | None = None
    for result in results:
        if isinstance(result, BaseException):
            failure = failure or result
        else:
            found.extend(result)
    found.sort(key=lambda a: (a.at.seconds, a.at.nanos), reverse=True)
    return found[:RECENT], failure


def activity(base: workspace_pb2.Base, change: records_pb2.RecordChange) -> pb.Activity:
    found = pb.Activity(
        base_id=base.id,
        base_name=base.name,
        table_id=change.table_id,
        record_id=change.record_id,
        kind=change.kind,
        actor_id=change.actor_id,
    )
    found.at.CopyFrom(change.changed_at)
    return found


def _listed(found: list[T] | BaseException, section: str, partial: list[pb.Partial]) -> list[T]:
    """What workspace-service listed, or nothing and `section` named in `partial`."""
    if not isinstance(found, BaseException):
        return found
    if not isinstance(found, DomainError):
        raise found
    partial.append(pb.Partial(section=section, reason=why(WORKSPACE, found)))
    return []


async def home(upstream: Upstream) -> pb.GetHomeResponse:
    """The caller fails the screen; anything else missing is named in `partial`."""
    partial: list[pb.Partial] = []
    me, workspaces, bases = await asyncio.gather(
        upstream.me(),
        upstream.workspace_list(),
        upstream.bases_of(""),  # every base the caller can read, in one call
        return_exceptions=True,
    )
    if isinstance(me, BaseException):
        raise me
    workspaces = _listed(workspaces, "workspaces", partial)
    bases = _listed(bases, "workspaces.bases", partial)
    listed = {workspace.id for workspace in workspaces}
    shown = [base for base in bases if base.workspace_id in listed]
    answer = pb.GetHomeResponse(
        me=pb.Me(user_id=me.id, tenant_id=me.tenant_id, email=me.email, name=me.name),
        workspaces=[
            pb.HomeWorkspace(
                workspace=workspace,
                bases=[base for base in shown if base.workspace_id == workspace.id],
            )
            for workspace in workspaces
        ],
    )
    # Every base the caller reads, even when the workspaces could not be listed.
    found, failure = await recent_activity(upstream, bases)
    answer.recent_activity.extend(found)
    if failure is not None:
        if not isinstance(failure, DomainError):
            raise failure
        partial.append(pb.Partial(section="recent_activity", reason=why(GATEWAY, failure)))
    answer.partial.extend(partial)
    return answer
