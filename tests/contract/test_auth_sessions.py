"""auth-service sessions and personal access tokens over real gRPC: rotation, reuse, logout,
revocation, lockout, scopes; and the ways each can be abused."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc
from sqlalchemy import update

from services.auth.client_address import client_address
from services.auth.storage import PersonalToken
from services.shared.server import Host
from tests.contract.test_auth import PASSWORD, new_email, register
from tests.fixtures.callers import service_metadata

if TYPE_CHECKING:  # the async stub type exists only in the generated .pyi
    from pyat.auth.v1.auth_pb2_grpc import AuthServiceAsyncStub as AuthStub

Metadata = tuple[tuple[str, str], ...]
WRONG = "wrong-pass-1"


@pytest.fixture
def auth(channel: grpc.aio.Channel) -> AuthStub:
    return auth_pb2_grpc.AuthServiceStub(channel)


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


async def assert_refused(
    call: object, code: grpc.StatusCode = grpc.StatusCode.UNAUTHENTICATED
) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.code() is code, caught.value.details()
    return caught.value.details() or ""


async def verify(auth: AuthStub, token: str) -> auth_pb2.VerifyTokenResponse:
    answer: auth_pb2.VerifyTokenResponse = await auth.VerifyToken(
        auth_pb2.VerifyTokenRequest(token=token), metadata=service_metadata()
    )
    return answer


async def test_refresh_rotates_the_tokens_in_the_same_session(
    auth: AuthStub,
) -> None:
    registered = await register(auth)
    refreshed = await auth.Refresh(auth_pb2.RefreshRequest(refresh_token=registered.refresh_token))
    assert refreshed.user == registered.user
    assert refreshed.refresh_token != registered.refresh_token
    old, new = (
        await verify(auth, registered.access_token),
        await verify(auth, refreshed.access_token),
    )
    assert old.session_id == new.session_id
    assert new.kind == auth_pb2.TOKEN_KIND_ACCESS


async def test_reusing_a_refresh_token_ends_the_whole_session(
    auth: AuthStub,
) -> None:
    registered = await register(auth)
    stolen = registered.refresh_token
    legit = await auth.Refresh(auth_pb2.RefreshRequest(refresh_token=stolen))
    details = await assert_refused(auth.Refresh(auth_pb2.RefreshRequest(refresh_token=stolen)))
    assert "already used" in details
    # Everything issued in that session is now dead, the legitimate newer tokens included.
    await assert_refused(auth.Refresh(auth_pb2.RefreshRequest(refresh_token=legit.refresh_token)))
    await assert_refused(verify(auth, legit.access_token))
    await assert_refused(verify(auth, registered.access_token))
    # Signing in again starts a fresh session that works.
    login = await auth.Login(auth_pb2.LoginRequest(email=registered.user.email, password=PASSWORD))
    assert (await verify(auth, login.access_token)).user_id == registered.user.id


async def test_one_refresh_token_used_twice_at_once_is_reuse_too(
    auth_on_each_store: AuthStub,
) -> None:
    # Two refreshes of one token racing: never two live sessions from it. (On SQLite both
    # once read the token as unused before either marked it.)
    auth = auth_on_each_store
    for _ in range(3):
        registered = await register(auth)
        request = auth_pb2.RefreshRequest(refresh_token=registered.refresh_token)
        answers = await asyncio.gather(
            auth.Refresh(request), auth.Refresh(request), return_exceptions=True
        )
        refreshed = [a for a in answers if isinstance(a, auth_pb2.RefreshResponse)]
        assert len(refreshed) <= 1, "one refresh token gave two sessions"
        for answer in refreshed:
            # The other was a reuse: the whole session, the winner's new tokens included, ends.
            await assert_refused(verify(auth, answer.access_token))


@pytest.mark.parametrize("token", ["", "rt_nonsense", "x" * 5000])
async def test_refresh_refuses_unknown_tokens(auth: AuthStub, token: str) -> None:
    expected = grpc.StatusCode.INVALID_ARGUMENT if not token else grpc.StatusCode.UNAUTHENTICATED
    await assert_refused(auth.Refresh(auth_pb2.RefreshRequest(refresh_token=token)), expected)


async def test_logout_ends_only_the_current_session(auth: AuthStub) -> None:
    registered = await register(auth)
    other = await auth.Login(auth_pb2.LoginRequest(email=registered.user.email, password=PASSWORD))
    await auth.Logout(auth_pb2.LogoutRequest(), metadata=bearer(registered.access_token))
    await assert_refused(verify(auth, registered.access_token))
    await assert_refused(
        auth.Refresh(auth_pb2.RefreshRequest(refresh_token=registered.refresh_token))
    )
    assert (await verify(auth, other.access_token)).user_id == registered.user.id


async def test_logout_needs_a_valid_session_token(auth: AuthStub) -> None:
    await assert_refused(auth.Logout(auth_pb2.LogoutRequest()))
    await assert_refused(auth.Logout(auth_pb2.LogoutRequest(), metadata=bearer("nonsense")))


async def test_revoke_all_sessions_ends_every_session(auth: AuthStub) -> None:
    registered = await register(auth)
    email = registered.user.email
    logins = [await auth.Login(auth_pb2.LoginRequest(email=email, password=PASSWORD)) for _ in "ab"]
    answer = await auth.RevokeAllSessions(
        auth_pb2.RevokeAllSessionsRequest(), metadata=bearer(logins[0].access_token)
    )
    assert answer.revoked == 3
    sessions: list[auth_pb2.RegisterResponse | auth_pb2.LoginResponse] = [registered, *logins]
    for session in sessions:
        await assert_refused(verify(auth, session.access_token))
        await assert_refused(
            auth.Refresh(auth_pb2.RefreshRequest(refresh_token=session.refresh_token))
        )


def error_reason(err: grpc.aio.AioRpcError) -> str:
    """The google.rpc.ErrorInfo reason of a failed call."""
    status = rpc_status.from_call(err)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return str(info.reason)
    return ""


def through_envoy(*forwarded_for: str) -> Metadata:
    """The metadata of a login that came through Envoy, which appends the peer it saw to
    whatever X-Forwarded-For the client sent: the last entry is the client's address."""
    return (("x-forwarded-for", ", ".join(forwarded_for)),)


