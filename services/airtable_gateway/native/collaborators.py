"""Collaborator values ({id, email, name}) for createdBy / lastModifiedBy, cached per user."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.shared.clients import translate
from services.shared.identity import Caller
from services.shared.runtime import Runtime

_TTL_S = 60.0


class Collaborators:
    def __init__(self, runtime: Runtime) -> None:
        self._cache = runtime.cache
        self._stub = user_pb2_grpc.UserServiceStub(runtime.clients.channel("user"))

    async def of(self, caller: Caller, user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The collaborator value of each user id: the cache first, user-service for the rest."""
        ids = sorted(set(user_ids))
        keys = [f"airtable-user:{caller.tenant_id}:{user_id}" for user_id in ids]
        found: dict[str, dict[str, Any]] = {}
        missing = []
        for user_id, cached in zip(ids, await self._cache.get_many(keys), strict=True):
            if cached is None:
                missing.append(user_id)
            else:
                found[user_id] = json.loads(cached)
        for user_id, value in zip(
            missing, await asyncio.gather(*map(self._fetch, missing)), strict=True
        ):
            found[user_id] = value
            key = f"airtable-user:{caller.tenant_id}:{user_id}"
            await self._cache.set(key, json.dumps(value).encode(), ttl_s=_TTL_S)
        return found

    async def _fetch(self, user_id: str) -> dict[str, Any]:
        try:
            answer = await self._stub.GetUser(user_pb2.GetUserRequest(user_id=user_id))
        except grpc.aio.AioRpcError as err:
            if err.code() is grpc.StatusCode.NOT_FOUND:
                # A user who has left the tenant still shows as who made the record.
                return {"id": user_id}
            raise translate("user", err) from None
        user = answer.user
        return {"id": user.id, "email": user.email, "name": user.name}
