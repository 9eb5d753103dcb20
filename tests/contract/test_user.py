"""user-service over real gRPC: the caller's profile, tenant scoping and the internal create."""

from __future__ import annotations

import grpc
import pytest
from pyat.auth.v1 import auth_pb2_grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc

from tests.contract.test_auth import register
from tests.fixtures.callers import caller_metadata


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
    as_self = caller_metadata(user.tenant_id, user.id, via="auth")
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


async def test_update_me_changes_name_and_merges_preferences(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    alice = await register(auth)
    token = bearer(alice.access_token)
    first = user_pb2.UpdateMeRequest(name="  Alice   Liddell ")
    first.preferences.update({"theme": "dark", "locale": "en-GB"})
    updated = (await users.UpdateMe(first, metadata=token)).user
    assert updated.name == "Alice Liddell"
    assert dict(updated.preferences) == {"theme": "dark", "locale": "en-GB"}

    second = user_pb2.UpdateMeRequest()
    second.preferences.update({"theme": None, "density": "compact"})
    updated = (await users.UpdateMe(second, metadata=token)).user
    assert updated.name == "Alice Liddell"  # absent name is kept
    assert dict(updated.preferences) == {"locale": "en-GB", "density": "compact"}
    assert (await users.GetMe(user_pb2.GetMeRequest(), metadata=token)).user == updated


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
async def test_update_me_rejects_bad_names(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub, name: str
) -> None:
    alice = await register(auth)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.UpdateMe(
            user_pb2.UpdateMeRequest(name=name), metadata=bearer(alice.access_token)
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    me = await users.GetMe(user_pb2.GetMeRequest(), metadata=bearer(alice.access_token))
    assert me.user.name == alice.user.name  # nothing stored was lost


async def test_update_me_refuses_huge_preferences(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    alice = await register(auth)
    request = user_pb2.UpdateMeRequest()
    request.preferences.update({"blob": "x" * 20_000})
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.UpdateMe(request, metadata=bearer(alice.access_token))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def _tenant_of_three(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A tenant with three users (created as internal calls would), and its owner's identity."""
    owner = await register(auth, name="Zed Owner")
    as_owner = caller_metadata(owner.user.tenant_id, owner.user.id)
    from services.shared.ids import new_id

    for name in ("Ann Apple", "Bob Banana"):
        user_id = new_id("usr")
        await users.CreateUser(
            user_pb2.CreateUserRequest(
                user_id=user_id,
                tenant_id=owner.user.tenant_id,
                email=f"{name.split()[0].lower()}-{user_id[-6:]}@example.com",
                name=name,
            ),
            metadata=caller_metadata(owner.user.tenant_id, user_id, via="auth"),
        )
    return owner.user.tenant_id, as_owner


async def test_list_users_pages_through_the_tenant_by_name(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    _, as_owner = await _tenant_of_three(auth, users)
    await register(auth)  # someone in another tenant, never listed
    names, token = [], ""
    for _ in range(5):  # two pages; more means the page tokens loop
        page = await users.ListUsers(
            user_pb2.ListUsersRequest(page_size=2, page_token=token), metadata=as_owner
        )
        names += [u.name for u in page.users]
        token = page.next_page_token
        if not token:
            break
    assert names == ["Ann Apple", "Bob Banana", "Zed Owner"]


async def test_list_users_filters_by_exact_email(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    alice = await register(auth)
    found = await users.ListUsers(
        user_pb2.ListUsersRequest(email=alice.user.email.upper()),
        metadata=bearer(alice.access_token),
    )
    assert [u.id for u in found.users] == [alice.user.id]


@pytest.mark.parametrize("request_fields", [{"page_token": "!!not-a-token"}, {"page_size": -1}])
async def test_list_users_rejects_bad_paging(
    auth: auth_pb2_grpc.AuthServiceStub,
    users: user_pb2_grpc.UserServiceStub,
    request_fields: dict[str, object],
) -> None:
    alice = await register(auth)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.ListUsers(
            user_pb2.ListUsersRequest(**request_fields),  # type: ignore[arg-type]
            metadata=bearer(alice.access_token),
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_search_users_matches_name_or_email_within_the_tenant(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    _, as_owner = await _tenant_of_three(auth, users)
    outsider = await register(auth, name="Ann Outsider")

    async def search(query: str) -> list[str]:
        found = await users.SearchUsers(user_pb2.SearchUsersRequest(query=query), metadata=as_owner)
        return [u.name for u in found.users]

    assert await search("ann") == ["Ann Apple"]
    assert await search("BOB-") == ["Bob Banana"]  # matched on the email
    assert await search("%") == []  # wildcards are literal
    assert outsider.user.name not in await search("outsider")


async def test_whoami_reports_the_token_owner(
    auth: auth_pb2_grpc.AuthServiceStub, users: user_pb2_grpc.UserServiceStub
) -> None:
    alice = await register(auth)
    me = await users.WhoAmI(user_pb2.WhoAmIRequest(), metadata=bearer(alice.access_token))
    assert (me.id, me.email, list(me.scopes)) == (alice.user.id, alice.user.email, [])
