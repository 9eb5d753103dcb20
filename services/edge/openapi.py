"""An OpenAPI 3.1 document of the REST API the edge serves, built from the descriptor set.

Envoy's gRPC-JSON transcoder serves every method with a `google.api.http` option; this module
describes those routes the way the transcoder speaks them (snake_case names, every primitive
printed, int64 as strings), so the document cannot drift from the contracts.
"""

from __future__ import annotations

import argparse
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2

from services.shared import access

DESCRIPTOR_SET = Path("gen/pyat.binpb")
OPENAPI_DOCUMENT = Path("gen/openapi.json")
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

TITLE = "PyAirtable API"
STATUS_SCHEMA = "google.rpc.Status"
# The body api-gateway and Envoy itself answer their own refusals with (401, 403, 413, 429).
GATEWAY_ERROR_SCHEMA = "pyat.edge.GatewayError"
BEARER = "bearer"
JSON_MEDIA = "application/json"
SSE_MEDIA = "text/event-stream"
HTTP_VERBS = ("get", "put", "post", "delete", "patch")

DESCRIPTION = """\
The REST face of PyAirtable, served by Envoy's gRPC-JSON transcoder in front of the gRPC
services. Field names are the proto names (snake_case); every field without presence is
printed, at its default when unset; enums are printed as their names, 64-bit integers as
strings, timestamps as RFC 3339 strings and durations as strings like "1.5s".
A failed call answers a `google.rpc.Status` body with the HTTP status of its gRPC code; the
edge's own refusals (a missing or bad token, a scope the token lacks, a body over the limit,
a rate limit) answer a `pyat.edge.GatewayError` body instead.
"""

# Fields of DescriptorProto, FileDescriptorProto and ServiceDescriptorProto, as source
# locations number them.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM = 2, 3, 4
_SERVICE_METHOD = 2

_FieldType = descriptor_pb2.FieldDescriptorProto
_SCALARS: dict[int, dict[str, Any]] = {
    _FieldType.TYPE_DOUBLE: {"type": "number", "format": "double"},
    _FieldType.TYPE_FLOAT: {"type": "number", "format": "float"},
    _FieldType.TYPE_INT64: {"type": "string", "format": "int64"},
    _FieldType.TYPE_UINT64: {"type": "string", "format": "uint64"},
    _FieldType.TYPE_SINT64: {"type": "string", "format": "int64"},
    _FieldType.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    _FieldType.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    _FieldType.TYPE_INT32: {"type": "integer", "format": "int32"},
    _FieldType.TYPE_SINT32: {"type": "integer", "format": "int32"},
    _FieldType.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    _FieldType.TYPE_UINT32: {"type": "integer", "format": "uint32", "minimum": 0},
    _FieldType.TYPE_FIXED32: {"type": "integer", "format": "uint32", "minimum": 0},
    _FieldType.TYPE_BOOL: {"type": "boolean"},
    _FieldType.TYPE_STRING: {"type": "string"},
    _FieldType.TYPE_BYTES: {"type": "string", "format": "byte"},
}

# Well-known types print as JSON values of their own, so they are inlined, not components.
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": r"^-?[0-9]+(\.[0-9]{1,9})?s$",
        "examples": ["1.5s"],
    },
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {"description": "Any JSON value."},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    "google.protobuf.FieldMask": {"type": "string", "description": "Paths, comma-separated."},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
    },
    "google.protobuf.DoubleValue": {"type": "number"},
    "google.protobuf.FloatValue": {"type": "number"},
    "google.protobuf.Int64Value": {"type": "string", "format": "int64"},
    "google.protobuf.UInt64Value": {"type": "string", "format": "uint64"},
    "google.protobuf.Int32Value": {"type": "integer", "format": "int32"},
    "google.protobuf.UInt32Value": {"type": "integer", "format": "uint32", "minimum": 0},
    "google.protobuf.BoolValue": {"type": "boolean"},
    "google.protobuf.StringValue": {"type": "string"},
    "google.protobuf.BytesValue": {"type": "string", "format": "byte"},
}
_WELL_KNOWN_ENUMS: dict[str, dict[str, Any]] = {"google.protobuf.NullValue": {"type": "null"}}
# Types that cannot be spelled in a query string; their fields are not query parameters.
_NOT_IN_QUERY = frozenset(
    {
        "google.protobuf.Struct",
        "google.protobuf.Value",
        "google.protobuf.ListValue",
        "google.protobuf.Any",
        "google.protobuf.Empty",
    }
)


