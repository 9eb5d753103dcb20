"""Connecting, listing and disconnecting Airtable bases, and finding a base's connection.

A connection is a base in a workspace (registered through workspace-service, which checks
the caller's role and the tenant's base quota) plus where its records live at Airtable and
the tenant's token for them, stored sealed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import grpc
from pyat.airtable.v1 import airtable_gateway_pb2 as pb
from pyat.workspace.v1 import workspace_pb2, workspace_pb2_grpc
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.airtable_gateway.connected.airtable import AirtableClient, Target
from services.airtable_gateway.connected.storage import ConnectionRow
from services.airtable_gateway.connected.tokens import TokenCipher
from services.shared.clients import translate
from services.shared.db import utcnow
from services.shared.errors import InvalidArgument, NotFound
from services.shared.identity import Caller
from services.shared.ids import looks_like
from services.shared.protos import timestamp
from services.shared.runtime import Runtime

DEFAULT_ENDPOINT = "https://api.airtable.com"
MAX_NAME = 200
MAX_URL = 2048
# lookup() runs on every record call, for native bases too, so both answers are cached.
# Connect and disconnect update the entry at once; other processes see it within this time.
_LOOKUP_TTL_S = 10.0
_NATIVE = b"native"


@dataclass(frozen=True)
class Connection:
    """A connected base, with its token opened, ready to forward calls to Airtable."""

    tenant_id: str
    base_id: str
    workspace_id: str
    airtable_base_id: str
    endpoint_url: str
    name: str
    created_by: str
    created_at: dt.datetime
    token: str = field(repr=False)

    @property
    def target(self) -> Target:
        return Target(self.endpoint_url, self.airtable_base_id, self.token)


class Connections:
    def __init__(self, runtime: Runtime, client: AirtableClient) -> None:
        self._db = runtime.db
        self._cache = runtime.cache
        self._client = client
        self._cipher = TokenCipher(runtime.settings)
        self._allowed_endpoints = runtime.settings.airtable_endpoints
        self._workspaces = workspace_pb2_grpc.WorkspaceServiceStub(
            runtime.clients.channel("workspace")
        )

    async def lookup(self, caller: Caller, base_id: str) -> Connection | None:
        key = _cache_key(caller.tenant_id, base_id)
        cached = await self._cache.get(key)
        if cached is None:
            async with self._db.read() as session:
                row = await _row_of(session, caller.tenant_id, base_id)
            cached = _NATIVE if row is None else _dump(row)
            await self._cache.set(key, cached, ttl_s=_LOOKUP_TTL_S)
        return None if cached == _NATIVE else self._open(_load(cached))

    async def connect(self, caller: Caller, request: pb.ConnectBaseRequest) -> pb.Connection:
        endpoint = _check_connect(request, self._allowed_endpoints)
        token = request.token.strip()
        # A wrong token or base fails here, before a base is registered for it.
        await self._client.verify(Target(endpoint, request.airtable_base_id, token))
        name = request.name.strip() or f"Airtable {request.airtable_base_id}"
        try:
            created = await self._workspaces.CreateBase(
                workspace_pb2.CreateBaseRequest(workspace_id=request.workspace_id, name=name)
            )
        except grpc.aio.AioRpcError as err:
            raise translate("workspace", err) from None
        base = created.base
        row = ConnectionRow(
            base_id=base.id,
            tenant_id=caller.tenant_id,
            workspace_id=base.workspace_id,
            airtable_base_id=request.airtable_base_id,
            endpoint_url=endpoint,
            name=name,
            token_sealed=self._cipher.seal(token, caller.tenant_id, base.id),
            created_by=caller.user_id,
            created_at=utcnow(),
        )
        try:
            async with self._db.transaction() as session:
                session.add(row)
        except Exception:
            # Leave no registered base behind that nothing serves, if the caller may remove it.
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self._workspaces.DeleteBase(workspace_pb2.DeleteBaseRequest(base_id=base.id))
            raise
        await self._cache.set(_cache_key(caller.tenant_id, base.id), _dump(row), _LOOKUP_TTL_S)
        return _described(row)

    async def of_caller(self, caller: Caller) -> list[pb.Connection]:
        """The tenant's connections in the bases the caller can read."""
        try:
            listed = await self._workspaces.ListBases(workspace_pb2.ListBasesRequest())
        except grpc.aio.AioRpcError as err:
            raise translate("workspace", err) from None
        readable = [base.id for base in listed.bases]
        async with self._db.read() as session:
            rows = await session.scalars(
                select(ConnectionRow)
                .where(ConnectionRow.tenant_id == caller.tenant_id)
                .where(ConnectionRow.base_id.in_(readable))
                .order_by(ConnectionRow.created_at, ConnectionRow.base_id)
            )
            return [_described(row) for row in rows]

    async def disconnect(self, caller: Caller, base_id: str) -> None:
        async with self._db.read() as session:
            row = await _row_of(session, caller.tenant_id, base_id)
        if row is None:
            raise NotFound(f"no connected base {base_id!r}", reason="CONNECTION_NOT_FOUND")
        # workspace-service decides who may remove a base (owners only).
        try:
            await self._workspaces.DeleteBase(workspace_pb2.DeleteBaseRequest(base_id=base_id))
        except grpc.aio.AioRpcError as err:
            raise translate("workspace", err) from None
        await self.forget(caller.tenant_id, base_id)

    async def forget(self, tenant_id: str, base_id: str) -> None:
        """Drop a connection and its token (its base is gone from the workspace)."""
        async with self._db.transaction() as session:
            await session.execute(
                delete(ConnectionRow).where(
                    ConnectionRow.tenant_id == tenant_id, ConnectionRow.base_id == base_id
                )
            )
        await self._cache.delete(_cache_key(tenant_id, base_id))

    def _open(self, row: ConnectionRow) -> Connection:
        kept = {column: getattr(row, column) for column in _COLUMNS if column != "token_sealed"}
        token = self._cipher.open(row.token_sealed, row.tenant_id, row.base_id)
        return Connection(**kept, token=token)


