"""A bare grpc.aio echo server, the baseline: no interceptors, no codec, no work.

It answers any method "/bench.Echo/Reply<n>" with n bytes, so a baseline can take the same
request (body and headers) as its scenario and send back a reply of the same size.
With --interceptors it gets the fabric's server interceptors and tracer, which shows what
they cost on their own. It prints its port on stdout's first line and runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any, TypeAlias

import grpc
import uvloop

PREFIX = "/bench.Echo/Reply"
Handler: TypeAlias = "grpc.RpcMethodHandler[bytes, bytes]"  # generic only in the type stubs


def method_for(reply_size: int) -> str:
    return f"{PREFIX}{reply_size}"


class EchoHandler(grpc.GenericRpcHandler):
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> Handler | None:
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        if not method.startswith(PREFIX):
            return None
        handler = self._handlers.get(method)
        if handler is None:
            reply = bytes(int(method[len(PREFIX) :]))

            async def answer(request: bytes, context: Any) -> bytes:
                return reply

            # No (de)serializers: the request and the reply stay bytes.
            handler = grpc.unary_unary_rpc_method_handler(answer)
            self._handlers[method] = handler
        return handler


async def serve(with_interceptors: bool) -> None:
    interceptors = []
    if with_interceptors:
        from services.shared import access
        from services.shared.admission import Gatekeeper
        from services.shared.config import Settings
        from services.shared.identity import Assertions, assertion_key
        from services.shared.interceptors import server_interceptors
        from services.shared.telemetry import setup_tracing

        settings = Settings.from_env()
        setup_tracing(settings, "bench-echo")
        # Public, so a call's assertion is verified when it carries one (what a service pays
        # per call) and a bearer token is left alone.
        gatekeeper = Gatekeeper(Assertions(assertion_key(settings)))
        interceptors = server_interceptors(gatekeeper, lambda _path: access.Rule(access.PUBLIC))
    server = grpc.aio.server(interceptors=interceptors)
    server.add_generic_rpc_handlers((EchoHandler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop(1)


if __name__ == "__main__":
    uvloop.run(serve(with_interceptors="--interceptors" in sys.argv))
    sys.exit(0)
