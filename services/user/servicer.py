"""user-service's gRPC surface: profiles of the caller's tenant, and the internal CreateUser."""

from __future__ import annotations

import json

from google.protobuf import json_format
from pyat.events.v1 import events_pb2
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.shared import identity
from services.shared.db import utcnow
from services.shared.errors import InvalidArgument, NotFound, PermissionDenied
from services.shared.ids import looks_like
from services.shared.outbox import add_event
from services.shared.protos import timestamp
from services.shared.runtime import Context, Runtime
from services.shared.structs import to_struct
from services.shared.versions import Versions, profile_scope
from services.user import profiles
from services.user.profiles import create_profile
from services.user.storage import Profile, profile_in_tenant

# Profiles change rarely and every change deletes the entry; the TTL only bounds staleness
# when a delete is lost.
_CACHE_TTL_S = 300.0


def _cache_key(tenant_id: str, user_id: str) -> str:
    return f"user:profile:{tenant_id}:{user_id}"


def to_message(profile: Profile) -> user_pb2.User:
    preferences = to_struct(json.loads(profile.preferences or "{}"))
    return user_pb2.User(
        id=profile.id,
        tenant_id=profile.tenant_id,
        email=profile.email,
        name=profile.name,
        created_at=timestamp(profile.created_at),
        updated_at=timestamp(profile.updated_at),
        preferences=preferences,
    )


class UserServicer(user_pb2_grpc.UserServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.versions = Versions(runtime.cache)

    async def GetMe(
        self, request: user_pb2.GetMeRequest, context: Context
    ) -> user_pb2.GetMeResponse:
        caller = identity.caller()
        return user_pb2.GetMeResponse(user=await self._get(caller.tenant_id, caller.user_id))

    async def GetUser(
        self, request: user_pb2.GetUserRequest, context: Context
    ) -> user_pb2.GetUserResponse:
        caller = identity.caller()
        if not request.user_id:
            raise InvalidArgument("user_id is required", fields={"user_id": "is required"})
        return user_pb2.GetUserResponse(user=await self._get(caller.tenant_id, request.user_id))

    async def UpdateMe(
        self, request: user_pb2.UpdateMeRequest, context: Context
    ) -> user_pb2.UpdateMeResponse:
        caller = identity.caller()
        name = profiles.clean_name(request.name) if request.HasField("name") else None
        changes = (
            json_format.MessageToDict(request.preferences)
            if request.HasField("preferences")
            else {}
        )
        async with self.runtime.db.transaction() as session:
            profile = await profile_in_tenant(session, caller.tenant_id, caller.user_id)
            if profile is None:
                raise NotFound("user not found", reason="USER_NOT_FOUND")
            changed = []
            if name is not None and name != profile.name:
                profile.name = name
                changed.append("name")
            if changes:
                profile.preferences = profiles.merged_preferences(profile.preferences, changes)
                changed.append("preferences")
            if changed:
                profile.updated_at = utcnow()
                add_event(
                    session,
                    events_pb2.UserUpdated(
                        user_id=profile.id, tenant_id=profile.tenant_id, changed_fields=changed
                    ),
                    tenant_id=profile.tenant_id,
                    source="user",
                )
        await self.runtime.cache.delete(_cache_key(caller.tenant_id, caller.user_id))
        # What other services keep of the profile (web-bff's home) is not current either.
        await self.versions.replace(profile_scope(caller.tenant_id, caller.user_id))
        self.runtime.outbox.notify()
        return user_pb2.UpdateMeResponse(user=to_message(profile))

    async def ListUsers(
        self, request: user_pb2.ListUsersRequest, context: Context
    ) -> user_pb2.ListUsersResponse:
        caller = identity.caller()
        size = profiles.page_size(request.page_size, default=50)
        after = profiles.decode_page_token(request.page_token) if request.page_token else None
        rows, more = await profiles.list_page(
            self.runtime.db, caller.tenant_id, size, after, request.email
        )
        return user_pb2.ListUsersResponse(
            users=[to_message(row) for row in rows],
            next_page_token=profiles.encode_page_token(rows[-1]) if more else "",
        )

    async def SearchUsers(
        self, request: user_pb2.SearchUsersRequest, context: Context
    ) -> user_pb2.SearchUsersResponse:
        caller = identity.caller()
        limit = profiles.page_size(request.limit, default=20)
        rows = await profiles.search(self.runtime.db, caller.tenant_id, request.query, limit)
        return user_pb2.SearchUsersResponse(users=[to_message(row) for row in rows])

    async def WhoAmI(
        self, request: user_pb2.WhoAmIRequest, context: Context
    ) -> user_pb2.WhoAmIResponse:
        caller = identity.caller()
        user = await self._get(caller.tenant_id, caller.user_id)
        return user_pb2.WhoAmIResponse(id=user.id, email=user.email, scopes=caller.scopes)

    async def CreateUser(
        self, request: user_pb2.CreateUserRequest, context: Context
    ) -> user_pb2.CreateUserResponse:
        # Only on behalf of the new user itself, i.e. by auth-service right after Register.
        caller = identity.caller()
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
        """A profile of the tenant, from the cache when it is there (GetMe is a hot path)."""
        key = _cache_key(tenant_id, user_id)
        cached = await self.runtime.cache.get(key) if looks_like(user_id, "usr") else None
        if cached is not None:
            return user_pb2.User.FromString(cached)
        profile = None
        if looks_like(user_id, "usr"):
            async with self.runtime.db.read() as session:
                profile = await profile_in_tenant(session, tenant_id, user_id)
        if profile is None:
            # The same answer for "no such user" and "another tenant's user".
            shown = user_id if len(user_id) <= 17 else user_id[:17] + "..."
            raise NotFound(f"user {shown!r} not found", reason="USER_NOT_FOUND")
        user = to_message(profile)
        await self.runtime.cache.set(key, user.SerializeToString(), _CACHE_TTL_S)
        return user