def login(email: str, password: str) -> auth_pb2.LoginRequest:
    return auth_pb2.LoginRequest(email=email, password=password)


@pytest.fixture(params=["sqlite-memory-cache", "postgres-redis"])
def auth_on_each_store(request: pytest.FixtureRequest) -> AuthStub:
    """auth-service with its lockout state in the in-process cache, then in Redis."""
    name = "channel" if request.param == "sqlite-memory-cache" else "pg_channel"
    channel: grpc.aio.Channel = request.getfixturevalue(name)
    return auth_pb2_grpc.AuthServiceStub(channel)


async def test_five_failed_logins_from_one_address_lock_that_address_out(
    auth: AuthStub,
) -> None:
    registered = await register(auth)
    email = registered.user.email
    for _ in range(5):
        await assert_refused(auth.Login(login(email, WRONG)))
    # Now even the right password is refused from there, with a status that says why.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.Login(login(email, PASSWORD))
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "from your address; try again in 15 minutes" in (caught.value.details() or "")
    assert error_reason(caught.value) == "LOGIN_LOCKED"
    # Sessions that already exist are not affected.
    assert (await verify(auth, registered.access_token)).user_id == registered.user.id


async def test_a_stranger_locked_out_does_not_lock_out_the_owner(
    auth_on_each_store: AuthStub,
) -> None:
    auth = auth_on_each_store
    email = (await register(auth)).user.email
    stranger, owner = through_envoy("203.0.113.7"), through_envoy("198.51.100.20")
    for _ in range(5):
        await assert_refused(auth.Login(login(email, WRONG), metadata=stranger))
    await assert_refused(
        auth.Login(login(email, PASSWORD), metadata=stranger), grpc.StatusCode.RESOURCE_EXHAUSTED
    )
    # The owner signs in from their own address, through Envoy or straight to the port.
    await auth.Login(login(email, PASSWORD), metadata=owner)
    await auth.Login(login(email, PASSWORD))
    # Which does not lift the stranger's lockout.
    await assert_refused(
        auth.Login(login(email, PASSWORD), metadata=stranger), grpc.StatusCode.RESOURCE_EXHAUSTED
    )


