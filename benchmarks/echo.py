"""A bare grpc.aio echo server, the baseline: no interceptors, no codec, no work.

It answers any method "/bench.Echo/Reply<n>" with n bytes, so a baseline can take the same
request (body and headers) as its scenario and send back a reply of the same size.
With --interceptors it gets the fabric's server interceptors and tracer, which shows what
they cost on their own. With --http it is instead a bare HTTP/1.1 server, answering any
"/reply/<n>" with n bytes of JSON: the baseline of a REST scenario, put behind an Envoy of its
own (processes.RestEcho). It prints its port on stdout's first line and runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any, ClassVar, TypeAlias

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


def json_reply(size: int) -> bytes:
    """An HTTP/1.1 200 whose JSON body is `size` bytes long (at least 2: "{}")."""
    body = b'{"x":"' + b"x" * max(0, size - 8) + b'"}' if size >= 8 else b"{}"
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


class HttpEcho(asyncio.Protocol):
    """Keep-alive HTTP/1.1, requests without bodies (what the REST scenarios send to it)."""

    replies: ClassVar[dict[bytes, bytes]] = {}  # by path, shared by every connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
            reply = self.replies.get(path)
            if reply is None:
                size = path.removeprefix(b"/reply/")
                reply = json_reply(int(size) if size.isdigit() else 2)
                self.replies[path] = reply
            self.transport.write(reply)  # type: ignore[attr-defined]


async def serve_http() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HttpEcho, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    server.close()


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
    if "--http" in sys.argv:
        uvloop.run(serve_http())
    else:
        uvloop.run(serve(with_interceptors="--interceptors" in sys.argv))
    sys.exit(0)
