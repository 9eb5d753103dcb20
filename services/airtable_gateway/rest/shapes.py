"""Messages as Airtable's JSON shows them, and JSON as messages."""

from __future__ import annotations

from google.protobuf import struct_pb2, timestamp_pb2
from pyat.airtable.v1 import airtable_gateway_pb2 as at
from pyat.permission.v1 import permission_pb2
from pyat.schema.v1 import schema_pb2

from services.airtable_gateway.rest.errors import invalid_request
from services.airtable_gateway.rest.inputs import JsonObject, an_object
from services.shared import structs

# Airtable's permission levels, from the most to the least a role allows.
_PERMISSION_LEVELS = {
    permission_pb2.ROLE_OWNER: "create",
    permission_pb2.ROLE_CREATOR: "create",
    permission_pb2.ROLE_EDITOR: "edit",
    permission_pb2.ROLE_COMMENTER: "comment",
    permission_pb2.ROLE_READ_ONLY: "read",
}


def to_struct(value: JsonObject, what: str) -> struct_pb2.Struct:
    try:
        return structs.to_struct(value)
    except (ValueError, TypeError) as err:
        raise invalid_request(f"Invalid {what}: {err}") from None


def options(body: JsonObject) -> struct_pb2.Struct | None:
    """A field's "options", when given."""
    given = body.get("options")
    return None if given is None else to_struct(an_object(given, "'options'"), "'options'")


from_struct = structs.from_struct


def airtable_time(stamp: timestamp_pb2.Timestamp) -> str:
    """Airtable's timestamps: UTC with milliseconds, "2024-01-01T00:00:00.000Z"."""
    moment = stamp.ToDatetime()
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def record(message: at.Record) -> JsonObject:
    return {
        "id": message.id,
        "createdTime": airtable_time(message.created_time),
        "fields": from_struct(message.fields),
    }


def permission_level(role: permission_pb2.Role) -> str:
    # Someone who sees a base only through a grant on one of its tables may read it.
    return _PERMISSION_LEVELS.get(role, "read")


def collaborator_level(role: permission_pb2.Role) -> str:
    """A role as Airtable names it for collaborators and base information, where (unlike in
    the list of bases) an owner is "owner"."""
    return "owner" if role == permission_pb2.ROLE_OWNER else permission_level(role)


def field(message: schema_pb2.Field) -> JsonObject:
    shown: JsonObject = {"id": message.id, "name": message.name, "type": message.type}
    if message.description:
        shown["description"] = message.description
    if message.options.fields:
        shown["options"] = from_struct(message.options)
    return shown


def table(message: schema_pb2.Table, *, visible_field_ids: bool = False) -> JsonObject:
    shown: JsonObject = {"id": message.id, "name": message.name}
    if message.description:
        shown["description"] = message.description
    shown["primaryFieldId"] = message.primary_field_id
    shown["fields"] = [field(f) for f in message.fields]
    every_field = [f.id for f in message.fields]
    views = []
    for view in message.views:
        shown_view: JsonObject = {"id": view.id, "name": view.name, "type": view.type}
        if visible_field_ids:
            shown_view["visibleFieldIds"] = list(view.visible_field_ids) or every_field
        views.append(shown_view)
    shown["views"] = views
    return shown
