"""The edge config: Envoy accepts it, the committed copy is current, only public methods route."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

from services.cli import main as pyat
from services.edge.config import (
    AIRTABLE_REST_CLUSTER,
    ENVOY_CONFIG,
    GATEWAY_SERVICES,
    K8S_GATEWAY_SERVICE,
    MAX_REQUEST_BYTES,
    MCP_CLUSTER,
    STRIPPED_HEADERS,
    WEB_APP_CLUSTER,
    all_in_one_envoy_config,
    envoy_config,
    http_methods,
    k8s_envoy_config,
    k8s_service_name,
    write_config,
)
from services.edge.process import envoy_binary
from services.shared.config import Settings
from services.shared.identity import CALLER_HEADER, IDENTITY_HEADERS

REPO = Path(__file__).resolve().parents[2]
DESCRIPTOR_SET = REPO / "gen" / "pyat.binpb"


def _methods_by_annotation() -> tuple[set[str], set[str]]:
    """Public and internal gRPC paths, read from the generated modules (not the descriptor set)."""
    import importlib
    import pkgutil

    import pyat

    public: set[str] = set()
    internal: set[str] = set()
    for module_info in pkgutil.walk_packages(pyat.__path__, "pyat."):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(module_info.name)
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                path = f"/{service.full_name}/{method.name}"
                annotated = method.GetOptions().HasExtension(annotations_pb2.http)
                (public if annotated else internal).add(path)
    return public, internal


PUBLIC, INTERNAL = _methods_by_annotation()
assert "/pyat.auth.v1.AuthService/Login" in PUBLIC
assert {"/pyat.auth.v1.AuthService/VerifyToken", "/pyat.user.v1.UserService/CreateUser"} <= INTERNAL


def connection_manager(config: dict[str, Any]) -> dict[str, Any]:
    listener = config["static_resources"]["listeners"][0]
    manager: dict[str, Any] = listener["filter_chains"][0]["filters"][0]["typed_config"]
    return manager


def http_filter(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The typed config of the HTTP filter called envoy.filters.http.<name>."""
    found: list[dict[str, Any]] = [
        f["typed_config"]
        for f in connection_manager(config)["http_filters"]
        if f["name"] == f"envoy.filters.http.{name}"
    ]
    assert len(found) == 1, name
    return found[0]


