"""The OpenAPI document of the edge: a valid OpenAPI 3.1 document, with every transcoded route,
current in gen/, and true to what Envoy answers over real HTTP."""

from __future__ import annotations

import copy
import json
import re
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from services.edge.config import http_methods
from services.edge.openapi import Route, main, openapi_document, render, schema_name
from tests.e2e.test_gateway import PASSWORD, bearer

REPO = Path(__file__).resolve().parents[2]
DESCRIPTOR_SET = REPO / "gen" / "pyat.binpb"
COMMITTED = REPO / "gen" / "openapi.json"
DOCUMENT_URI = "urn:pyat:openapi"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document(DESCRIPTOR_SET)


def transcoded_routes() -> set[tuple[str, str]]:
    """(verb, path template) of every binding, read from the descriptor set on its own."""
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    found: set[tuple[str, str]] = set()
    for file in files.file:
        if not file.package.startswith("pyat."):
            continue
        for service in file.service:
            for method in service.method:
                options = descriptor_pb2.MethodOptions.FromString(
                    method.options.SerializeToString()
                )
                if not options.HasExtension(annotations_pb2.http):
                    continue
                rule = options.Extensions[annotations_pb2.http]
                for binding in (rule, *rule.additional_bindings):
                    verb = binding.WhichOneof("pattern")
                    assert verb in {"get", "put", "post", "delete", "patch"}
                    found.add((verb, getattr(binding, verb)))
    return found


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (verb, path, operation)
        for path, item in document["paths"].items()
        for verb, operation in item.items()
    ]


