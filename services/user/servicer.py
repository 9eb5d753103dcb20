"""user-service's gRPC surface: GetMe, GetUser and the internal CreateUser."""

from __future__ import annotations

from typing import Any

import grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.shared.errors import InvalidArgument, NotFound, PermissionDenied
from services.shared.identity import authenticate
from services.shared.ids import looks_like
from services.shared.protos import timestamp
from services.shared.runtime import Runtime
from services.user.profiles import create_profile
from services.user.storage import Profile, profile_in_tenant

Context = grpc.aio.ServicerContext[Any, Any]


def to_message(profile: Profile) -> user_pb2.User:
    return user_pb2.User(
        id=profile.id,
        tenant_id=profile.tenant_id,
        email=profile.email,
        name=profile.name,
        created_at=timestamp(profile.created_at),
        updated_at=timestamp(profile.updated_at),
    )


class UserServicer(user_pb2_grpc.UserServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def GetMe(
        self, request: user_pb2.GetMeRequest, context: Context
    ) -> user_pb2.GetMeResponse:
        caller = await authenticate(context, self.runtime.clients)
        return user_pb2.GetMeResponse(user=await self._get(caller.tenant_id, caller.user_id))

    async def GetUser(
        self, request: user_pb2.GetUserRequest, context: Context
    ) -> user_pb2.GetUserResponse:
        caller = await authenticate(context, self.runtime.clients)
        if not request.user_id:
            raise InvalidArgument("user_id is required", fields={"user_id": "is required"})
        return user_pb2.GetUserResponse(user=await self._get(caller.tenant_id, request.user_id))

    async def CreateUser(
        self, request: user_pb2.CreateUserRequest, context: Context
    ) -> user_pb2.CreateUserResponse:
        # Only on behalf of the new user itself, i.e. by auth-service right after Register.
        caller = await authenticate(context, self.runtime.clients)
        if (caller.tenant_id, caller.user_id) != (request.tenant_id, request.user_id):
            raise PermissionDenied("a user can only be created on its own behalf")
        profile, created = await create_profile(
            self.runtime.db,
            user_id=request.user_id,
            tenant_id=request.tenant_id,
            email=request.email,
            name=request.name,
        )
        return user_pb2.CreateUserResponse(user=to_message(profile), created=created)

    async def _get(self, tenant_id: str, user_id: str) -> user_pb2.User:
        profile = None
        if looks_like(user_id, "usr"):
            async with self.runtime.db.read() as session:
                profile = await profile_in_tenant(session, tenant_id, user_id)
        if profile is None:
            # The same answer for "no such user" and "another tenant's user".
            shown = user_id if len(user_id) <= 17 else user_id[:17] + "..."
            raise NotFound(f"user {shown!r} not found", reason="USER_NOT_FOUND")
        return to_message(profile)
