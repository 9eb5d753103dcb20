"""Cookie sessions under /app/session: the web app holds only the short-lived access token;
the refresh token lives in an HttpOnly cookie that scripts cannot read (the BFF pattern).

Every route is a POST of JSON from the app's own origin, which is what keeps another site from
signing a visitor in or out (CSRF): a cross-site form can't send `application/json`, and a
cross-site fetch carries its own Origin.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import grpc
from aiohttp import hdrs, web
from google.protobuf import json_format, timestamp_pb2
from pyat.auth.v1 import auth_pb2

from services.shared.identity import parse_bearer
from services.web_bff.http.errors import (
    HttpError,
    forbidden,
    from_rpc,
    invalid_request,
    unauthenticated,
)

if TYPE_CHECKING:  # the async stub type exists only in the generated .pyi
    from pyat.auth.v1.auth_pb2_grpc import AuthServiceAsyncStub as AuthStub

PREFIX = "/app/session"
COOKIE = "pyat_refresh"
MAX_BODY_BYTES = 64 * 1024
_FORWARDED_FOR = "x-forwarded-for"

# Register, Login and Refresh answer the same fields.
Issued = auth_pb2.RegisterResponse | auth_pb2.LoginResponse | auth_pb2.RefreshResponse
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Sessions:
    """The four routes, calling auth-service through `auth`."""

    def __init__(self, auth: AuthStub) -> None:
        self.auth = auth

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", f"{PREFIX}/signup", _posted_json(self.signup)),
            web.route("*", f"{PREFIX}/login", _posted_json(self.login)),
            web.route("*", f"{PREFIX}/refresh", _posted_json(self.refresh)),
            web.route("*", f"{PREFIX}/logout", _posted_json(self.logout)),
        ]

    async def signup(self, request: web.Request) -> web.StreamResponse:
        body = await _json_object(request)
        issued = await self.auth.Register(
            auth_pb2.RegisterRequest(
                email=_text(body, "email"),
                password=_text(body, "password"),
                name=_text(body, "name"),
                invitation_token=_text(body, "invitation_token"),
            ),
            metadata=_client_of(request),
        )
        return _signed_in(request, issued)

    async def login(self, request: web.Request) -> web.StreamResponse:
        body = await _json_object(request)
        issued = await self.auth.Login(
            auth_pb2.LoginRequest(email=_text(body, "email"), password=_text(body, "password")),
            metadata=_client_of(request),
        )
        return _signed_in(request, issued)

    async def refresh(self, request: web.Request) -> web.StreamResponse:
        await _json_object(request)
        token = request.cookies.get(COOKIE, "")
        if not token:
            raise _signed_out(unauthenticated("No session: sign in."), request)
        try:
            issued = await self.auth.Refresh(
                auth_pb2.RefreshRequest(refresh_token=token), metadata=_client_of(request)
            )
        except grpc.aio.AioRpcError as err:
            # A refresh token auth refused is dead for good; one it couldn't judge is not.
            if err.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.INVALID_ARGUMENT):
                raise _signed_out(
                    unauthenticated(err.details() or "Sign in again."), request
                ) from None
            raise
        return _signed_in(request, issued)

    async def logout(self, request: web.Request) -> web.StreamResponse:
        await _json_object(request)
        bearer = _bearer_of(request)
        # The tab's access token may have expired while it sat idle; the cookie still names
        # the session, so it is ended either way, not only forgotten by the browser.
        if bearer is None or not await self._end_session(bearer, request):
            from_cookie = await self._access_from_cookie(request)
            if from_cookie is not None:
                await self._end_session(from_cookie, request)
        answer = web.Response(status=204)
        _clear_cookie(answer, request)
        return answer

    async def _end_session(self, access_token: str, request: web.Request) -> bool:
        """End the session of `access_token`; False when it is no live session's."""
        try:
            await self.auth.Logout(
                auth_pb2.LogoutRequest(),
                metadata=(("authorization", f"Bearer {access_token}"), *_client_of(request)),
            )
        except grpc.aio.AioRpcError as err:
            if err.code() is grpc.StatusCode.UNAUTHENTICATED:
                return False
            raise _signed_out(from_rpc(err), request) from None
        return True

    async def _access_from_cookie(self, request: web.Request) -> str | None:
        """A fresh access token of the cookie's session, or None when it has none alive."""
        token = request.cookies.get(COOKIE, "")
        if not token:
            return None
        try:
            issued = await self.auth.Refresh(
                auth_pb2.RefreshRequest(refresh_token=token), metadata=_client_of(request)
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise _signed_out(from_rpc(err), request) from None
        return issued.access_token


def _posted_json(handler: Handler) -> Handler:
    """Only a POST of JSON from the app's own origin reaches `handler`."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if request.method != hdrs.METH_POST:
            raise web.HTTPMethodNotAllowed(request.method, [hdrs.METH_POST])
        _refuse_cross_site(request)
        if request.content_type != "application/json":
            raise forbidden("Send the body as Content-Type: application/json.")
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, request.content_length or 0)
        answer = await handler(request)
        # Tokens must never sit in a shared or browser cache.
        answer.headers[hdrs.CACHE_CONTROL] = "no-store"
        return answer

    return guarded


def _refuse_cross_site(request: web.Request) -> None:
    """An Origin, when sent, must be the host the request was made to."""
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise forbidden("Cross-site requests are not allowed.")
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        return
    # The host, not the scheme: TLS may end before Envoy, which then sees plain HTTP.
    parts = urlsplit(origin)
    host = request.headers.get(hdrs.HOST, "")
    if parts.scheme not in ("http", "https") or not host or _host_of(parts) != _normal(host):
        raise forbidden("Cross-origin requests are not allowed.")


def _host_of(parts: Any) -> str:
    netloc = str(parts.netloc).lower()
    default = {"http": ":80", "https": ":443"}[parts.scheme]
    return netloc.removesuffix(default)


def _normal(host: str) -> str:
    host = host.strip().lower()
    for default in (":80", ":443"):
        host = host.removesuffix(default)
    return host


async def _json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is an empty object."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid_request("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid_request("The body must be a JSON object.")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid_request(f"{name} must be a string.")
    return value


def _bearer_of(request: web.Request) -> str | None:
    authorization = request.headers.get(hdrs.AUTHORIZATION)
    return parse_bearer(authorization) if authorization else None


def _client_of(request: web.Request) -> tuple[tuple[str, str], ...]:
    """Who is signing in, as Envoy saw them, so auth's lockout is per client, not per BFF."""
    forwarded = request.headers.get(_FORWARDED_FOR) or request.remote or ""
    return ((_FORWARDED_FOR, forwarded),) if forwarded else ()


def _is_https(request: web.Request) -> bool:
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return proto == "https" or request.secure


def _seconds_until(at: timestamp_pb2.Timestamp) -> int:
    return max(0, int((at.ToDatetime(dt.UTC) - dt.datetime.now(dt.UTC)).total_seconds()))


def _signed_in(request: web.Request, issued: Issued) -> web.Response:
    answer = web.json_response(
        {
            "access_token": issued.access_token,
            "token_type": issued.token_type or "Bearer",
            "expires_in": _seconds_until(issued.access_token_expires_at),
            "user": json_format.MessageToDict(
                issued.user,
                preserving_proto_field_name=True,
                always_print_fields_with_no_presence=True,
            ),
        }
    )
    answer.set_cookie(
        COOKIE,
        issued.refresh_token,
        max_age=_seconds_until(issued.refresh_token_expires_at),
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=_is_https(request),
    )
    return answer


def _clear_cookie(answer: web.StreamResponse, request: web.Request) -> None:
    _expire_cookie(answer, secure=_is_https(request))


def _expire_cookie(answer: web.StreamResponse, *, secure: bool) -> None:
    # With the attributes it was set with, so the browser matches and drops it.
    answer.del_cookie(COOKIE, path=PREFIX, httponly=True, samesite="Strict", secure=secure)


def _signed_out(error: HttpError, request: web.Request) -> _ClearingError:
    return _ClearingError(error, _is_https(request))


class _ClearingError(HttpError):
    """An error answer that also clears the session cookie."""

    def __init__(self, error: HttpError, secure: bool) -> None:
        super().__init__(error.status, error.error_type, error.message, headers=error.headers)
        self.secure = secure

    def response(self) -> web.Response:
        answer = super().response()
        _expire_cookie(answer, secure=self.secure)
        return answer