def validate(config_path: Path, cwd: Path) -> str:
    result = subprocess.run(
        [envoy_binary(), "--mode", "validate", "-c", str(config_path), "--log-level", "warn"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_http_methods_are_the_annotated_ones() -> None:
    methods = http_methods(DESCRIPTOR_SET)
    assert {m.grpc_path for m in methods} == PUBLIC
    login = next(m for m in methods if m.method == "Login")
    assert (login.service, login.grpc_path) == (
        "pyat.auth.v1.AuthService",
        "/pyat.auth.v1.AuthService/Login",
    )


def test_committed_config_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    assert pyat(["edge-config", "--out", str(tmp_path / "envoy.yaml")]) == 0
    assert (tmp_path / "envoy.yaml").read_text() == (REPO / ENVOY_CONFIG).read_text(), (
        "envoy/envoy.yaml is stale: run `make gen`"
    )


def test_committed_config_passes_envoy_validate() -> None:
    # From the repo root, as `make validate-envoy` runs it: the descriptor path is relative.
    output = validate(REPO / ENVOY_CONFIG, cwd=REPO)
    assert "Deprecated" not in output


def test_both_variants_pass_envoy_validate(tmp_path: Path) -> None:
    all_in_one = all_in_one_envoy_config(DESCRIPTOR_SET, Settings())
    k8s = k8s_envoy_config(DESCRIPTOR_SET)
    # The k8s config names the descriptor set where the edge pod mounts it.
    http_filter(k8s, "grpc_json_transcoder")["proto_descriptor"] = str(DESCRIPTOR_SET)
    for name, config in (("all-in-one", all_in_one), ("k8s", k8s)):
        write_config(tmp_path / f"{name}.yaml", config)
        assert "Deprecated" not in validate(tmp_path / f"{name}.yaml", cwd=tmp_path)


def test_internal_methods_have_no_route() -> None:
    config = all_in_one_envoy_config(DESCRIPTOR_SET, Settings())
    routes = connection_manager(config)["route_config"]["virtual_hosts"][0]["routes"]
    methods = [r for r in routes if r["name"].startswith("/")]
    assert {r["match"]["path"] for r in methods} == PUBLIC
    assert not {r["match"]["path"] for r in methods} & INTERNAL
    # Only gRPC, as a client sends it or the transcoder makes it, reaches a service.
    for route in methods:
        assert "route" in route
        assert route["match"]["headers"] == [
            {"name": "content-type", "string_match": {"prefix": "application/grpc"}}
        ]
    # Airtable's /v0 paths go to airtable-gateway's REST front, after ext_authz has had its
    # say. Any other gRPC call, gRPC path, /v0 or /v1 path ends at a direct 404 (internal
    # methods included); the rest is the web app, which web-bff's HTTP side serves.
    rest = {r["name"]: r for r in routes[len(methods) :]}
    assert list(rest) == [
        "v0-rest",
        "grpc-not-found",
        "method-not-found",
        "v0-not-found",
        "v1-not-found",
        "v1-root-not-found",
        "mcp",
        "mcp-slash",
        "web-app",
    ]
    assert rest["v0-rest"]["match"] == {"prefix": "/v0/"}
    assert rest["v0-rest"]["route"]["cluster"] == AIRTABLE_REST_CLUSTER
    assert "typed_per_filter_config" not in rest["v0-rest"]
    for name in ("grpc-not-found", "method-not-found", "v0-not-found", "v1-not-found"):
        assert rest[name]["direct_response"]["status"] == 404
    assert rest["v1-not-found"]["match"] == {"prefix": "/v1/"}
    assert rest["web-app"]["match"] == {"prefix": "/"}
    assert rest["web-app"]["route"]["cluster"] == WEB_APP_CLUSTER
    # The Model Context Protocol goes to mcp-server's HTTP side, after ext_authz.
    for name, path in (("mcp", "/mcp"), ("mcp-slash", "/mcp/")):
        assert rest[name]["match"] == {"path": path}
        assert rest[name]["route"]["cluster"] == MCP_CLUSTER
        assert "typed_per_filter_config" not in rest[name]


def test_identity_headers_are_removed_by_the_first_filter() -> None:
    filters = connection_manager(all_in_one_envoy_config(DESCRIPTOR_SET, Settings()))[
        "http_filters"
    ]
    assert [f["name"] for f in filters] == [
        "envoy.filters.http.header_mutation",
        "envoy.filters.http.buffer",
        "envoy.filters.http.grpc_json_transcoder",
        "envoy.filters.http.ext_authz",
        "envoy.filters.http.router",
    ]
    removed = [m["remove"] for m in filters[0]["typed_config"]["mutations"]["request_mutations"]]
    assert sorted(removed) == sorted(STRIPPED_HEADERS)
    # Everything the gateway sets or judges by, so no client can supply it.
    assert CALLER_HEADER in IDENTITY_HEADERS
    assert set(IDENTITY_HEADERS) | {
        "x-pyat-base-id",
        "x-envoy-original-path",
        "x-envoy-original-method",
    } <= set(removed)
    transcoder = filters[2]["typed_config"]
    assert transcoder["services"] == sorted({path.split("/")[1] for path in PUBLIC})
    # Unknown REST paths pass it, to the 404 routes (and ext_authz first, under /v0).
    assert "request_validation_options" not in transcoder


def test_ext_authz_fails_closed_and_rate_limiting_fails_open() -> None:
    filters = {
        f["name"]: f["typed_config"]
        for f in connection_manager(all_in_one_envoy_config(DESCRIPTOR_SET, Settings()))[
            "http_filters"
        ]
    }
    authz = filters["envoy.filters.http.ext_authz"]
    assert authz["failure_mode_allow"] is False
    assert authz["status_on_error"] == {"code": "ServiceUnavailable"}
    assert authz["grpc_service"]["envoy_grpc"] == {"cluster_name": "pyat"}
    # ext_authz applies the rate limits itself: no second Python hop.
    assert "envoy.filters.http.ratelimit" not in filters


def test_only_register_login_refresh_the_404s_and_the_web_app_skip_ext_authz() -> None:
    config = all_in_one_envoy_config(DESCRIPTOR_SET, Settings())
    routes = connection_manager(config)["route_config"]["virtual_hosts"][0]["routes"]
    open_routes = {
        r["name"]
        for r in routes
        if r.get("typed_per_filter_config", {})
        .get("envoy.filters.http.ext_authz", {})
        .get("disabled")
    }
    # The web app's files are public, and its cookie sessions guard themselves (web-bff's
    # HTTP side checks the Origin and asks auth-service).
    unguarded = {
        "grpc-not-found",
        "method-not-found",
        "v0-not-found",
        "v1-not-found",
        "v1-root-not-found",
        "web-app",
    }
    assert open_routes == {
        "/pyat.auth.v1.AuthService/Register",
        "/pyat.auth.v1.AuthService/Login",
        "/pyat.auth.v1.AuthService/Refresh",
        *unguarded,
    }
    # ...because the contracts declare exactly those public: nobody keeps a list by hand.
    assert {m.grpc_path for m in http_methods(DESCRIPTOR_SET) if m.public} == (
        open_routes - unguarded
    )


def test_k8s_variant_has_one_dns_cluster_per_service() -> None:
    config = k8s_envoy_config(DESCRIPTOR_SET)
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    rest = clusters.pop(AIRTABLE_REST_CLUSTER)
    web_app = clusters.pop(WEB_APP_CLUSTER)
    endpoint = web_app["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"]["socket_address"] == {
        "address": "web-bff-service",
        "port_value": 8090,
    }
    mcp = clusters.pop(MCP_CLUSTER)
    endpoint = mcp["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"]["socket_address"] == {"address": "mcp-service", "port_value": 8092}
    public_services = {path.split("/")[1] for path in PUBLIC}
    assert sorted(clusters) == sorted(
        {k8s_service_name(s) for s in public_services} | {K8S_GATEWAY_SERVICE}
    )
    # Airtable's API goes over plain HTTP/1.1 to airtable-gateway's http port.
    endpoint = rest["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"]["socket_address"] == {
        "address": "airtable-gateway-service",
        "port_value": 8081,
    }
    assert "typed_extension_protocol_options" not in rest
    for name, cluster in clusters.items():
        assert cluster["type"] == "STRICT_DNS"
        endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
        assert endpoint["address"]["socket_address"] == {"address": name, "port_value": 50051}
    transcoder = http_filter(config, "grpc_json_transcoder")
    assert transcoder["proto_descriptor"] == "/etc/envoy/pyat.binpb"
    assert k8s_service_name("pyat.auth.v1.AuthService") == "auth-service"
    # Envoy's ext_authz calls go to api-gateway's own Service.
    assert http_filter(config, "ext_authz")["grpc_service"]["envoy_grpc"] == {
        "cluster_name": "api-gateway-service"
    }
    assert {k8s_service_name(s) for s in GATEWAY_SERVICES} == {"api-gateway-service"}


def test_every_annotated_service_needs_an_upstream() -> None:
    with pytest.raises(ValueError, match=r"pyat\.user\.v1\.UserService"):
        envoy_config(
            DESCRIPTOR_SET,
            edge_host="0.0.0.0",
            edge_port=8080,
            admin_port=9901,
            upstreams={"pyat.auth.v1.AuthService": ("auth-service", 50051)},
        )
    public = {s: ("x", 50051) for s in {path.split("/")[1] for path in PUBLIC}}
    with pytest.raises(ValueError, match=r"envoy\.service\.auth\.v3\.Authorization"):
        envoy_config(
            DESCRIPTOR_SET, edge_host="0.0.0.0", edge_port=8080, admin_port=9901, upstreams=public
        )


def test_descriptor_set_holds_the_error_detail_types() -> None:
    # convert_grpc_status prints a status's details only when their types are in the set;
    # without google.rpc.ErrorInfo a domain error reaches REST clients as an empty body.
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    assert "google/rpc/error_details.proto" in {f.name for f in files.file}


def _status_of(mapper: dict[str, Any]) -> int | None:
    comparison = mapper["filter"].get("status_code_filter", {}).get("comparison", {})
    status: int | None = comparison.get("value", {}).get("default_value")
    return status


@pytest.mark.parametrize("variant", ["all-in-one", "k8s"])
def test_every_route_takes_the_v0_fronts_body_limit_and_refuses_more_in_json(
    variant: str,
) -> None:
    from services.airtable_gateway.rest.app import MAX_BODY_BYTES

    if variant == "k8s":
        config = k8s_envoy_config(DESCRIPTOR_SET)
    else:
        config = all_in_one_envoy_config(DESCRIPTOR_SET, Settings())
    # One limit for /v1 and /v0 alike, and the front's own, so Envoy refuses what it would.
    assert MAX_REQUEST_BYTES == MAX_BODY_BYTES
    assert http_filter(config, "buffer")["max_request_bytes"] == MAX_REQUEST_BYTES
    routes = connection_manager(config)["route_config"]["virtual_hosts"][0]["routes"]
    # No route turns the limit off or raises it.
    for route in routes:
        assert "envoy.filters.http.buffer" not in route.get("typed_per_filter_config", {})
    mappers = connection_manager(config)["local_reply_config"]["mappers"]
    (too_large,) = [m for m in mappers if _status_of(m) == 413]
    assert too_large["body_format_override"]["content_type"] == "application/json"
    assert too_large["body_format_override"]["json_format"]["error"]["type"] == (
        "REQUEST_TOO_LARGE"
    )
