"""The processes of a run, each started as a user would start it, and what /proc says of them.

The servers under test are `pyat up` (every service and Envoy) and `pyat serve <name>`; the
baseline is the echo server; the load generator is a process of its own, fed jobs on stdin.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

from benchmarks.loadgen import Job

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Memory:
    rss_mb: float  # now (VmRSS)
    peak_mb: float  # the most it has held since it started (VmHWM)


def memory_of(pid: int) -> Memory:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024  # kB to MB (MiB)
    return Memory(rss_mb=round(fields["VmRSS"], 1), peak_mb=round(fields["VmHWM"], 1))


def cpu_seconds_of(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the command name, which is in parentheses and may hold spaces.
    rest = stat[stat.rindex(")") + 2 :].split()
    return (int(rest[11]) + int(rest[12])) / _CLOCK_TICKS


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended while we looked
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class Watched:
    """A process whose memory and CPU time we read from /proc."""

    def __init__(self, name: str, pid: int) -> None:
        self.name = name
        self.pid = pid

    def memory(self) -> Memory:
        return memory_of(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds_of(self.pid)


class Process(Watched):
    """A child process whose stdout and stderr go to files in `logs`. It is started at once;
    `wait_ready()` waits for `ready_marker` on its stdout, so several can start side by side."""

    ready_marker = "\n"

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], logs: Path) -> None:
        self.stdout_path = logs / f"{name.replace(' ', '-')}.out.log"
        self.stderr_path = logs / f"{name.replace(' ', '-')}.err.log"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.popen = subprocess.Popen(argv, env=dict(env), stdout=out, stderr=err, cwd=REPO)
        super().__init__(name, self.popen.pid)

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """Wait until stdout holds the ready marker; return stdout so far."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = self.stdout_path.read_text(errors="replace")
            if self.ready_marker in out:
                return out
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        tail = self.stderr_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.name} did not start (exit {self.popen.poll()}):\n{tail}")

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM), as Ctrl-C would; `stop()` then waits for it."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        self.terminate()
        if self.popen.poll() is None:
            try:
                self.popen.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def stop_all(processes: list[Process]) -> None:
    """Stop them side by side: each shuts down gracefully, which takes a moment."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop()


class PyatServer(Process):
    """`pyat up` or `pyat serve <names>` on free ports, with metrics off."""

    def __init__(
        self, name: str, command: list[str], env: Mapping[str, str], data_dir: Path, logs: Path
    ) -> None:
        grpc_port, edge_port = free_port(), free_port()
        self.grpc_address = f"127.0.0.1:{grpc_port}"
        self.edge_address = f"127.0.0.1:{edge_port}" if command[0] == "up" else None
        env = {
            **env,
            "PYAT_GRPC_PORT": str(grpc_port),
            "PYAT_EDGE_PORT": str(edge_port),
            "PYAT_ENVOY_ADMIN_PORT": str(free_port()),
            "PYAT_METRICS_PORT": "0",
            "PYAT_AIRTABLE_HTTP_PORT": "0",
            "PYAT_DATA_DIR": str(data_dir),
        }
        self.ready_marker = "PyAirtable is up." if command[0] == "up" else "serving "
        super().__init__(name, [sys.executable, "-m", "services.cli", *command], env, logs)

    def envoy(self) -> Watched | None:
        """The Envoy that `pyat up` started, its only child."""
        pid = next(iter(children_of(self.pid)), None)
        return None if pid is None else Watched("envoy", pid)


class EchoServer(Process):
    def __init__(self, logs: Path, *, interceptors: bool = False) -> None:
        argv = [sys.executable, "-m", "benchmarks.echo"]
        name = "echo + fabric interceptors" if interceptors else "echo"
        argv += ["--interceptors"] if interceptors else []
        super().__init__(name, argv, os.environ, logs)
        self.address = ""

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> str:
        out = super().wait_ready(timeout_s)
        self.address = f"127.0.0.1:{out.split()[0]}"  # the echo prints its port first
        return out


class LoadGenerator:
    """The generator process; `run(job)` hands it a job and waits for the result."""

    def __init__(self, logs: Path) -> None:
        self.stderr_path = logs / "loadgen.err.log"
        self._stderr: IO[bytes] = self.stderr_path.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.loadgen"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=REPO,
        )

    def run(self, job: Job) -> dict[str, Any]:
        assert self.popen.stdin is not None and self.popen.stdout is not None
        # Not asdict: its deep copy of tens of thousands of calls would cost a second a job.
        message = {field.name: getattr(job, field.name) for field in fields(job)}
        self.popen.stdin.write(json.dumps(message) + "\n")
        self.popen.stdin.flush()
        line = self.popen.stdout.readline()
        if not line:
            tail = self.stderr_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the load generator died (exit {self.popen.wait()}):\n{tail}")
        result: dict[str, Any] = json.loads(line)
        return result

    def stop(self) -> None:
        if self.popen.stdin is not None:
            self.popen.stdin.close()
        try:
            self.popen.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self._stderr.close()


class RestEcho(Process):
    """REST → Envoy → bare echo: the HTTP echo (`echo.py --http`) behind an Envoy of its own,
    started as `pyat up` starts its Envoy. What a REST scenario costs beyond this is the edge's
    work (the transcoder, ext_authz) and the service's."""

    def __init__(self, logs: Path) -> None:
        self.echo = Process(
            "rest echo", [sys.executable, "-m", "benchmarks.echo", "--http"], os.environ, logs
        )
        echo_port = int(self.echo.wait_ready().split()[0])
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        config = logs / "rest-echo-envoy.json"
        config.write_text(json.dumps(_rest_echo_envoy(self.port, echo_port, free_port())))
        # Imported here: the edge's module pulls in the services' settings.
        from services.edge.process import envoy_binary

        argv = [envoy_binary(), "-c", str(config), "--disable-hot-restart", "--log-level", "warn"]
        super().__init__("envoy for rest echo", argv, os.environ, logs)

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """Once the listener proxies a request to the echo."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.popen.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"GET /reply/2 HTTP/1.1\r\nHost: echo\r\n\r\n")
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return ""
            except OSError:
                pass
            time.sleep(0.1)
        tail = self.stderr_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.name} did not start (exit {self.popen.poll()}):\n{tail}")

    def stop(self) -> None:
        super().stop()
        self.echo.stop()


def _rest_echo_envoy(port: int, echo_port: int, admin_port: int) -> dict[str, Any]:
    ext = "type.googleapis.com/envoy.extensions"

    def address(at: int) -> dict[str, Any]:
        return {"socket_address": {"address": "127.0.0.1", "port_value": at}}

    return {
        "admin": {"address": address(admin_port)},
        "static_resources": {
            "listeners": [
                {
                    "name": "rest",
                    "address": address(port),
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": {
                                        "@type": f"{ext}.filters.network.http_connection_manager"
                                        ".v3.HttpConnectionManager",
                                        "stat_prefix": "rest_echo",
                                        "route_config": {
                                            "virtual_hosts": [
                                                {
                                                    "name": "echo",
                                                    "domains": ["*"],
                                                    "routes": [
                                                        {
                                                            "match": {"prefix": "/"},
                                                            "route": {"cluster": "echo"},
                                                        }
                                                    ],
                                                }
                                            ]
                                        },
                                        "http_filters": [
                                            {
                                                "name": "envoy.filters.http.router",
                                                "typed_config": {
                                                    "@type": f"{ext}.filters.http.router.v3.Router"
                                                },
                                            }
                                        ],
                                    },
                                }
                            ]
                        }
                    ],
                }
            ],
            "clusters": [
                {
                    "name": "echo",
                    "type": "STATIC",
                    "connect_timeout": "2s",
                    "load_assignment": {
                        "cluster_name": "echo",
                        "endpoints": [
                            {"lb_endpoints": [{"endpoint": {"address": address(echo_port)}}]}
                        ],
                    },
                }
            ],
        },
    }