def operation_of(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    (found,) = [op for _, _, op in operations(document) if op["operationId"] == operation_id]
    return found


# -- the document --------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "PyAirtable API"
    assert document["servers"] == [{"url": "/"}]
    validate(document)


def test_every_transcoded_route_is_documented_with_its_verb(document: dict[str, Any]) -> None:
    documented = {(verb, path) for verb, path, _ in operations(document)}
    assert documented == transcoded_routes()
    # The edge's own list (main bindings) is in there too, verb for verb.
    for method in http_methods(DESCRIPTOR_SET):
        operation = document["paths"][method.path][method.verb.lower()]
        assert operation["x-grpc-method"] == method.grpc_path


def test_an_additional_binding_is_its_own_operation(document: dict[str, Any]) -> None:
    main_binding = document["paths"]["/v1/workspaces/{workspace_id}/bases"]["get"]
    additional = document["paths"]["/v1/bases"]["get"]
    assert main_binding["operationId"] == "WorkspaceService_ListBases"
    assert additional["operationId"] == "WorkspaceService_ListBases_2"
    assert additional["x-grpc-method"] == main_binding["x-grpc-method"]
    # Unbound by the path there, workspace_id is a query parameter.
    assert {"name": "workspace_id", "in": "query"}.items() <= additional["parameters"][0].items()


def test_operation_ids_are_service_and_method_and_unique(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert document["paths"]["/v1/users/me"]["get"]["operationId"] == "UserService_GetMe"
    assert document["paths"]["/v1/users/me"]["get"]["tags"] == ["UserService"]
    assert {tag["name"] for tag in document["tags"]} == {
        op["tags"][0] for _, _, op in operations(document)
    }


def test_public_routes_need_no_token_and_the_rest_a_bearer_token(
    document: dict[str, Any],
) -> None:
    public = {m.grpc_path for m in http_methods(DESCRIPTOR_SET) if m.public}
    assert "/pyat.auth.v1.AuthService/Register" in public
    for _, _, operation in operations(document):
        if operation["x-grpc-method"] in public:
            assert operation["security"] == []
            assert "401" not in operation["responses"]
        else:
            assert operation["security"] == [{"bearer": []}]
            assert operation["responses"]["401"] == {
                "$ref": "#/components/responses/Unauthenticated"
            }
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_pat_scopes_and_session_only_access_are_described(document: dict[str, Any]) -> None:
    list_bases = operation_of(document, "WorkspaceService_ListBases")
    assert (
        "personal access token with the scopes `schema.bases:read`" in (list_bases["description"])
    )
    get_me = operation_of(document, "UserService_GetMe")
    assert "personal access tokens are refused" in get_me["description"]


def test_a_template_with_a_pattern_is_reduced_to_its_field() -> None:
    method = descriptor_pb2.MethodDescriptorProto(name="GetShelf")
    route = Route(
        "pkg.v1.Library", method, "get", "/v1/{name=shelves/*}/books/{book.id}", "", "", 0, None, ""
    )
    assert route.path == "/v1/{name}/books/{book.id}"
    assert route.path_fields == ["name", "book.id"]
    assert route.operation_id == "Library_GetShelf"
    assert schema_name(".pkg.v1.Outer.Inner") == "pkg.v1.Outer.Inner"


def test_every_path_parameter_is_declared(document: dict[str, Any]) -> None:
    templated = 0
    for _, path, operation in operations(document):
        names = re.findall(r"\{([^}]+)\}", path)
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == set(names), path
        templated += bool(names)
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["required"] is True
    assert templated > 10


def test_get_and_delete_take_the_other_fields_as_query_parameters(
    document: dict[str, Any],
) -> None:
    list_users = document["paths"]["/v1/users"]["get"]
    query = {p["name"]: p for p in list_users["parameters"] if p["in"] == "query"}
    assert {"page_size", "page_token"} <= set(query)
    assert query["page_size"]["schema"]["type"] == "integer"
    for _, _, operation in operations(document):
        assert "requestBody" not in operation or operation["requestBody"]["required"]


def test_a_body_of_star_is_the_request_minus_the_path_fields(document: dict[str, Any]) -> None:
    update = document["paths"]["/v1/workspaces/{workspace_id}"]["patch"]
    body = update["requestBody"]["content"]["application/json"]["schema"]
    assert "workspace_id" not in body["properties"]
    assert "name" in body["properties"]
    assert not [p for p in update["parameters"] if p["in"] == "query"]
    register = document["paths"]["/v1/auth/register"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/pyat.auth.v1.RegisterRequest"
    }


def test_types_print_as_the_transcoder_prints_them(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    user = schemas["pyat.user.v1.User"]["properties"]
    assert user["created_at"] == {"type": "string", "format": "date-time"}
    assert user["preferences"]["type"] == "object"
    role = schemas["pyat.permission.v1.Role"]
    assert role["type"] == "string" and "ROLE_OWNER" in role["enum"]
    status = schemas["google.rpc.Status"]["properties"]
    assert status["code"]["type"] == "integer"
    assert status["details"]["items"]["required"] == ["@type"]
    for name in schemas:
        assert re.fullmatch(r"[A-Za-z0-9._-]+", name)
    # No int64 field may be typed as a JSON number: the transcoder prints them as strings.
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            if prop.get("format") in {"int64", "uint64"}:
                assert prop["type"] == "string"


def test_a_server_stream_is_server_sent_events(document: dict[str, Any]) -> None:
    watch = operation_of(document, "WebBffService_WatchTable")
    content = watch["responses"]["200"]["content"]
    assert list(content) == ["text/event-stream"]
    assert content["text/event-stream"]["x-event-data-schema"] == {
        "$ref": "#/components/schemas/pyat.webbff.v1.WatchTableResponse"
    }
    assert "pyat.webbff.v1.WatchTableResponse" in document["components"]["schemas"]


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    for kind, name in re.findall(r'"#/components/(\w+)/([^"]+)"', text):
        assert name in document["components"][kind], name


def test_committed_document_is_current() -> None:
    """CI's staleness check: gen/openapi.json is what the CLI writes from gen/pyat.binpb."""
    assert COMMITTED.read_text() == render(openapi_document(DESCRIPTOR_SET)), (
        "gen/openapi.json is stale: run `python -m services.edge.openapi --out gen/openapi.json`"
    )


def test_output_is_deterministic_json_with_a_trailing_newline(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["--descriptor-set", str(DESCRIPTOR_SET), "--out", str(first)]) == 0
    assert main(["--descriptor-set", str(DESCRIPTOR_SET), "--out", str(second)]) == 0
    text = first.read_text()
    assert text == second.read_text()
    assert text.endswith("}\n") and text.startswith('{\n  "components"')


def test_proto_comments_become_summaries_and_descriptions(tmp_path: Path) -> None:
    """With source info in the set (protoc --include_source_info), the comments show."""
    with_comments = tmp_path / "with_comments.binpb"
    protos = sorted(str(p.relative_to(REPO / "proto")) for p in (REPO / "proto").rglob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-Iproto",
            "-Ithird_party",
            f"--descriptor_set_out={with_comments}",
            "--include_imports",
            "--include_source_info",
            *protos,
            *sorted(
                str(p.relative_to(REPO)) for p in (REPO / "third_party/google/rpc").glob("*.proto")
            ),
        ],
        cwd=REPO,
        check=True,
    )
    document = openapi_document(with_comments)
    validate(document)
    get_me = document["paths"]["/v1/users/me"]["get"]
    assert get_me["summary"] == "GetMe returns the profile of the authenticated caller."
    assert get_me["description"].startswith(get_me["summary"])
    user = document["components"]["schemas"]["pyat.user.v1.User"]
    assert user["description"] == "User is a person's profile inside one tenant."
    assert user["properties"]["id"]["description"].startswith("Airtable-style id")
    tags = {tag["name"]: tag for tag in document["tags"]}
    assert tags["UserService"]["description"].startswith("UserService owns user profiles.")


# -- round trips through a real Envoy -------------------------------------------------------


class Responses:
    """Validates HTTP answers against the document's response schemas."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def schema(self, verb: str, path: str, status: int) -> dict[str, Any]:
        responses = self.document["paths"][path][verb]["responses"]
        response = responses.get(str(status), responses["default"])
        if "$ref" in response:
            response = self.document["components"]["responses"][response["$ref"].split("/")[-1]]
        schema: dict[str, Any] = response["content"]["application/json"]["schema"]
        return schema

    def validate(self, verb: str, path: str, answer: httpx.Response) -> Any:
        assert answer.headers["content-type"].startswith("application/json"), answer.text
        body = answer.json()
        self.check(verb, path, answer.status_code, body)
        return body

    def check(self, verb: str, path: str, status: int, body: Any) -> None:
        schema = self.schema(verb, path, status)
        # Resolved inside the document, so "#/components/..." references work.
        rooted = {"$ref": f"{DOCUMENT_URI}#/__probe__"}
        probe = {**self.document, "__probe__": schema}
        registry: Registry[Any] = Registry().with_resource(
            DOCUMENT_URI, Resource.from_contents(probe, default_specification=DRAFT202012)
        )
        jsonschema.Draft202012Validator(
            rooted, registry=registry, format_checker=jsonschema.FormatChecker()
        ).validate(body)


@pytest.fixture(scope="module")
def responses(document: dict[str, Any]) -> Responses:
    return Responses(document)


@pytest.fixture
async def http(edge: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=edge, timeout=30) as client:
        yield client


async def register(http: httpx.AsyncClient, responses: Responses) -> dict[str, Any]:
    answer = await http.post(
        "/v1/auth/register",
        json={
            "email": f"openapi-{secrets.token_hex(6)}@example.com",
            "password": PASSWORD,
            "name": "Grace Hopper",
        },
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = responses.validate("post", "/v1/auth/register", answer)
    return body


@pytest.mark.envoy
async def test_register_me_and_workspaces_answer_as_documented(
    http: httpx.AsyncClient, responses: Responses
) -> None:
    session = await register(http, responses)
    headers = bearer(session["access_token"])

    me = await http.get("/v1/users/me", headers=headers)
    assert me.status_code == 200, me.text
    assert responses.validate("get", "/v1/users/me", me)["user"]["id"] == session["user"]["id"]

    created = await http.post("/v1/workspaces", json={"name": "Docs"}, headers=headers)
    assert created.status_code == 200, created.text
    workspace = responses.validate("post", "/v1/workspaces", created)["workspace"]

    listed = await http.get("/v1/workspaces", headers=headers)
    assert listed.status_code == 200, listed.text
    body = responses.validate("get", "/v1/workspaces", listed)
    assert workspace["id"] in {w["id"] for w in body["workspaces"]}


@pytest.mark.envoy
async def test_the_response_schemas_are_not_vacuous(
    http: httpx.AsyncClient, responses: Responses
) -> None:
    """What Envoy would never print fails: a number for a timestamp, an unknown field."""
    session = await register(http, responses)
    wrong_time = copy.deepcopy(session)
    wrong_time["user"]["created_at"] = 1733400000
    with pytest.raises(jsonschema.ValidationError):
        responses.check("post", "/v1/auth/register", 200, wrong_time)
    camel_case = {**session, "accessToken": session["access_token"]}
    with pytest.raises(jsonschema.ValidationError):
        responses.check("post", "/v1/auth/register", 200, camel_case)


@pytest.mark.envoy
async def test_errors_answer_as_documented(http: httpx.AsyncClient, responses: Responses) -> None:
    no_token = await http.get("/v1/users/me")
    assert no_token.status_code == 401, no_token.text
    responses.validate("get", "/v1/users/me", no_token)

    # Another tenant's workspace is NOT_FOUND, as a google.rpc.Status.
    owner = await register(http, responses)
    created = await http.post(
        "/v1/workspaces", json={"name": "Private"}, headers=bearer(owner["access_token"])
    )
    assert created.status_code == 200, created.text
    workspace_id = created.json()["workspace"]["id"]
    stranger = await register(http, responses)
    path = f"/v1/workspaces/{workspace_id}"
    foreign = await http.get(path, headers=bearer(stranger["access_token"]))
    assert foreign.status_code == 404, foreign.text
    status = responses.validate("get", "/v1/workspaces/{workspace_id}", foreign)
    assert status["code"] == 5  # NOT_FOUND
