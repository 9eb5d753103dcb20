"""Every method of every service declares its access, and every port refuses a caller it can't
verify: no identity, forged headers, and assertions that are expired, signed with another key,
or altered after signing. The walk covers whatever methods the contracts hold, so a service
added later is checked the day it lands."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf import descriptor_pb2
from pyat.auth.v1 import auth_pb2_grpc
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.airtable_gateway import rest
from services.shared import access
from services.shared.config import Settings
from services.shared.identity import CALLER_HEADER, Assertions, Caller, assertion_key
from services.shared.server import Host
from tests.contract.test_auth import register
from tests.fixtures.callers import ASSERTIONS, TEST_SECRET, caller_metadata

DESCRIPTOR_SET = Path(__file__).parents[2] / "gen" / "pyat.binpb"
TENANT, USER = "ten" + "A" * 14, "usr" + "A" * 14


def _methods() -> Iterator[tuple[str, access.Rule | None, bool, bool]]:
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    for file in files.file:
        if not file.package.startswith("pyat."):
            continue
        for service in file.service:
            for method in service.method:
                yield (
                    f"/{file.package}.{service.name}/{method.name}",
                    access.rule_of(method.options),
                    method.client_streaming,
                    method.server_streaming,
                )


METHODS = list(_methods())
GUARDED = [(path, c, s) for path, rule, c, s in METHODS if rule and rule.audience != access.PUBLIC]
INTERNAL = [path for path, rule, _, _ in METHODS if rule and rule.audience == access.INTERNAL]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _altered_tenant(assertion: str, tenant_id: str) -> str:
    """The assertion with its tenant changed and its signature kept."""
    version, claims, mac = assertion.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    decoded["t"] = tenant_id
    return f"{version}.{_b64(json.dumps(decoded, separators=(',', ':')).encode())}.{mac}"


def bad_identities() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every way a caller may try to be someone it can't prove to be."""
    me = Caller(user_id=USER, tenant_id=TENANT, via="workspace")
    wrong_key = Assertions(assertion_key(Settings(jwt_secret="another-secret-" + "x" * 40)))
    return {
        "none": (),
        "forged headers": (
            ("x-pyat-tenant-id", TENANT),
            ("x-pyat-user-id", USER),
            ("x-pyat-scopes", "data.records:read data.records:write"),
        ),
        "expired": (
            (CALLER_HEADER, ASSERTIONS.sign(me, now=time.time() - 2 * ASSERTIONS.lifetime_s)),
        ),
        "wrong key": ((CALLER_HEADER, wrong_key.sign(me)),),
        "tenant changed": (
            (CALLER_HEADER, _altered_tenant(ASSERTIONS.sign(me), "ten" + "B" * 14)),
        ),
        "garbage": ((CALLER_HEADER, "v1.not-json.not-a-mac"),),
    }


def test_every_method_declares_its_access() -> None:
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    assert list(access.undeclared(files)) == []
    assert GUARDED, "the walk must have methods to walk"


def test_internal_methods_have_no_rest_route() -> None:
    from services.edge.config import http_methods

    routed = {m.grpc_path for m in http_methods(DESCRIPTOR_SET)}
    assert not routed & set(INTERNAL)


async def _call(
    channel: grpc.aio.Channel,
    path: str,
    client_streaming: bool,
    server_streaming: bool,
    metadata: tuple[tuple[str, str], ...],
) -> grpc.StatusCode:
    """Call a method with an empty request, whatever its kind; the status it ends with."""
    kinds = {
        (False, False): channel.unary_unary,
        (False, True): channel.unary_stream,
        (True, False): channel.stream_unary,
        (True, True): channel.stream_stream,
    }
    stub = kinds[(client_streaming, server_streaming)](path)
    request: object = iter([b""]) if client_streaming else b""
    try:
        call = stub(request, metadata=metadata, timeout=10)
        if server_streaming:
            async for _ in call:
                pass
        else:
            await call
    except grpc.aio.AioRpcError as err:
        return err.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize("identity", list(bad_identities()))
async def test_every_guarded_method_refuses_an_unproven_caller(
    channel: grpc.aio.Channel, identity: str
) -> None:
    metadata = bad_identities()[identity]
    answers = {path: await _call(channel, path, cs, ss, metadata) for path, cs, ss in GUARDED}
    wrong = {path: code.name for path, code in answers.items()
             if code is not grpc.StatusCode.UNAUTHENTICATED}  # fmt: skip
    assert wrong == {}


async def test_a_users_own_call_cannot_reach_an_internal_method(
    channel: grpc.aio.Channel,
) -> None:
    metadata = caller_metadata(TENANT, USER)
    answers = {path: await _call(channel, path, False, False, metadata) for path in INTERNAL}
    wrong = {path: code.name for path, code in answers.items()
             if code is not grpc.StatusCode.PERMISSION_DENIED}  # fmt: skip
    assert wrong == {}


async def test_a_personal_token_is_held_to_its_scopes_and_bases(
    channel: grpc.aio.Channel,
) -> None:
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    registered = await register(auth)
    user = registered.user
    users = user_pb2_grpc.UserServiceStub(channel)
    pat = caller_metadata(user.tenant_id, user.id, scopes=("data.records:read",))
    # A session-only method refuses any personal access token.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.GetMe(user_pb2.GetMeRequest(), metadata=pat)
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    # A method that needs no scope answers it.
    who = await users.WhoAmI(user_pb2.WhoAmIRequest(), metadata=pat)
    assert who.id == user.id
    # A scoped method refuses a token without the scope, and one limited to other bases.
    from pyat.airtable.v1 import airtable_gateway_pb2 as at
    from pyat.airtable.v1 import airtable_gateway_pb2_grpc as at_grpc

    records = at_grpc.AirtableGatewayServiceStub(channel)
    request = at.ListRecordsRequest(base_id="app" + "C" * 14, table="Tasks")
    no_scope = caller_metadata(user.tenant_id, user.id, scopes=("schema.bases:read",))
    other_base = caller_metadata(
        user.tenant_id, user.id, scopes=("data.records:read",), token_bases=("app" + "D" * 14,)
    )
    for metadata, why in ((no_scope, "scope"), (other_base, "base")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await records.ListRecords(request, metadata=metadata)
        assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
        assert why in (caught.value.details() or "")


async def test_a_bearer_token_still_works_straight_to_a_service_port(
    channel: grpc.aio.Channel,
) -> None:
    registered = await register(auth_pb2_grpc.AuthServiceStub(channel))
    me = await user_pb2_grpc.UserServiceStub(channel).GetMe(
        user_pb2.GetMeRequest(),
        metadata=(("authorization", f"Bearer {registered.access_token}"),),
    )
    assert me.user.id == registered.user.id


@pytest.mark.parametrize("identity", list(bad_identities()))
async def test_the_v0_front_refuses_an_unproven_caller(fabric: Host, identity: str) -> None:
    assert fabric.runtime is not None
    port = fabric.runtime.http_ports[rest.NAME]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        for path in ("/v0/meta/bases", f"/v0/app{'C' * 14}/Tasks"):
            answer = await http.get(path, headers=dict(bad_identities()[identity]))
            assert answer.status_code == 401, (path, answer.text)
            assert answer.json()["error"]["type"] in {"AUTHENTICATION_REQUIRED", "UNAUTHORIZED"}


def test_the_test_secret_is_the_hosts_secret() -> None:
    from tests.fixtures.fabric import host_settings

    assert host_settings(Path("/tmp")).jwt_secret == TEST_SECRET
