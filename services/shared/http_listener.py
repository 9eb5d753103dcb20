"""An aiohttp app served beside a process's gRPC services (the /v0 front, the web app)."""

from __future__ import annotations

from aiohttp import web

from services.shared.runtime import Runtime


async def serve(
    app: web.Application, host: str, port: int, shutdown_grace_s: float
) -> web.AppRunner:
    """Serve `app` on host:port (0: any free port) until the runner's `cleanup()`."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_grace_s)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


def port_of(runner: web.AppRunner) -> int:
    """The port it listens on (the one the OS chose, when asked for port 0)."""
    port: int = runner.addresses[0][1]
    return port


def beside(runtime: Runtime, name: str, runner: web.AppRunner) -> None:
    """Note the listener's port as `name` in the runtime, and stop it when the process stops
    taking calls."""
    runtime.http_ports[name] = port_of(runner)
    runtime.on_stop_listening(runner.cleanup)