async def test_only_the_address_envoy_appended_counts(auth: AuthStub) -> None:
    email = (await register(auth)).user.email
    # A stranger writes a new X-Forwarded-For every time, even the owner's address; Envoy
    # appends the same peer to each, so the lockout still comes after five.
    for n in range(5):
        claimed = through_envoy(f"192.0.2.{n}", "198.51.100.20", "203.0.113.8")
        await assert_refused(auth.Login(login(email, WRONG), metadata=claimed))
    await assert_refused(
        auth.Login(login(email, PASSWORD), metadata=through_envoy("192.0.2.99", "203.0.113.8")),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    # The owner at 198.51.100.20 was only named, never locked out; nor is anyone who names
    # the stranger's address before their own.
    await auth.Login(login(email, PASSWORD), metadata=through_envoy("198.51.100.20"))
    await auth.Login(login(email, PASSWORD), metadata=through_envoy("203.0.113.8", "192.0.2.50"))


@pytest.mark.parametrize(
    ("metadata", "peer", "address"),
    [
        ((), "ipv4:127.0.0.1:54321", "127.0.0.1"),
        ((), "ipv6:%5B2001:db8::7%5D:54321", "2001:db8::/64"),
        ((), "ipv6:%5B::ffff:192.0.2.1%5D:443", "192.0.2.1"),
        ((), "unix:/run/pyat.sock", "unix:/run/pyat.sock"),
        ((("x-forwarded-for", "203.0.113.7"),), "ipv4:10.0.0.5:80", "203.0.113.7"),
        (
            (("x-forwarded-for", "1.2.3.4, 10.1.1.1,203.0.113.7"),),
            "ipv4:10.0.0.5:80",
            "203.0.113.7",
        ),
        (
            (("x-forwarded-for", "1.2.3.4"), ("user-agent", "x"), ("x-forwarded-for", "5.6.7.8")),
            "ipv4:10.0.0.5:80",
            "5.6.7.8",
        ),
        ((("X-Forwarded-For", "203.0.113.7"),), "ipv4:10.0.0.5:80", "203.0.113.7"),
        ((("x-forwarded-for", "2001:db8:1:2:3:4:5:6"),), "ipv4:10.0.0.5:80", "2001:db8:1:2::/64"),
        ((("x-forwarded-for", "::ffff:203.0.113.7"),), "ipv4:10.0.0.5:80", "203.0.113.7"),
        ((("x-forwarded-for", "203.0.113.7, not-an-address"),), "ipv4:10.0.0.5:80", "10.0.0.5"),
        ((("x-forwarded-for", "203.0.113.7, "),), "ipv4:10.0.0.5:80", "10.0.0.5"),
        ((("x-forwarded-for", b"203.0.113.7"),), "ipv4:10.0.0.5:80", "203.0.113.7"),
    ],
    ids=[
        "peer-ipv4",
        "peer-ipv6-is-its-64",
        "peer-ipv4-mapped",
        "peer-unix-socket",
        "envoy-appended",
        "last-entry-only",
        "last-header-only",
        "header-name-any-case",
        "ipv6-is-its-64",
        "ipv4-mapped",
        "garbage-falls-back-to-peer",
        "empty-last-entry-falls-back-to-peer",
        "bytes-value",
    ],
)
def test_the_client_address_is_the_last_forwarded_for_entry_or_the_peer(
    metadata: tuple[tuple[str, str | bytes], ...], peer: str, address: str
) -> None:
    assert client_address(metadata, peer) == address


async def test_unknown_emails_lock_out_the_same_way(auth: AuthStub) -> None:
    email = new_email()
    for _ in range(5):
        await assert_refused(auth.Login(auth_pb2.LoginRequest(email=email, password=WRONG)))
    await assert_refused(
        auth.Login(auth_pb2.LoginRequest(email=email, password=WRONG)),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )


async def test_a_successful_login_resets_the_failure_count(
    auth: AuthStub,
) -> None:
    email = (await register(auth)).user.email
    for _round in range(2):
        for _ in range(4):
            await assert_refused(auth.Login(auth_pb2.LoginRequest(email=email, password=WRONG)))
        await auth.Login(auth_pb2.LoginRequest(email=email, password=PASSWORD))


async def create_pat(
    auth: AuthStub, session_token: str, **fields: object
) -> auth_pb2.CreatePersonalAccessTokenResponse:
    request = auth_pb2.CreatePersonalAccessTokenRequest(
        **{"name": "ci", "scopes": ["data.records:read"], **fields}  # type: ignore[arg-type]
    )
    created: auth_pb2.CreatePersonalAccessTokenResponse = await auth.CreatePersonalAccessToken(
        request, metadata=bearer(session_token)
    )
    return created


async def test_personal_access_token_lifecycle(auth: AuthStub) -> None:
    owner = await register(auth)
    base = "app" + "B" * 14
    created = await create_pat(
        auth,
        owner.access_token,
        name="  Sync  job ",
        scopes=["data.records:write", "data.records:read"],
        base_ids=[base],
        expires_in_days=30,
    )
    token, described = created.token, created.personal_access_token
    token_id, _, secret = token.partition(".")
    assert token_id == described.id and token_id.startswith("pat") and len(secret) == 64
    assert described.name == "Sync job"
    assert list(described.scopes) == ["data.records:read", "data.records:write"]
    assert list(described.base_ids) == [base]

    claims = await verify(auth, token)
    assert claims.kind == auth_pb2.TOKEN_KIND_PERSONAL
    assert (claims.user_id, claims.tenant_id) == (owner.user.id, owner.user.tenant_id)
    assert list(claims.scopes) == ["data.records:read", "data.records:write"]
    assert list(claims.base_ids) == [base]

    listed = await auth.ListPersonalAccessTokens(
        auth_pb2.ListPersonalAccessTokensRequest(), metadata=bearer(owner.access_token)
    )
    assert [t.id for t in listed.personal_access_tokens] == [token_id]
    assert secret not in str(listed)
    assert listed.personal_access_tokens[0].HasField("last_used_at")

    await auth.RevokePersonalAccessToken(
        auth_pb2.RevokePersonalAccessTokenRequest(token_id=token_id),
        metadata=bearer(owner.access_token),
    )
    await assert_refused(verify(auth, token))
    listed = await auth.ListPersonalAccessTokens(
        auth_pb2.ListPersonalAccessTokensRequest(), metadata=bearer(owner.access_token)
    )
    assert list(listed.personal_access_tokens) == []


async def test_forged_personal_access_tokens_are_refused(
    auth: AuthStub,
) -> None:
    owner = await register(auth)
    token = (await create_pat(auth, owner.access_token)).token
    token_id, _, secret = token.partition(".")
    flipped = ("0" if secret[0] != "0" else "1") + secret[1:]
    for forged in (f"{token_id}.{flipped}", f"{token_id}.", f"pat{'A' * 14}.{secret}", token_id):
        await assert_refused(verify(auth, forged))


async def test_an_expired_personal_access_token_is_refused(auth: AuthStub, fabric: Host) -> None:
    owner = await register(auth)
    created = await create_pat(auth, owner.access_token, expires_in_days=1)
    assert fabric.runtime is not None
    async with fabric.runtime.db.transaction() as session:
        await session.execute(
            update(PersonalToken)
            .where(PersonalToken.id == created.personal_access_token.id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    # The verified token may be cached for up to a minute, expiry included: clear it.
    await fabric.runtime.cache.delete(f"auth:pat:{created.personal_access_token.id}")
    details = await assert_refused(verify(auth, created.token))
    assert "expired" in details


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["data.records:read", "admin:everything"]}, "scopes"),
        ({"base_ids": ["not-a-base"]}, "base_ids"),
        ({"expires_in_days": 366}, "expires_in_days"),
        ({"expires_in_days": -1}, "expires_in_days"),
    ],
)
async def test_personal_access_token_requests_are_validated(
    auth: AuthStub, fields: dict[str, object], bad_field: str
) -> None:
    from tests.contract.test_auth import field_violations

    owner = await register(auth)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create_pat(auth, owner.access_token, **fields)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert bad_field in field_violations(caught.value)


async def test_personal_access_tokens_cannot_manage_tokens(
    auth: AuthStub,
) -> None:
    owner = await register(auth)
    token = (await create_pat(auth, owner.access_token)).token
    await assert_refused(create_pat(auth, token), grpc.StatusCode.PERMISSION_DENIED)
    await assert_refused(
        auth.ListPersonalAccessTokens(
            auth_pb2.ListPersonalAccessTokensRequest(), metadata=bearer(token)
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await assert_refused(
        auth.Logout(auth_pb2.LogoutRequest(), metadata=bearer(token)),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_nobody_else_can_see_or_revoke_my_tokens(
    auth: AuthStub,
) -> None:
    alice, mallory = await register(auth), await register(auth)
    token = await create_pat(auth, alice.access_token)
    listed = await auth.ListPersonalAccessTokens(
        auth_pb2.ListPersonalAccessTokensRequest(), metadata=bearer(mallory.access_token)
    )
    assert list(listed.personal_access_tokens) == []
    await assert_refused(
        auth.RevokePersonalAccessToken(
            auth_pb2.RevokePersonalAccessTokenRequest(token_id=token.personal_access_token.id),
            metadata=bearer(mallory.access_token),
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert (await verify(auth, token.token)).user_id == alice.user.id
