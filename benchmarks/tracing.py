"""Why tracing is written by hand in the server interceptor rather than taken from
opentelemetry-instrumentation-grpc: both, measured side by side on one echo method.

`python -m benchmarks.tracing` starts a grpc.aio echo server four ways (bare, with the fabric's
interceptor, with OpenTelemetry's GrpcAioInstrumentorServer, and with both chained; spans go
nowhere) in a
child process each, and calls each from this process, one call at a time, reporting the
percentiles of the round trip. Run it when either side changes; it needs the instrumentation
package, which the project does not depend on: `pip install opentelemetry-instrumentation-grpc`.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time

import grpc

METHOD = "/bench.Echo/Reply"
CALLS = 3000
WARMUP = 300


async def _serve(kind: str) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    trace.set_tracer_provider(TracerProvider())  # spans are made, then dropped
    interceptors: list[grpc.aio.ServerInterceptor] = []
    if kind in ("fabric", "otel+fabric"):
        from services.shared import access
        from services.shared.admission import Gatekeeper
        from services.shared.identity import Assertions
        from services.shared.interceptors import server_interceptors

        gatekeeper = Gatekeeper(Assertions(b"k" * 32))
        interceptors = server_interceptors(gatekeeper, lambda _p: access.Rule(access.PUBLIC))
    if kind in ("otel", "otel+fabric"):
        from opentelemetry.instrumentation.grpc import aio_server_interceptor

        # Taking otel's tracing still leaves the fabric's other work (admission, deadlines,
        # metrics, error mapping) to an interceptor of ours: "otel+fabric" is that chain.
        interceptors = [aio_server_interceptor(), *interceptors]  # type: ignore[no-untyped-call]

    async def reply(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return request

    handler = grpc.method_handlers_generic_handler(
        "bench.Echo", {"Reply": grpc.unary_unary_rpc_method_handler(reply)}
    )
    server = grpc.aio.server(interceptors=interceptors)
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    await server.wait_for_termination()


async def _measure(port: int) -> list[float]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(METHOD)
        times = []
        for index in range(WARMUP + CALLS):
            start = time.perf_counter()
            await call(b"x" * 32, timeout=5)
            if index >= WARMUP:
                times.append((time.perf_counter() - start) * 1e6)
        return times


def main() -> None:
    print(f"{CALLS} sequential unary calls per server, round trip in µs")
    for kind in ("bare", "fabric", "otel", "otel+fabric"):
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.tracing", "--serve", kind],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline())
            times = sorted(asyncio.run(_measure(port)))
        finally:
            server.terminate()
            server.wait(10)
        p50 = statistics.median(times)
        p99 = times[int(len(times) * 0.99)]
        print(f"  {kind:12} p50 {p50:7.1f}  p99 {p99:7.1f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(_serve(sys.argv[2]))
    else:
        main()