def _described(row: ConnectionRow) -> pb.Connection:
    """What the caller may see of a connection: everything but the token."""
    return pb.Connection(
        base_id=row.base_id,
        airtable_base_id=row.airtable_base_id,
        workspace_id=row.workspace_id,
        name=row.name,
        endpoint_url=row.endpoint_url,
        created_by=row.created_by,
        created_at=timestamp(row.created_at),
    )


async def _row_of(session: AsyncSession, tenant_id: str, base_id: str) -> ConnectionRow | None:
    found: ConnectionRow | None = await session.scalar(
        select(ConnectionRow).where(
            ConnectionRow.tenant_id == tenant_id, ConnectionRow.base_id == base_id
        )
    )
    return found


def _cache_key(tenant_id: str, base_id: str) -> str:
    return f"airtable-connection:{tenant_id}:{base_id}"


# The cache holds the row as stored, token still sealed: the cache may be a shared Redis.
def _dump(row: ConnectionRow) -> bytes:
    values = {column: getattr(row, column) for column in _COLUMNS}
    values["created_at"] = row.created_at.isoformat()
    return json.dumps(values).encode()


def _load(cached: bytes) -> ConnectionRow:
    values = json.loads(cached)
    values["created_at"] = dt.datetime.fromisoformat(values["created_at"])
    return ConnectionRow(**values)


_COLUMNS = tuple(column.key for column in ConnectionRow.__table__.columns)


def _check_connect(request: pb.ConnectBaseRequest, allowed: Sequence[str]) -> str:
    """The request's endpoint URL, normalized, once every field is valid."""
    bad: dict[str, str] = {}
    if not request.workspace_id:
        bad["workspace_id"] = "give the workspace to add the base to"
    if not looks_like(request.airtable_base_id, "app"):
        bad["airtable_base_id"] = "an Airtable base id: 'app' followed by 14 letters or digits"
    token = request.token.strip()
    if not token:
        bad["token"] = "give an Airtable personal access token"
    elif not token.isascii() or not token.isprintable() or " " in token:
        bad["token"] = "a token is printable ASCII without spaces"
    if len(request.name.strip()) > MAX_NAME:
        bad["name"] = f"at most {MAX_NAME} characters"
    endpoint = (request.endpoint_url.strip() or DEFAULT_ENDPOINT).rstrip("/")
    if not _is_http_url(endpoint):
        bad["endpoint_url"] = "an http(s) URL such as https://api.airtable.com"
    elif not any(_within(endpoint, url) for url in allowed):
        bad["endpoint_url"] = f"not one this server may reach: {', '.join(allowed)}"
    if bad:
        raise InvalidArgument("the connection request is not valid", fields=bad)
    return endpoint


def _within(endpoint: str, allowed: str) -> bool:
    """Whether `endpoint` is on the allowed URL's scheme and host (and port, if it has one)."""
    try:
        mine, theirs = urlsplit(endpoint), urlsplit(allowed)
        same_port = theirs.port is None or mine.port == theirs.port
    except ValueError:
        return False
    return (mine.scheme, mine.hostname) == (theirs.scheme, theirs.hostname) and same_port


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        return False
    return (
        len(url) <= MAX_URL
        and parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not (parts.query or parts.fragment or parts.username or parts.password)
    )
