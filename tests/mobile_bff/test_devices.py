"""Devices for push over real gRPC, as real signed-up users, on SQLite and on PostgreSQL:
registering and renewing by push token, the per-user limit, validation, removal, tenancy, and
the internal ListPushTokens."""

from __future__ import annotations

import secrets

import grpc
import pytest
from pyat.mobilebff.v1 import mobile_bff_pb2 as pb
from pyat.mobilebff.v1 import mobile_bff_pb2_grpc

from services.mobile_bff.devices import MAX_DEVICES_PER_USER
from services.shared.ids import looks_like, new_id
from tests.airtable_gateway.helpers import Fabric, fails
from tests.contract.test_auth import field_violations
from tests.contract.test_workspace import Api, Person, api_on
from tests.fixtures.callers import caller_metadata, service_metadata

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


class Phones:
    """MobileBffService's device methods, called as someone."""

    def __init__(self, fabric: Fabric) -> None:
        self.stub = mobile_bff_pb2_grpc.MobileBffServiceStub(fabric.channel)
        self.api: Api = api_on(fabric.host, fabric.channel)

    async def register(
        self,
        person: Person,
        token: str | None = None,
        platform: int = pb.PLATFORM_IOS,
        name: str = "Grace's phone",
    ) -> pb.Device:
        answer = await self.stub.RegisterDevice(
            pb.RegisterDeviceRequest(
                push_token=new_token() if token is None else token,
                platform=platform,  # type: ignore[arg-type]
                name=name,
            ),
            metadata=person.md,
        )
        return answer.device

    async def mine(self, person: Person) -> list[pb.Device]:
        answer = await self.stub.ListDevices(pb.ListDevicesRequest(), metadata=person.md)
        return list(answer.devices)

    async def tokens(self, person: Person) -> dict[str, str]:
        """The push tokens of `person`, by device id, as notification-service reads them."""
        answer = await self.stub.ListPushTokens(
            pb.ListPushTokensRequest(tenant_id=person.tenant_id, user_id=person.user_id),
            metadata=service_metadata("notification"),
        )
        return {token.device_id: token.push_token for token in answer.tokens}


def new_token() -> str:
    return "fcm:" + secrets.token_urlsafe(48)


@pytest.fixture(scope="module")
def phones(any_fabric: Fabric) -> Phones:
    return Phones(any_fabric)


async def test_register_lists_and_hands_tokens_to_services(phones: Phones) -> None:
    ann = await phones.api.sign_up()
    token = new_token()
    device = await phones.register(ann, token, pb.PLATFORM_ANDROID, "Ann's  phone ")
    assert looks_like(device.id, "dev")
    assert device.platform == pb.PLATFORM_ANDROID
    assert device.name == "Ann's phone"
    assert device.registered_at == device.last_seen_at
    assert [d.id for d in await phones.mine(ann)] == [device.id]
    assert await phones.tokens(ann) == {device.id: token}


async def test_registering_the_same_token_renews_the_device(phones: Phones) -> None:
    ann = await phones.api.sign_up()
    token = new_token()
    first = await phones.register(ann, token, name="Old name")
    renewed = await phones.register(ann, token, name="New name")
    assert renewed.id == first.id
    assert renewed.name == "New name"
    assert renewed.registered_at == first.registered_at
    assert renewed.last_seen_at.ToDatetime() >= first.last_seen_at.ToDatetime()
    assert [d.name for d in await phones.mine(ann)] == ["New name"]


async def test_a_token_registered_by_a_colleague_moves_to_them(phones: Phones) -> None:
    ann = await phones.api.sign_up()
    bob = await phones.api.colleague(ann)
    token = new_token()
    anns = await phones.register(ann, token)
    bobs = await phones.register(bob, token, name="Bob's now")
    assert bobs.id == anns.id
    assert await phones.mine(ann) == []
    assert [d.name for d in await phones.mine(bob)] == ["Bob's now"]
    assert await phones.tokens(ann) == {}
    assert await phones.tokens(bob) == {bobs.id: token}


async def test_the_same_token_in_another_tenant_is_another_device(phones: Phones) -> None:
    ann, zoe = await phones.api.sign_up(), await phones.api.sign_up()
    token = new_token()
    anns = await phones.register(ann, token)
    zoes = await phones.register(zoe, token)
    assert anns.id != zoes.id
    assert [d.id for d in await phones.mine(ann)] == [anns.id]
    assert [d.id for d in await phones.mine(zoe)] == [zoes.id]


