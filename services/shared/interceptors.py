"""The interceptors every server and every client channel gets, in one place.

Server side, outermost first: tracing (OpenTelemetry), observation (metrics and the access
log), deadline capture, and error mapping (domain errors to gRPC status codes). Client side:
tracing, and propagation of the caller's deadline and identity to the next service.
"""

from __future__ import annotations

import inspect
import logging
import time
from abc import abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import Message
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor

from services.shared import identity
from services.shared.errors import DomainError, InvalidArgument
from services.shared.telemetry import RPC_ERRORS, RPC_HANDLED, RPC_LATENCY

log = logging.getLogger("pyat.rpc")

# When the call being served must end (time.monotonic()), so calls it makes end no later.
_deadline: ContextVar[float | None] = ContextVar("pyat_deadline", default=None)

Behavior = Callable[..., Any]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # generic only in the type stubs


def _split(method: str) -> tuple[str, str]:
    """ "/pyat.auth.v1.AuthService/Login" -> ("pyat.auth.v1.AuthService", "Login")."""
    _, service, name = method.split("/", 2)
    return service, name


class _AroundInterceptor(grpc.aio.ServerInterceptor):
    """Runs `around()` around every call's behavior, whatever the call's shape."""

    @abstractmethod
    def around(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AbstractAsyncContextManager[None]:
        """What this interceptor does around one call."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None:
            return None
        method: str = details.method  # type: ignore[attr-defined]
        kinds = (
            ("unary_unary", grpc.unary_unary_rpc_method_handler),
            ("unary_stream", grpc.unary_stream_rpc_method_handler),
            ("stream_unary", grpc.stream_unary_rpc_method_handler),
            ("stream_stream", grpc.stream_stream_rpc_method_handler),
        )
        for kind, make in kinds:
            behavior = getattr(handler, kind)
            if behavior is not None:
                return make(  # type: ignore[no-any-return]
                    self._wrap(method, behavior),
                    request_deserializer=handler.request_deserializer,
                    response_serializer=handler.response_serializer,
                )
        return handler

    def _wrap(self, method: str, behavior: Behavior) -> Behavior:
        if inspect.isasyncgenfunction(behavior):

            async def streamed(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                async with self.around(method, context):
                    async for item in behavior(request, context):
                        yield item

            return streamed

        async def awaited(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            async with self.around(method, context):
                return await behavior(request, context)

        return awaited


class ObservingInterceptor(_AroundInterceptor):
    """Latency histogram, outcome counters and one log line per call."""

    @asynccontextmanager
    async def around(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        service, name = _split(method)
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            failure = exc
            raise
        finally:
            elapsed = time.perf_counter() - started
            code = context.code()
            if code is None:
                code = grpc.StatusCode.OK if failure is None else grpc.StatusCode.UNKNOWN
            code_name = code.name
            RPC_LATENCY.labels(service, name).observe(elapsed)
            RPC_HANDLED.labels(service, name, code_name).inc()
            if code is not grpc.StatusCode.OK:
                RPC_ERRORS.labels(service, name, code_name).inc()
            level = logging.DEBUG if code is grpc.StatusCode.OK else logging.INFO
            if log.isEnabledFor(level):
                log.log(
                    level,
                    "rpc",
                    extra={"method": method, "code": code_name, "ms": round(elapsed * 1e3, 3)},
                )


class DeadlineInterceptor(_AroundInterceptor):
    """Remember the caller's deadline so calls made while serving inherit it."""

    @asynccontextmanager
    async def around(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        remaining = context.time_remaining()
        token = _deadline.set(None if remaining is None else time.monotonic() + remaining)
        try:
            yield
        finally:
            _deadline.reset(token)


class ErrorMappingInterceptor(_AroundInterceptor):
    """Domain errors become their status with details; anything else becomes a bare INTERNAL."""

    @asynccontextmanager
    async def around(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        try:
            yield
        except DomainError as err:
            await context.abort_with_status(rpc_status.to_status(err.to_status()))
        except (grpc.aio.AbortError, grpc.aio.AioRpcError):
            raise
        except Exception:
            log.exception("unhandled error", extra={"method": method})
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")


def nul_field(message: Message, prefix: str = "") -> str | None:
    """The path of the first string field holding a NUL character, which no database stores."""
    for field, value in message.ListFields():
        path = prefix + field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            values = list(value.values())
        else:
            values = list(value) if field.is_repeated else [value]
        for item in values:
            if isinstance(item, str) and "\x00" in item:
                return path
            if isinstance(item, Message):
                found = nul_field(item, path + ".")
                if found:
                    return found
    return None


class RequestGuardInterceptor(grpc.aio.ServerInterceptor):
    """Refuse NUL characters in any string of a request, for every service at once: PostgreSQL
    can't store them, and no name, email or id legitimately holds one."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        behavior = handler.unary_unary

        async def guarded(request: Any, context: Any) -> Any:
            if isinstance(request, Message) and (field := nul_field(request)):
                raise InvalidArgument(
                    f"{field} must not contain NUL characters",
                    fields={field: "must not contain NUL characters"},
                )
            return await behavior(request, context)

        return grpc.unary_unary_rpc_method_handler(  # type: ignore[no-any-return]
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def server_interceptors() -> list[grpc.aio.ServerInterceptor]:
    return [
        aio_server_interceptor(),  # type: ignore[no-untyped-call]
        ObservingInterceptor(),
        DeadlineInterceptor(),
        ErrorMappingInterceptor(),
        RequestGuardInterceptor(),
    ]


class PropagatingInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
    grpc.aio.StreamUnaryClientInterceptor,
    grpc.aio.StreamStreamClientInterceptor,
):
    """Every outgoing call gets a deadline and carries the identity of the call being served."""

    def __init__(self, default_timeout_s: float) -> None:
        self.default_timeout_s = default_timeout_s

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        timeout = details.timeout if details.timeout is not None else self.default_timeout_s
        deadline = _deadline.get()
        if deadline is not None:
            timeout = min(timeout, max(deadline - time.monotonic(), 0.0))
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        caller = identity.current_caller()
        if caller is not None:
            for key, value in caller.headers():
                metadata[key] = value
        return grpc.aio.ClientCallDetails(
            details.method, timeout, metadata, details.credentials, details.wait_for_ready
        )

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)

    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)

    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


def client_interceptors(default_timeout_s: float) -> list[grpc.aio.ClientInterceptor]:
    tracing: list[grpc.aio.ClientInterceptor] = aio_client_interceptors()  # type: ignore[no-untyped-call]
    return [*tracing, PropagatingInterceptor(default_timeout_s)]
