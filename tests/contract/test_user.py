"""user-service over real gRPC: the caller's profile, tenant scoping and the internal create."""

from __future__ import annotations

import grpc
import pytest
from pyat.auth.v1 import auth_pb2_grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.shared.identity import TENANT_HEADER, USER_HEADER
from tests.contract.test_auth import register


@pytest.fixture
def users(channel: grpc.aio.Channel) -> user_pb2_grpc.UserServiceStub:
    return user_pb2_grpc.UserServiceStub(channel)


@pytest.fixture
def auth(channel: grpc.aio.Channel) -> auth_pb2_grpc.AuthServiceStub:
    return auth_pb2_grpc.AuthServiceStub(channel)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


async def test_get_me_with_a_bearer_token(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    registered = await register(auth)
    me = await users.GetMe(user_pb2.GetMeRequest(), metadata=bearer(registered.access_token))
    assert me.user == registered.user


@pytest.mark.parametrize(
    "metadata",
    [(), (("authorization", "Basic dXNlcjpwYXNz"),), (("authorization", "Bearer "),),
     (("authorization", "Bearer not-a-token"),)],
    ids=["none", "basic", "empty-bearer", "garbage-bearer"],
)  # fmt: skip
async def test_get_me_refuses_missing_or_bad_credentials(
    users: user_pb2_grpc.UserServiceStub, metadata: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.GetMe(user_pb2.GetMeRequest(), metadata=metadata)
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_get_user_finds_only_users_of_the_callers_tenant(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    alice, bob = await register(auth), await register(auth)
    own = await users.GetUser(
        user_pb2.GetUserRequest(user_id=alice.user.id), metadata=bearer(alice.access_token)
    )
    assert own.user.id == alice.user.id

    missing_id = "usr" + "Z" * 14
    answers = []
    for user_id in (bob.user.id, missing_id):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await users.GetUser(
                user_pb2.GetUserRequest(user_id=user_id), metadata=bearer(alice.access_token)
            )
        answers.append((caught.value.code(), caught.value.details().replace(user_id, "<id>")))
    # Another tenant's user is indistinguishable from one that does not exist.
    assert answers[0] == answers[1] == (grpc.StatusCode.NOT_FOUND, "user '<id>' not found")


@pytest.mark.parametrize("user_id", ["", "usr", "../../etc", "usr" + "%" * 14, "x" * 10_000])
async def test_get_user_with_malformed_ids(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub, user_id: str
) -> None:
    alice = await register(auth)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.GetUser(
            user_pb2.GetUserRequest(user_id=user_id), metadata=bearer(alice.access_token)
        )
    expected = grpc.StatusCode.INVALID_ARGUMENT if not user_id else grpc.StatusCode.NOT_FOUND
    assert caught.value.code() is expected


async def test_create_user_is_idempotent_on_the_user_id(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    registered = await register(auth)
    user = registered.user
    as_self = ((TENANT_HEADER, user.tenant_id), (USER_HEADER, user.id))
    again = await users.CreateUser(
        user_pb2.CreateUserRequest(
            user_id=user.id, tenant_id=user.tenant_id, email=user.email, name="Someone Else"
        ),
        metadata=as_self,
    )
    assert again.created is False
    assert again.user == user


async def test_create_user_only_on_the_new_users_own_behalf(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    mallory = await register(auth)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.CreateUser(
            user_pb2.CreateUserRequest(
                user_id="usr" + "M" * 14, tenant_id="ten" + "V" * 14, email="v@example.com"
            ),
            metadata=bearer(mallory.access_token),
        )
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