async def test_invalid_devices_are_refused_field_by_field(phones: Phones) -> None:
    ann = await phones.api.sign_up()
    err = await fails(phones.register(ann, "", pb.PLATFORM_UNSPECIFIED, "x" * 101), INVALID)
    assert set(field_violations(err)) == {"push_token", "platform", "name"}
    for bad_token in ("has space", "tab\there", "caf\u00e9", "x" * 4097, "nul\x00"):
        err = await fails(phones.register(ann, bad_token), INVALID)
        assert set(field_violations(err)) == {"push_token"}, bad_token
    err = await fails(phones.register(ann, platform=7), INVALID)
    assert set(field_violations(err)) == {"platform"}
    assert await phones.mine(ann) == []
    # The limits themselves are allowed.
    longest = await phones.register(ann, "k" * 4096, pb.PLATFORM_WEB, "n" * 100)
    assert longest.name == "n" * 100 and longest.platform == pb.PLATFORM_WEB
    assert await phones.tokens(ann) == {longest.id: "k" * 4096}


async def test_a_user_has_at_most_twenty_devices(phones: Phones) -> None:
    ann = await phones.api.sign_up()
    tokens = [new_token() for _ in range(MAX_DEVICES_PER_USER)]
    for token in tokens:
        await phones.register(ann, token)
    err = await fails(phones.register(ann), grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert "unregister" in (err.details() or "")
    # Renewing one they have is still fine; so is a new one once one is gone.
    await phones.register(ann, tokens[0], name="renewed")
    await phones.stub.UnregisterDevice(
        pb.UnregisterDeviceRequest(device_id=(await phones.mine(ann))[0].id), metadata=ann.md
    )
    await phones.register(ann)
    assert len(await phones.mine(ann)) == MAX_DEVICES_PER_USER


async def test_unregister_removes_only_the_callers_own(phones: Phones) -> None:
    ann = await phones.api.sign_up()
    bob = await phones.api.colleague(ann)
    zoe = await phones.api.sign_up()
    anns, bobs = await phones.register(ann), await phones.register(bob)
    for person in (bob, zoe):
        await fails(
            phones.stub.UnregisterDevice(
                pb.UnregisterDeviceRequest(device_id=anns.id), metadata=person.md
            ),
            NOT_FOUND,
        )
    assert [d.id for d in await phones.mine(ann)] == [anns.id]
    for unknown in (new_id("dev"), "not-a-device"):
        await fails(
            phones.stub.UnregisterDevice(
                pb.UnregisterDeviceRequest(device_id=unknown), metadata=ann.md
            ),
            NOT_FOUND,
        )
    await fails(
        phones.stub.UnregisterDevice(pb.UnregisterDeviceRequest(), metadata=ann.md), INVALID
    )
    await phones.stub.UnregisterDevice(
        pb.UnregisterDeviceRequest(device_id=anns.id), metadata=ann.md
    )
    assert await phones.mine(ann) == []
    assert [d.id for d in await phones.mine(bob)] == [bobs.id]
    await fails(
        phones.stub.UnregisterDevice(
            pb.UnregisterDeviceRequest(device_id=anns.id), metadata=ann.md
        ),
        NOT_FOUND,
    )


async def test_list_push_tokens_is_for_services_only(phones: Phones) -> None:
    ann = await phones.api.sign_up()
    await phones.register(ann)
    request = pb.ListPushTokensRequest(tenant_id=ann.tenant_id, user_id=ann.user_id)
    # A user (with a session token or an edge assertion) is refused by admission...
    await fails(
        phones.stub.ListPushTokens(request, metadata=ann.md), grpc.StatusCode.PERMISSION_DENIED
    )
    await fails(
        phones.stub.ListPushTokens(request, metadata=caller_metadata(ann.tenant_id, ann.user_id)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # ...and so is a user's call relayed by a service: tokens are not the user's to read.
    relayed = caller_metadata(ann.tenant_id, ann.user_id, via="web-bff")
    await fails(
        phones.stub.ListPushTokens(request, metadata=relayed), grpc.StatusCode.PERMISSION_DENIED
    )
    await fails(
        phones.stub.ListPushTokens(
            pb.ListPushTokensRequest(tenant_id="nope", user_id=""),
            metadata=service_metadata("notification"),
        ),
        INVALID,
    )
    assert len(await phones.tokens(ann)) == 1


async def test_device_routes_need_a_session(phones: Phones) -> None:
    ann = await phones.api.sign_up()
    pat = caller_metadata(ann.tenant_id, ann.user_id, scopes=["data.records:read"])
    await fails(
        phones.stub.ListDevices(pb.ListDevicesRequest(), metadata=pat),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await fails(phones.stub.ListDevices(pb.ListDevicesRequest()), grpc.StatusCode.UNAUTHENTICATED)
