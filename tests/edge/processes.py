"""`pyat` as a user starts it, in a process of its own, waited on without blocking the event
loop the session's in-process servers run on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Generous: two `pyat up` starting at once on a loaded 2-core machine take their time.
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
# Every port `pyat up` opens that a setting moves.
UP_PORTS = ("PYAT_GRPC_PORT", "PYAT_EDGE_PORT", "PYAT_ENVOY_ADMIN_PORT", "PYAT_METRICS_PORT")


def free_ports(count: int) -> list[int]:
    """`count` different ports that are free now (all held open together while picked)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def moved_ports() -> dict[str, str]:
    """Every port of UP_PORTS on a free port rather than its default (which `make run` has)."""
    return dict(zip(UP_PORTS, map(str, free_ports(len(UP_PORTS))), strict=True))


def pyat_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a `pyat` a test starts: none of the runner's own PYAT_* settings or
    server URLs (so SQLite, in-process cache and bus unless given), its own data dir."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PYAT_") and key not in ("DATABASE_URL", "REDIS_URL", "NATS_URL")
    }
    return {**inherited, "PYAT_DATA_DIR": str(data_dir), "PYAT_LOG_FORMAT": "text", **settings}


async def run_pyat(
    args: list[str], env: dict[str, str], timeout_s: float = 60.0
) -> tuple[int, str, str]:
    """Runs `pyat <args>` to the end; returns its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args,
        env=env, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


class Pyat:
    """A long-running `pyat` (up, serve) with its output in files under `logs`."""

    def __init__(self, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.args = args
        self.env = env
        logs.mkdir(parents=True, exist_ok=True)
        self.out_path = logs / "pyat.out"
        self.err_path = logs / "pyat.err"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.cli", *self.args,
                env=self.env, cwd=REPO, stdout=out, stderr=err,
                # A group of its own, so a SIGKILL can reach the Envoy it started too.
                start_new_session=True,
            )  # fmt: skip

    async def wait_for(self, marker: str, timeout_s: float = START_TIMEOUT_S) -> str:
        """Waits until stdout holds `marker`; returns stdout so far."""
        assert self._process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = self.out_path.read_text(errors="replace")
            if marker in out:
                return out
            if self._process.returncode is not None:
                break
            await asyncio.sleep(0.2)
        err = self.err_path.read_text(errors="replace")[-3000:]
        raise AssertionError(
            f"pyat {' '.join(self.args)} did not print {marker!r} "
            f"(exit {self._process.returncode}):\n{err}"
        )

    async def stop(self) -> int | None:
        """SIGTERM, as Ctrl-C would; SIGKILL to it and its children if it has not ended after
        STOP_TIMEOUT_S (and then the exit code is None)."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            return None