def schema_name(full_name: str) -> str:
    """A component key for a proto type: OpenAPI allows only [A-Za-z0-9._-] in one."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", full_name.lstrip("."))


def _ref(full_name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{schema_name(full_name)}"}


def _comment_text(comment: str) -> str:
    """A proto comment as Markdown: the space after each `//` dropped, paragraphs kept."""
    lines = [line.removeprefix(" ").rstrip() for line in comment.strip("\n").split("\n")]
    return "\n".join(lines).strip()


def _summary(text: str) -> str:
    """The first sentence of a comment, on one line."""
    flat = " ".join(text.split("\n\n", 1)[0].split())
    end = re.search(r"\.(\s|$)", flat)
    return flat[: end.start() + 1] if end else flat


@dataclass(frozen=True)
class _Type:
    """A message or enum of the set, with its comment."""

    full_name: str
    message: descriptor_pb2.DescriptorProto | None
    enum: descriptor_pb2.EnumDescriptorProto | None
    comment: str
    field_comments: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """One HTTP binding of a method: the main one, or one of its additional bindings."""

    service: str  # full name, e.g. "pyat.user.v1.UserService"
    method: descriptor_pb2.MethodDescriptorProto
    verb: str  # lower case, as OpenAPI keys operations
    template: str  # as the proto declares it, e.g. "/v1/users/{user_id}"
    body: str
    response_body: str
    binding: int  # 0 for the main binding, n for the n-th additional one
    rule: access.Rule | None
    comment: str

    @property
    def path(self) -> str:
        """The OpenAPI path: `{name=shelves/*}` reduced to `{name}`."""
        return re.sub(r"\{([^}=]+)=[^}]*\}", r"{\1}", self.template)

    @property
    def path_fields(self) -> list[str]:
        return re.findall(r"\{([^}=]+)(?:=[^}]*)?\}", self.template)

    @property
    def operation_id(self) -> str:
        name = f"{self.service.rsplit('.', 1)[-1]}_{self.method.name}"
        return f"{name}_{self.binding + 1}" if self.binding else name


class _Index:
    """The messages and enums of a descriptor set by full name, with their comments."""

    def __init__(self, files: descriptor_pb2.FileDescriptorSet) -> None:
        self.types: dict[str, _Type] = {}
        self.comments: dict[tuple[str, tuple[int, ...]], str] = {}
        for file in files.file:
            for location in file.source_code_info.location:
                if location.leading_comments:
                    key = (file.name, tuple(location.path))
                    self.comments[key] = _comment_text(location.leading_comments)
            prefix = f".{file.package}" if file.package else ""
            for i, message in enumerate(file.message_type):
                self._add_message(file.name, prefix, message, (_FILE_MESSAGE, i))
            for i, enum in enumerate(file.enum_type):
                self._add_enum(file.name, prefix, enum, (_FILE_ENUM, i))

    def comment(self, file: str, path: tuple[int, ...]) -> str:
        return self.comments.get((file, path), "")

    def _add_message(
        self, file: str, prefix: str, message: descriptor_pb2.DescriptorProto, path: tuple[int, ...]
    ) -> None:
        full_name = f"{prefix}.{message.name}"
        field_comments = tuple(
            self.comment(file, (*path, _MESSAGE_FIELD, i)) for i in range(len(message.field))
        )
        self.types[full_name] = _Type(
            full_name, message, None, self.comment(file, path), field_comments
        )
        for i, nested in enumerate(message.nested_type):
            self._add_message(file, full_name, nested, (*path, _MESSAGE_NESTED, i))
        for i, enum in enumerate(message.enum_type):
            self._add_enum(file, full_name, enum, (*path, _MESSAGE_ENUM, i))

    def _add_enum(
        self,
        file: str,
        prefix: str,
        enum: descriptor_pb2.EnumDescriptorProto,
        path: tuple[int, ...],
    ) -> None:
        full_name = f"{prefix}.{enum.name}"
        self.types[full_name] = _Type(full_name, None, enum, self.comment(file, path), ())

    def message(self, type_name: str) -> descriptor_pb2.DescriptorProto:
        found = self.types[type_name].message
        if found is None:
            raise ValueError(f"{type_name} is not a message")
        return found


def http_routes(files: descriptor_pb2.FileDescriptorSet, index: _Index) -> list[Route]:
    """Every HTTP binding of every `pyat.*` method, additional bindings included."""
    found: list[Route] = []
    for file in files.file:
        if not file.package.startswith("pyat."):
            continue
        for s, service in enumerate(file.service):
            for m, method in enumerate(service.method):
                # Parsed again so the extensions registered since are read (see config.py).
                options = descriptor_pb2.MethodOptions.FromString(
                    method.options.SerializeToString()
                )
                if not options.HasExtension(annotations_pb2.http):
                    continue
                rule: http_pb2.HttpRule = options.Extensions[annotations_pb2.http]
                comment = index.comment(file.name, (_FILE_SERVICE, s, _SERVICE_METHOD, m))
                bindings = [rule, *rule.additional_bindings]
                for n, binding in enumerate(bindings):
                    verb, template = _pattern(binding)
                    found.append(
                        Route(
                            f"{file.package}.{service.name}",
                            method,
                            verb,
                            template,
                            binding.body,
                            binding.response_body,
                            n,
                            access.rule_of(options),
                            comment,
                        )
                    )
    return sorted(found, key=lambda r: (r.path, r.verb))


def _pattern(rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind == "custom":
        verb, template = rule.custom.kind.lower(), rule.custom.path
    elif kind:
        verb, template = kind, getattr(rule, kind)
    else:
        raise ValueError("an http rule without a pattern")
    if verb not in HTTP_VERBS:
        raise ValueError(f"OpenAPI has no operation for the HTTP verb {verb!r}")
    return verb, template


class _Builder:
    """Builds operations and, along the way, the component schemas they reach."""

    def __init__(self, index: _Index) -> None:
        self.index = index
        self.schemas: dict[str, dict[str, Any]] = {}
        self._pending: list[str] = []
        self._reached: set[str] = set()

    # -- schemas --------------------------------------------------------------------------

    def type_schema(self, type_name: str) -> dict[str, Any]:
        """A reference to a message or enum (its component added), or a well-known type."""
        name = type_name.lstrip(".")
        if name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[name])
        if name in _WELL_KNOWN_ENUMS:
            return dict(_WELL_KNOWN_ENUMS[name])
        if type_name not in self._reached:
            self._reached.add(type_name)
            self._pending.append(type_name)
        return _ref(name)

    def field_schema(self, field: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
        if field.label == _FieldType.LABEL_REPEATED and self._is_map(field):
            entry = self.index.message(field.type_name)
            value = next(f for f in entry.field if f.name == "value")
            return {"type": "object", "additionalProperties": self._single(value)}
        single = self._single(field)
        if field.label == _FieldType.LABEL_REPEATED:
            return {"type": "array", "items": single}
        return single

    def _single(self, field: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
        if field.type in (_FieldType.TYPE_MESSAGE, _FieldType.TYPE_ENUM):
            return self.type_schema(field.type_name)
        if field.type not in _SCALARS:
            raise ValueError(f"field {field.name}: unsupported type {field.type}")
        return dict(_SCALARS[field.type])

    def _is_map(self, field: descriptor_pb2.FieldDescriptorProto) -> bool:
        if field.type != _FieldType.TYPE_MESSAGE:
            return False
        found = self.index.types.get(field.type_name)
        return bool(found and found.message and found.message.options.map_entry)

    def object_schema(
        self, type_name: str, without: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """A message as a JSON object, minus the fields in `without`."""
        described = self.index.types[type_name]
        assert described.message is not None
        properties: dict[str, Any] = {}
        for field, comment in zip(described.message.field, described.field_comments, strict=True):
            if field.name in without:
                continue
            schema = self.field_schema(field)
            if comment:
                schema["description"] = comment
            properties[field.name] = schema
        # The transcoder refuses a field it does not know, and never prints one.
        found: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        if described.comment:
            found["description"] = described.comment
        return found

    def _component(self, type_name: str) -> dict[str, Any]:
        described = self.index.types[type_name]
        if described.enum is not None:
            schema: dict[str, Any] = {
                "type": "string",
                "enum": [value.name for value in described.enum.value],
            }
            if described.comment:
                schema["description"] = described.comment
            return schema
        return self.object_schema(type_name)

    def close(self) -> None:
        """Adds the component of every type reached so far, and of those they reach."""
        while self._pending:
            type_name = self._pending.pop()
            self.schemas[schema_name(type_name)] = self._component(type_name)

    # -- operations -----------------------------------------------------------------------

    def operation(self, route: Route) -> dict[str, Any]:
        method = route.method
        path_fields = route.path_fields
        parameters = [self._path_parameter(route, name) for name in path_fields]
        # Fields the path binds, by their dotted names: no body or query parameter repeats them.
        bound = set(path_fields)
        operation: dict[str, Any] = {
            "operationId": route.operation_id,
            "summary": _summary(route.comment) if route.comment else method.name,
            "description": "\n\n".join(filter(None, [route.comment, _access_text(route.rule)])),
            "tags": [route.service.rsplit(".", 1)[-1]],
            "x-grpc-method": f"/{route.service}/{method.name}",
        }
        if route.body == "*":
            # A nested path field (`a.b`) leaves the rest of `a` in the body, so only
            # top-level ones come out of it.
            top_level = frozenset(name for name in bound if "." not in name)
            schema = (
                self.object_schema(method.input_type, top_level)
                if top_level
                else self.type_schema(method.input_type)
            )
            operation["requestBody"] = _json_body(schema)
        else:
            if route.body:
                field = self._top_field(method.input_type, route.body)
                operation["requestBody"] = _json_body(self.field_schema(field))
                bound.add(route.body)
            parameters += self._query_parameters(method.input_type, "", bound, ())
        if parameters:
            operation["parameters"] = parameters
        operation["responses"] = {"200": self._success(route), **_error_responses(route)}
        operation["security"] = _security(route.rule)
        return operation

    def _top_field(self, type_name: str, name: str) -> descriptor_pb2.FieldDescriptorProto:
        for field in self.index.message(type_name).field:
            if field.name == name:
                return field
        raise ValueError(f"{type_name} has no field {name!r}")

    def _path_parameter(self, route: Route, name: str) -> dict[str, Any]:
        type_name = route.method.input_type
        field: descriptor_pb2.FieldDescriptorProto | None = None
        for part in name.split("."):
            if field is not None:
                type_name = field.type_name
            field = self._top_field(type_name, part)
        assert field is not None
        parameter: dict[str, Any] = {
            "name": name,
            "in": "path",
            "required": True,
            "schema": self.field_schema(field),
        }
        described = self.index.types[type_name]
        index = list(described.message.field).index(field) if described.message else -1
        if index >= 0 and described.field_comments[index]:
            parameter["description"] = described.field_comments[index]
        return parameter

    def _query_parameters(
        self, type_name: str, prefix: str, bound: set[str], seen: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """The fields the path and body leave, as query parameters (nested ones as `a.b`)."""
        if type_name in seen:  # a recursive message: its deeper fields can't all be listed
            return []
        described = self.index.types[type_name]
        assert described.message is not None
        found: list[dict[str, Any]] = []
        for field, comment in zip(described.message.field, described.field_comments, strict=True):
            name = f"{prefix}{field.name}"
            if name in bound or self._is_map(field):
                continue
            well_known = field.type_name.lstrip(".")
            if well_known in _NOT_IN_QUERY:
                continue
            if field.type == _FieldType.TYPE_MESSAGE and well_known not in _WELL_KNOWN:
                if field.label != _FieldType.LABEL_REPEATED:  # a repeated one has no query form
                    found += self._query_parameters(
                        field.type_name, f"{name}.", bound, (*seen, type_name)
                    )
                continue
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": False,
                "schema": self.field_schema(field),
            }
            if comment:
                parameter["description"] = comment
            found.append(parameter)
        return found

    def _success(self, route: Route) -> dict[str, Any]:
        method = route.method
        if route.response_body:
            schema = self.field_schema(self._top_field(method.output_type, route.response_body))
        else:
            schema = self.type_schema(method.output_type)
        if method.server_streaming:
            return {
                "description": "A stream of Server-Sent Events; the `data` of each event is "
                f"one `{method.output_type.lstrip('.')}` as JSON.",
                "content": {
                    SSE_MEDIA: {"schema": {"type": "string"}, "x-event-data-schema": schema}
                },
            }
        return {"description": "OK", "content": {JSON_MEDIA: {"schema": schema}}}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON_MEDIA: {"schema": schema}}}


def _is_public(rule: access.Rule | None) -> bool:
    return rule is not None and rule.audience == access.PUBLIC


def _access_text(rule: access.Rule | None) -> str:
    if rule is None or rule.audience == access.PUBLIC:
        return "Access: public; no token needed."
    if rule.audience == access.SESSION:
        return "Access: a session access token; personal access tokens are refused."
    text = "Access: a session access token, or a personal access token"
    if rule.scopes:
        text += " with the scopes " + ", ".join(f"`{scope}`" for scope in rule.scopes)
    text += "."
    if rule.base_field:
        text += f" A token limited to some bases must include the base in `{rule.base_field}`."
    return text


def _security(rule: access.Rule | None) -> list[dict[str, list[str]]]:
    return [] if _is_public(rule) else [{BEARER: []}]


# Errors every operation may answer, as components.responses keys.
ERROR_RESPONSES: dict[str, tuple[str, str, bool]] = {
    # key: (description, schema, whether api-gateway or Envoy may answer it as GatewayError)
    "TooLarge": ("The request body is over the edge's limit.", GATEWAY_ERROR_SCHEMA, False),
    "Unauthenticated": ("No token, or one that is not valid.", GATEWAY_ERROR_SCHEMA, True),
    "Forbidden": ("The token, or its user, may not do this.", GATEWAY_ERROR_SCHEMA, True),
    "RateLimited": ("Too many requests; try again later.", GATEWAY_ERROR_SCHEMA, True),
    "Error": (
        "An error: a google.rpc.Status, with the HTTP status of its gRPC code.",
        STATUS_SCHEMA,
        False,
    ),
}


def _response_components() -> dict[str, Any]:
    components: dict[str, Any] = {}
    for key, (description, schema, or_status) in ERROR_RESPONSES.items():
        body = {"anyOf": [_ref(schema), _ref(STATUS_SCHEMA)]} if or_status else _ref(schema)
        components[key] = {"description": description, "content": {JSON_MEDIA: {"schema": body}}}
    return components


def _error_responses(route: Route) -> dict[str, Any]:
    def use(key: str) -> dict[str, str]:
        return {"$ref": f"#/components/responses/{key}"}

    responses: dict[str, Any] = {}
    if route.body:
        responses["413"] = use("TooLarge")
    if not _is_public(route.rule):
        responses |= {
            "401": use("Unauthenticated"),
            "403": use("Forbidden"),
            "429": use("RateLimited"),
        }
    return responses | {"default": use("Error")}


def _gateway_error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "An edge refusal, in Airtable's shape.",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
                "required": ["type", "message"],
            }
        },
        "required": ["error"],
    }


def _version() -> str:
    try:
        project = tomllib.loads(PYPROJECT.read_text())["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "v1"
    return str(project.get("version", "v1"))


def _service_tags(
    files: descriptor_pb2.FileDescriptorSet, index: _Index
) -> Iterator[dict[str, str]]:
    for file in files.file:
        if not file.package.startswith("pyat."):
            continue
        for s, service in enumerate(file.service):
            tag = {"name": service.name}
            comment = index.comment(file.name, (_FILE_SERVICE, s))
            if comment:
                tag["description"] = comment
            yield tag


def openapi_document(descriptor_set: Path) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every transcoded route of `descriptor_set`."""
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
    index = _Index(files)
    builder = _Builder(index)
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for route in http_routes(files, index):
        item = paths.setdefault(route.path, {})
        if route.verb in item:
            raise ValueError(f"two methods serve {route.verb.upper()} {route.path}")
        if route.operation_id in operation_ids:
            raise ValueError(f"two operations are named {route.operation_id}")
        operation_ids.add(route.operation_id)
        item[route.verb] = builder.operation(route)
    builder.type_schema(f".{STATUS_SCHEMA}")
    builder.close()
    builder.schemas[GATEWAY_ERROR_SCHEMA] = _gateway_error_schema()
    used_tags = {tag for item in paths.values() for op in item.values() for tag in op["tags"]}
    tags = [tag for tag in _service_tags(files, index) if tag["name"] in used_tags]
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": _version(), "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "tags": sorted(tags, key=lambda tag: tag["name"]),
        "paths": dict(sorted(paths.items())),
        "components": {
            "responses": _response_components(),
            "schemas": dict(sorted(builder.schemas.items())),
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A session access token (from /v1/auth/login or "
                    "/v1/auth/register) or a personal access token (from /v1/auth/tokens); "
                    "each operation says which it takes and the scopes a personal access "
                    "token needs.",
                }
            },
        },
    }


def render(document: dict[str, Any]) -> str:
    """The document as committed: sorted keys, 2-space indent, a trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_openapi(descriptor_set: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(openapi_document(descriptor_set)))
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m services.edge.openapi [--descriptor-set SET] [--out FILE]`."""
    parser = argparse.ArgumentParser(description="Write the OpenAPI document of the edge.")
    parser.add_argument("--descriptor-set", type=Path, default=DESCRIPTOR_SET)
    parser.add_argument("--out", type=Path, default=OPENAPI_DOCUMENT)
    args = parser.parse_args(argv)
    print(write_openapi(args.descriptor_set, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
