"""The Kubernetes manifests: `kubectl kustomize k8s/` renders valid, wired-up objects."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.cli import main as pyat
from services.edge.config import K8S_ENVOY_CONFIG
from services.edge.process import envoy_binary
from services.registry import SERVICES
from services.shared.config import Settings

REPO = Path(__file__).resolve().parents[2]
KUBECTL = shutil.which("kubectl")
GRPC_PORT = 50051

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

Object = dict[str, Any]


@pytest.fixture(scope="module")
def rendered() -> list[Object]:
    assert KUBECTL is not None
    result = subprocess.run(
        [KUBECTL, "kustomize", str(REPO / "k8s")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(objects: list[Object], kind: str, name: str) -> Object:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def generated(objects: list[Object], prefix: str) -> Object:
    """A ConfigMap from configMapGenerator (its name ends in a content hash)."""
    matches = [
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].rsplit("-", 1)[0] == prefix
    ]
    assert len(matches) == 1, prefix
    return matches[0]


def container(deployment: Object) -> Object:
    containers: list[Object] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def service_name(name: str) -> str:
    """The Kubernetes Service of a registered service: auth → auth-service."""
    return f"{name}-service"


def environment(objects: list[Object], workload: Object) -> dict[str, str]:
    """A workload's container environment: its envFrom ConfigMaps, then its own env."""
    env: dict[str, str] = {}
    for source in container(workload).get("envFrom", []):
        if "configMapRef" in source:
            env.update(find(objects, "ConfigMap", source["configMapRef"]["name"])["data"])
    env.update({e["name"]: e["value"] for e in container(workload).get("env", []) if "value" in e})
    return env


