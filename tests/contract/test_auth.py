"""auth-service over real gRPC: registration, login and token verification, good and bad."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from typing import TYPE_CHECKING

import grpc
import jwt
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from pyat.auth.v1 import auth_pb2, auth_pb2_grpc

from services.shared.ids import looks_like
from tests.fixtures.callers import service_metadata

if TYPE_CHECKING:  # the async stub type exists only in the generated .pyi
    from pyat.auth.v1.auth_pb2_grpc import AuthServiceAsyncStub as AuthStub

PASSWORD = "correct-horse-9"
SECRET = "test-signing-key-that-is-long-enough-0123456789"


def new_email() -> str:
    return f"user-{secrets.token_hex(6)}@example.com"


@pytest.fixture
def auth(channel: grpc.aio.Channel) -> AuthStub:
    return auth_pb2_grpc.AuthServiceStub(channel)


async def register(
    auth: AuthStub, email: str | None = None, name: str = "Ada Lovelace"
) -> auth_pb2.RegisterResponse:
    request = auth_pb2.RegisterRequest(email=email or new_email(), password=PASSWORD, name=name)
    response: auth_pb2.RegisterResponse = await auth.Register(request)
    return response


def field_violations(err: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(err)
    assert status is not None
    violations: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations.update({v.field: v.description for v in bad.field_violations})
    return violations


async def test_register_returns_user_and_tokens(auth: AuthStub) -> None:
    email = new_email()
    response = await register(auth, email.upper())
    assert response.user.email == email
    assert response.user.name == "Ada Lovelace"
    assert looks_like(response.user.id, "usr")
    assert looks_like(response.user.tenant_id, "ten")
    assert response.token_type == "Bearer"
    assert response.refresh_token.startswith("rt_")
    assert response.access_token_expires_at.ToDatetime() > dt.datetime.now()
    claims = jwt.decode(response.access_token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == response.user.id and claims["tid"] == response.user.tenant_id


async def test_register_defaults_name_to_email_local_part(
    auth: AuthStub,
) -> None:
    email = new_email()
    response = await register(auth, email, name="   ")
    assert response.user.name == email.split("@")[0]


@pytest.mark.parametrize(
    "email", ["", "no-at-sign", "a@b", "two@@example.com", "x" * 250 + "@e.com"]
)
async def test_register_rejects_bad_email(auth: AuthStub, email: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.Register(auth_pb2.RegisterRequest(email=email, password=PASSWORD, name="A"))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "email" in field_violations(caught.value)


@pytest.mark.parametrize(
    "password",
    ["short1!", "onlyletterslong", "12345678901234", "aaaaaaaaaaaa1", "password123", "x1" * 65],
)
async def test_register_rejects_weak_password(auth: AuthStub, password: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.Register(auth_pb2.RegisterRequest(email=new_email(), password=password))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "password" in field_violations(caught.value)


async def test_register_refuses_taken_email_in_any_case(
    auth: AuthStub,
) -> None:
    email = new_email()
    first = await register(auth, email)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await register(auth, email.upper())
    assert caught.value.code() is grpc.StatusCode.ALREADY_EXISTS
    # The first account is untouched: it still signs in with its own password.
    login = await auth.Login(auth_pb2.LoginRequest(email=email, password=PASSWORD))
    assert login.user.id == first.user.id


async def test_login_returns_the_registered_user(auth: AuthStub) -> None:
    registered = await register(auth)
    login = await auth.Login(
        auth_pb2.LoginRequest(email=registered.user.email.upper(), password=PASSWORD)
    )
    assert login.user == registered.user
    assert login.access_token and login.access_token != registered.access_token
    assert login.refresh_token != registered.refresh_token


@pytest.mark.parametrize("known_email", [True, False])
async def test_login_refuses_wrong_password_or_unknown_email_alike(
    auth: AuthStub, known_email: bool
) -> None:
    email = (await register(auth)).user.email if known_email else new_email()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.Login(auth_pb2.LoginRequest(email=email, password="wrong-password-1"))
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert caught.value.details() == "invalid email or password"


async def test_login_requires_email_and_password(auth: AuthStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.Login(auth_pb2.LoginRequest(email=""))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(caught.value)) == {"email", "password"}


async def test_verify_token_returns_identity(auth: AuthStub) -> None:
    registered = await register(auth)
    claims = await auth.VerifyToken(
        auth_pb2.VerifyTokenRequest(token=registered.access_token), metadata=service_metadata()
    )
    assert claims.user_id == registered.user.id
    assert claims.tenant_id == registered.user.tenant_id
    assert claims.email == registered.user.email


def _forge(claims: dict[str, object], key: str = SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def _unsigned(claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _claims(**changes: object) -> dict[str, object]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    base: dict[str, object] = {
        "iss": "pyat", "sub": "usrAAAAAAAAAAAAAA", "tid": "tenAAAAAAAAAAAAAA",
        "iat": now, "exp": now + 600,
    }  # fmt: skip
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        _forge(_claims(), key="some-other-key-that-is-also-long-enough"),
        _forge(_claims(exp=1)),
        _forge(_claims(iss="someone-else")),
        _forge(_claims(tid=None)),
        _unsigned(_claims()),
    ],
    ids=["empty", "garbage", "wrong-key", "expired", "wrong-issuer", "no-tenant", "alg-none"],
)
async def test_verify_token_refuses_bad_tokens(auth: AuthStub, token: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.VerifyToken(
            auth_pb2.VerifyTokenRequest(token=token), metadata=service_metadata()
        )
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_verify_token_refuses_a_tampered_payload(auth: AuthStub) -> None:
    registered = await register(auth)
    header, payload, signature = registered.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["tid"] = "tenBBBBBBBBBBBBBB"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.VerifyToken(
            auth_pb2.VerifyTokenRequest(token=f"{header}.{forged_payload}.{signature}"),
            metadata=service_metadata(),
        )
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "request_fields",
    [
        {"email": "a\x00b@example.com", "password": PASSWORD},
        {"email": "nul@example.com", "password": PASSWORD, "name": "Ada\x00"},
        {"email": "nul@example.com", "password": "correct\x00horse-9"},
    ],
    ids=["email", "name", "password"],
)
async def test_nul_characters_are_refused_on_postgres(
    pg_channel: grpc.aio.Channel, request_fields: dict[str, str]
) -> None:
    auth = auth_pb2_grpc.AuthServiceStub(pg_channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.Register(auth_pb2.RegisterRequest(**request_fields))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth.Login(auth_pb2.LoginRequest(email="a\x00b@example.com", password=PASSWORD))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
