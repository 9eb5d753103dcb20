"""The Kubernetes manifests: `kubectl kustomize k8s/` renders valid, wired-up objects."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.shared.edge import K8S_ENVOY_CONFIG, edge_config_main, envoy_binary

REPO = Path(__file__).resolve().parents[2]
KUBECTL = shutil.which("kubectl")
SERVICES = ("auth", "user")

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


def test_renders_every_object_in_the_namespace(rendered: list[Object]) -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"].rsplit("-", 1)[0]) for o in rendered)
    assert kinds == sorted(
        [
            ("Namespace", "pyat"),
            ("ConfigMap", "pyat-config"),
            ("ConfigMap", "edge-envoy"),
            ("Deployment", "auth"),
            ("Deployment", "user"),
            ("Deployment", "edge"),
            ("Service", "auth"),
            ("Service", "user"),
            ("Service", "edge"),
            ("Job", "migrate"),
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


@pytest.mark.parametrize("name", SERVICES)
def test_service_deployments(rendered: list[Object], name: str) -> None:
    deployment = find(rendered, "Deployment", name)
    main = container(deployment)
    assert main["image"] == "pyat:latest"
    assert main["command"] == ["pyat", "serve", name]
    for other in SERVICES:
        if other != name:
            env = {e["name"]: e["value"] for e in main["env"]}
            assert env[f"PYAT_{other.upper()}_ADDR"] == f"{other}-service:50051"
    for probe in ("livenessProbe", "readinessProbe"):
        assert main[probe]["grpc"] == {"port": 50051}
    assert main["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}
    assert set(main["resources"]["limits"]) == {"cpu", "memory"}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "9464"
    assert {"containerPort": 9464, "name": "metrics"} in main["ports"]

    service = find(rendered, "Service", f"{name}-service")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["port"] == 50051


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
    assert edge_config_main(["--k8s", "--out", str(tmp_path / "envoy.yaml")]) == 0
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