def resolve(objects: list[Object], host: str, port: int) -> Object:
    """The Deployment behind `host:port` as a pod in the namespace dials it: a Service there
    with that port, whose selector matches a Deployment exposing the port it targets."""
    service = find(objects, "Service", host)
    ports = [p for p in service["spec"]["ports"] if p["port"] == port]
    assert ports, f"Service {host} has no port {port}"
    selector = service["spec"]["selector"].items()
    backends = [
        o
        for o in objects
        if o["kind"] == "Deployment"
        and selector <= o["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert len(backends) == 1, f"Service {host} selects {len(backends)} Deployments"
    # targetPort is a container port's name or its number.
    target = ports[0]["targetPort"]
    field = "name" if isinstance(target, str) else "containerPort"
    exposed = [p.get(field) for p in container(backends[0])["ports"]]
    assert target in exposed, f"Service {host} targets {target}, its pods expose {exposed}"
    return backends[0]


def test_renders_every_object_in_the_namespace(rendered: list[Object]) -> None:
    def key(o: Object) -> tuple[str, str]:
        name = o["metadata"]["name"]
        # Generated ConfigMaps end in a content hash.
        return o["kind"], name.rsplit("-", 1)[0] if o["kind"] == "ConfigMap" else name

    assert sorted(map(key, rendered)) == sorted(
        [
            ("Namespace", "pyat"),
            ("ConfigMap", "pyat-config"),
            ("ConfigMap", "edge-envoy"),
            ("Deployment", "edge"),
            ("Service", "edge"),
            ("Job", "migrate"),
            *(("Deployment", name) for name in SERVICES),
            *(("Service", service_name(name)) for name in SERVICES),
        ]
    )
    for obj in rendered:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "pyat", obj["metadata"]["name"]


def test_objects_match_the_kubernetes_schemas(rendered: list[Object]) -> None:
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="pip install kubernetes-validate (a dev dependency)"
    )
    # The oldest Kubernetes with GA gRPC probes that we support, and the newest known.
    for version in ("1.29.0", kubernetes_validate.latest_version()):
        for obj in rendered:
            kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("name", list(SERVICES))
def test_service_deployments(rendered: list[Object], name: str) -> None:
    deployment = find(rendered, "Deployment", name)
    main = container(deployment)
    assert main["image"] == "pyat:latest"
    assert main["command"] == ["pyat", "serve", name]
    # It finds every other service at its Service, as Settings reads PYAT_<NAME>_ADDR.
    settings = Settings.from_env(environment(rendered, deployment))
    for other in SERVICES:
        if other != name:
            assert settings.addr_of(other) == f"{service_name(other)}:{GRPC_PORT}", other
    for probe in ("livenessProbe", "readinessProbe"):
        assert main[probe]["grpc"] == {"port": GRPC_PORT}
    assert main["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}
    assert set(main["resources"]["limits"]) == {"cpu", "memory"}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "9464"
    assert {"containerPort": 9464, "name": "metrics"} in main["ports"]

    assert resolve(rendered, service_name(name), GRPC_PORT) is deployment


def test_every_service_address_resolves(rendered: list[Object]) -> None:
    """Each PYAT_<NAME>_ADDR, wherever it is set, names a registered service and points at
    that service's Service and gRPC port."""
    names = {name.replace("-", "_").upper(): name for name in SERVICES}
    found = 0
    for obj in rendered:
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        for key, value in environment(rendered, obj).items():
            if not (key.startswith("PYAT_") and key.endswith("_ADDR")):
                continue
            where = f"{obj['metadata']['name']}: {key}={value}"
            name = names.get(key.removeprefix("PYAT_").removesuffix("_ADDR"))
            assert name is not None, f"{where}: no such service"
            assert value == f"{service_name(name)}:{GRPC_PORT}", where
            resolve(rendered, service_name(name), GRPC_PORT)
            found += 1
    assert found >= len(SERVICES) * (len(SERVICES) - 1)


def test_every_envoy_cluster_resolves(rendered: list[Object]) -> None:
    """Every upstream of the edge (a STRICT_DNS cluster per service, api-gateway-service for
    ext_authz and rate limits) is a Service in the render, in front of a Deployment."""
    envoy = yaml.safe_load(generated(rendered, "edge-envoy")["data"]["envoy.yaml"])
    clusters = envoy["static_resources"]["clusters"]
    assert clusters
    for cluster in clusters:
        endpoints = [
            lb["endpoint"]["address"]["socket_address"]
            for group in cluster["load_assignment"]["endpoints"]
            for lb in group["lb_endpoints"]
        ]
        assert endpoints, cluster["name"]
        for address in endpoints:
            deployment = resolve(rendered, address["address"], address["port_value"])
            # A Service of a registered service (not the edge itself).
            assert deployment["metadata"]["name"] in SERVICES, cluster["name"]


def test_settings_come_from_the_generated_config_map(rendered: list[Object]) -> None:
    config = generated(rendered, "pyat-config")
    assert {"REDIS_URL", "NATS_URL", "PYAT_GRPC_HOST"} <= set(config["data"])
    for obj in rendered:
        if obj["kind"] in ("Deployment", "Job") and obj["metadata"]["name"] != "edge":
            refs = [
                r["configMapRef"]["name"] for r in container(obj)["envFrom"] if "configMapRef" in r
            ]
            secrets = [
                r["secretRef"]["name"] for r in container(obj)["envFrom"] if "secretRef" in r
            ]
            assert refs == [config["metadata"]["name"]]
            assert secrets == ["pyat-secrets"]


def test_migrate_job(rendered: list[Object]) -> None:
    assert container(find(rendered, "Job", "migrate"))["command"] == ["pyat", "migrate"]


def test_edge_config_map_is_current_and_envoy_accepts_it(
    rendered: list[Object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_map = generated(rendered, "edge-envoy")
    edge = find(rendered, "Deployment", "edge")
    volumes = edge["spec"]["template"]["spec"]["volumes"]
    assert volumes == [{"name": "config", "configMap": {"name": config_map["metadata"]["name"]}}]
    assert container(edge)["volumeMounts"][0]["mountPath"] == "/etc/envoy"

    # What `make gen` would write now must be what the ConfigMap holds.
    monkeypatch.chdir(REPO)
    assert pyat(["edge-config", "--k8s", "--out", str(tmp_path / "envoy.yaml")]) == 0
    envoy_yaml = config_map["data"]["envoy.yaml"]
    descriptor = base64.b64decode(config_map["binaryData"]["pyat.binpb"])
    stale = f"{K8S_ENVOY_CONFIG.parent} is stale: run `make gen`"
    assert envoy_yaml == (tmp_path / "envoy.yaml").read_text(), stale
    assert descriptor == (REPO / "gen" / "pyat.binpb").read_bytes(), stale

    # Envoy accepts it, with the descriptor set where this test put it instead of the mount.
    (tmp_path / "pyat.binpb").write_bytes(descriptor)
    local = envoy_yaml.replace("/etc/envoy/pyat.binpb", str(tmp_path / "pyat.binpb"))
    (tmp_path / "local.yaml").write_text(local)
    result = subprocess.run(
        [envoy_binary(), "--mode", "validate", "-c", str(tmp_path / "local.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
