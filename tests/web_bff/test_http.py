"""web-bff's HTTP side over real sockets: the web app's files and their headers, the SPA
fallback, paths that try to leave the folder, /openapi.json, and cookie sessions that sign up,
log in, refresh and log out through the real auth-service of the session fabric."""

from __future__ import annotations

import asyncio
import gzip
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from pyat.user.v1 import user_pb2, user_pb2_grpc

from services.shared.http_listener import port_of
from services.shared.server import Host
from services.web_bff import http as web_http
from services.web_bff.http.app import SECURITY_HEADERS
from services.web_bff.http.sessions import COOKIE, MAX_BODY_BYTES
from services.web_bff.http.static import IMMUTABLE

PASSWORD = "correct-horse-9"
JSON = {"Content-Type": "application/json"}
INDEX_MARK = "<title>Test app</title>"
SECRET = "top secret outside the folder"
APP_JS = "console.log('hello from the app');\n" * 50


def new_email() -> str:
    return f"web-{secrets.token_hex(6)}@example.com"


def assert_secure_headers(headers: Mapping[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name


def error_of(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, str] = body["error"]
    assert error["type"] and isinstance(error["message"], str), error
    return error


# --- the web app's files -----------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """A listener started like web-bff's own, on a folder of files these tests control."""

    url: str
    port: int
    root: Path
    openapi: Path


@pytest.fixture(scope="module")
async def site(fabric: Host, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    base = tmp_path_factory.mktemp("web_site")
    root = base / "static"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(f"<!doctype html><html><head>{INDEX_MARK}</head></html>")
    (root / "assets" / "app-1a2b.js").write_text(APP_JS)
    (root / "assets" / "app-1a2b.js.gz").write_bytes(gzip.compress(APP_JS.encode()))
    (root / "assets" / "style-3c4d.css").write_text("body { margin: 0 }")
    (root / "assets" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "assets" / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    (root / "assets" / "inter.woff2").write_bytes(b"wOF2" + b"\0" * 16)
    (root / "manifest.json").write_text('{"name": "PyAirtable"}')
    (root / ".env").write_text(SECRET)
    (base / "secret.txt").write_text(SECRET)
    (root / "assets" / "leak.txt").symlink_to(base / "secret.txt")
    (root / "assets" / "leak").symlink_to(base / "secret.txt")
    (root / "outside").symlink_to(base, target_is_directory=True)
    assert fabric.runtime is not None
    runner = await web_http.listen(
        fabric.runtime.clients, fabric.settings, static_root=root, openapi=base / "openapi.json"
    )
    port = port_of(runner)
    yield Site(f"http://127.0.0.1:{port}", port, root, base / "openapi.json")
    await runner.cleanup()


@pytest.fixture
async def files(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=site.url, timeout=10) as client:
        yield client


async def raw_request(port: int, method: str, target: str) -> tuple[int, str, bytes]:
    """A request whose target is sent byte for byte, `..` and all (httpx would normalise it):
    the status, the raw head and the body."""

    async def exchange() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(
                f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()
            await writer.wait_closed()

    data = await asyncio.wait_for(exchange(), timeout=10)
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode("latin-1"), body


async def test_index_is_served_with_security_headers_and_revalidated(
    files: httpx.AsyncClient,
) -> None:
    response = await files.get("/")
    assert response.status_code == 200
    assert INDEX_MARK in response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert_secure_headers(response.headers)
    named = await files.get("/index.html")
    assert named.status_code == 200 and named.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/assets/app-1a2b.js", "text/javascript; charset=utf-8"),
        ("/assets/style-3c4d.css", "text/css; charset=utf-8"),
        ("/assets/logo.svg", "image/svg+xml"),
        ("/assets/icon.png", "image/png"),
        ("/assets/inter.woff2", "font/woff2"),
    ],
)
async def test_assets_are_immutable_with_their_content_types(
    files: httpx.AsyncClient, site: Site, path: str, content_type: str
) -> None:
    response = await files.get(path, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.content == (site.root / path.lstrip("/")).read_bytes()
    assert_secure_headers(response.headers)


async def test_files_outside_assets_are_revalidated(files: httpx.AsyncClient) -> None:
    response = await files.get("/manifest.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-cache"
    assert response.json() == {"name": "PyAirtable"}


async def test_gzip_copy_is_served_only_to_clients_that_accept_it(
    files: httpx.AsyncClient,
) -> None:
    zipped = await files.get("/assets/app-1a2b.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert zipped.text == APP_JS  # httpx unzips it
    plain = await files.get("/assets/app-1a2b.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == APP_JS


async def test_head_answers_the_headers_without_a_body(site: Site) -> None:
    status, head, body = await raw_request(site.port, "HEAD", "/assets/app-1a2b.js")
    assert status == 200
    assert body == b""
    assert f"content-length: {len(APP_JS)}" in head.lower()
    assert "x-frame-options: deny" in head.lower()


@pytest.mark.parametrize(
    "path", ["/bases/app123/tables", "/app/settings", "/workspaces/", "/assets/not-a-file"]
)
async def test_app_routes_fall_back_to_index(files: httpx.AsyncClient, path: str) -> None:
    response = await files.get(path)
    assert response.status_code == 200
    assert INDEX_MARK in response.text
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/assets/missing-9z.js", "/favicon.ico", "/index.htm"])
async def test_a_missing_file_is_404_not_the_app(files: httpx.AsyncClient, path: str) -> None:
    response = await files.get(path)
    assert response.status_code == 404
    assert error_of(response)["type"] == "NOT_FOUND"
    assert_secure_headers(response.headers)


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/assets/../index.html",
        "/%2e%2e/secret.txt",
        "/assets/%2E%2E/%2e%2e/secret.txt",
        "/assets%2f..%2f..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/./index.html",
        "//etc/passwd",
        "/assets//app-1a2b.js",
        "/%2fetc%2fpasswd",
        "/assets/leak.txt",
        "/assets/leak",
        "/outside/secret.txt",
        "/outside",
        "/.env",
        "/index.html%00.js",
        "/%ff%fe",
    ],
)
async def test_paths_that_try_to_leave_the_folder_are_404(site: Site, target: str) -> None:
    status, head, body = await raw_request(site.port, "GET", target)
    assert status == 404, (target, body)
    assert SECRET.encode() not in body
    assert "x-content-type-options: nosniff" in head.lower()


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/index.html"), ("PUT", "/assets/app-1a2b.js"), ("DELETE", "/"), ("PATCH", "/x")],
)
async def test_files_can_only_be_read(files: httpx.AsyncClient, method: str, path: str) -> None:
    response = await files.request(method, path, content=b"{}")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    error_of(response)
    assert_secure_headers(response.headers)


async def test_openapi_is_the_generated_document_or_404(
    files: httpx.AsyncClient, site: Site
) -> None:
    site.openapi.unlink(missing_ok=True)
    absent = await files.get("/openapi.json")
    assert absent.status_code == 404
    error_of(absent)
    document = {"openapi": "3.0.3", "info": {"title": "PyAirtable", "version": "1"}}
    site.openapi.write_text(json.dumps(document))
    try:
        present = await files.get("/openapi.json")
        assert present.status_code == 200
        assert present.headers["content-type"] == "application/json"
        assert present.json() == document
        assert (await files.post("/openapi.json", content=b"{}")).status_code == 405
    finally:
        site.openapi.unlink()


# --- the listener web-bff starts --------------------------------------------------------


@pytest.fixture(scope="module")
def web_url(fabric: Host) -> str:
    assert fabric.runtime is not None
    return f"http://127.0.0.1:{fabric.runtime.http_ports[web_http.NAME]}"


@pytest.fixture
async def web(web_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_url, timeout=10) as client:
        yield client


async def test_web_bff_serves_the_web_app_on_its_own_port(web: httpx.AsyncClient) -> None:
    response = await web.get("/")
    assert response.status_code == 200
    assert response.content == (web_http.STATIC_ROOT / "index.html").read_bytes()
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert_secure_headers(response.headers)
    route = await web.get("/bases/app00000000000000")
    assert route.status_code == 200 and route.text == response.text


async def test_web_bff_serves_openapi_json_when_it_was_generated(web: httpx.AsyncClient) -> None:
    generated = web_http.openapi_path()
    response = await web.get("/openapi.json")
    if generated.is_file():
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == json.loads(generated.read_text())
    else:
        assert response.status_code == 404


# --- cookie sessions --------------------------------------------------------------------


@dataclass(frozen=True)
class Cookie:
    value: str
    attributes: dict[str, str]


def session_cookie(response: httpx.Response) -> Cookie:
    """The one Set-Cookie of the session cookie, with its attributes (names lower-cased)."""
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    first, *rest = [part.strip() for part in headers[0].split(";")]
    attributes = {}
    for part in rest:
        name, _, value = part.partition("=")
        attributes[name.lower()] = value
    return Cookie(first.partition("=")[2].strip('"'), attributes)


def assert_cleared(response: httpx.Response) -> None:
    cookie = session_cookie(response)
    assert cookie.value == ""
    assert cookie.attributes["max-age"] == "0"
    assert cookie.attributes["path"] == "/app/session"


async def post(
    client: httpx.AsyncClient,
    path: str,
    body: object = None,
    *,
    cookie: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """A POST as the web app sends it, with exactly the cookie given (no jar between calls)."""
    sent = dict(JSON)
    if cookie is not None:
        sent["Cookie"] = f"{COOKIE}={cookie}"
    sent.update(headers or {})
    content = b"" if body is None else json.dumps(body).encode()
    client.cookies.clear()
    try:
        return await client.post(f"/app/session/{path}", content=content, headers=sent)
    finally:
        client.cookies.clear()


async def get_me(channel: grpc.aio.Channel, token: str) -> user_pb2.User:
    users = user_pb2_grpc.UserServiceStub(channel)
    answer = await users.GetMe(
        user_pb2.GetMeRequest(), metadata=(("authorization", f"Bearer {token}"),)
    )
    user: user_pb2.User = answer.user
    return user


async def refused(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    code: grpc.StatusCode = caught.value.code()
    return code


async def sign_up(web: httpx.AsyncClient, **headers: str) -> tuple[dict[str, Any], Cookie]:
    email = new_email()
    response = await post(
        web, "signup", {"email": email, "password": PASSWORD, "name": "Grace"}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["user"]["email"] == email
    return body, session_cookie(response)


async def test_signup_keeps_the_refresh_token_in_an_httponly_strict_cookie(
    web: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    body, cookie = await sign_up(web)
    assert set(body) >= {"access_token", "expires_in", "user"}
    assert "refresh_token" not in body
    assert 0 < body["expires_in"] <= 900
    assert cookie.value
    assert "httponly" in cookie.attributes
    assert cookie.attributes["samesite"] == "Strict"
    assert cookie.attributes["path"] == "/app/session"
    assert "secure" not in cookie.attributes  # the request came over plain HTTP
    assert 29 * 24 * 3600 < int(cookie.attributes["max-age"]) <= 30 * 24 * 3600
    me = await get_me(channel, body["access_token"])
    assert me.id == body["user"]["id"] and me.email == body["user"]["email"]
    assert me.tenant_id == body["user"]["tenant_id"]


async def test_the_cookie_is_secure_when_envoy_saw_https(web: httpx.AsyncClient) -> None:
    _, cookie = await sign_up(web, **{"X-Forwarded-Proto": "https"})
    assert "secure" in cookie.attributes


async def test_login_sets_the_cookie_and_wrong_password_is_401(
    web: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    body, _ = await sign_up(web)
    email = body["user"]["email"]
    wrong = await post(web, "login", {"email": email, "password": "wrong-pass-1"})
    assert wrong.status_code == 401
    error_of(wrong)
    assert not [h for h in wrong.headers.get_list("set-cookie") if h.startswith(COOKIE)]
    login = await post(web, "login", {"email": email, "password": PASSWORD})
    assert login.status_code == 200
    assert session_cookie(login).value
    assert (await get_me(channel, login.json()["access_token"])).email == email


async def test_refresh_rotates_the_cookie_and_the_old_one_is_refused(
    web: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    body, first = await sign_up(web)
    refreshed = await post(web, "refresh", cookie=first.value)
    assert refreshed.status_code == 200, refreshed.text
    second = session_cookie(refreshed)
    assert second.value and second.value != first.value
    assert "httponly" in second.attributes and second.attributes["samesite"] == "Strict"
    token = refreshed.json()["access_token"]
    assert token != body["access_token"]
    assert (await get_me(channel, token)).id == body["user"]["id"]
    replayed = await post(web, "refresh", cookie=first.value)
    assert replayed.status_code == 401
    error_of(replayed)
    assert_cleared(replayed)


@pytest.mark.parametrize("cookie", [None, "", "not-a-refresh-token"])
async def test_refresh_without_a_valid_cookie_is_401_and_clears_it(
    web: httpx.AsyncClient, cookie: str | None
) -> None:
    response = await post(web, "refresh", cookie=cookie)
    assert response.status_code == 401
    assert error_of(response)["type"]
    assert_cleared(response)


async def test_logout_ends_the_session_and_clears_the_cookie(
    web: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    body, cookie = await sign_up(web)
    token = body["access_token"]
    response = await post(
        web, "logout", cookie=cookie.value, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 204
    assert_cleared(response)
    assert await refused(get_me(channel, token)) is grpc.StatusCode.UNAUTHENTICATED
    assert (await post(web, "refresh", cookie=cookie.value)).status_code == 401


async def test_logout_with_only_the_cookie_still_ends_the_session(
    web: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    body, cookie = await sign_up(web)
    response = await post(web, "logout", cookie=cookie.value)
    assert response.status_code == 204
    assert_cleared(response)
    assert await refused(get_me(channel, body["access_token"])) is grpc.StatusCode.UNAUTHENTICATED


async def test_logout_with_an_expired_token_ends_the_cookies_session(
    web: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    body, cookie = await sign_up(web)
    response = await post(
        web, "logout", cookie=cookie.value, headers={"Authorization": "Bearer expired-or-forged"}
    )
    assert response.status_code == 204
    assert await refused(get_me(channel, body["access_token"])) is grpc.StatusCode.UNAUTHENTICATED
    assert (await post(web, "refresh", cookie=cookie.value)).status_code == 401


async def test_logout_without_any_session_is_still_204(web: httpx.AsyncClient) -> None:
    response = await post(web, "logout", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 204
    assert_cleared(response)


async def test_each_cookie_is_its_own_users_session_in_its_own_tenant(
    web: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    ada, ada_cookie = await sign_up(web)
    bob, bob_cookie = await sign_up(web)
    assert ada["user"]["tenant_id"] != bob["user"]["tenant_id"]
    for person, cookie in ((ada, ada_cookie), (bob, bob_cookie)):
        refreshed = await post(web, "refresh", cookie=cookie.value)
        assert refreshed.json()["user"]["id"] == person["user"]["id"]
    # Ada's session reaches nobody in Bob's tenant.
    users = user_pb2_grpc.UserServiceStub(channel)
    code = await refused(
        users.GetUser(
            user_pb2.GetUserRequest(user_id=bob["user"]["id"]),
            metadata=(("authorization", f"Bearer {ada['access_token']}"),),
        )
    )
    assert code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED)


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("signup", b"{not json"),
        ("signup", b"[1, 2]"),
        ("signup", b'"just a string"'),
        ("signup", b"\xff\xfe"),
        ("signup", json.dumps({"email": 5, "password": PASSWORD}).encode()),
        ("signup", b"{}"),
        ("signup", json.dumps({"email": "not-an-email", "password": PASSWORD}).encode()),
        ("login", b"{}"),
        ("login", json.dumps({"email": "a@example.com", "password": None}).encode()),
        ("login", json.dumps({"email": ["a@example.com"], "password": "x"}).encode()),
    ],
)
async def test_bad_bodies_are_422_with_the_error_body(
    web: httpx.AsyncClient, path: str, content: bytes
) -> None:
    web.cookies.clear()
    response = await web.post(f"/app/session/{path}", content=content, headers=JSON)
    assert response.status_code == 422, response.text
    assert error_of(response)["message"]


async def test_a_taken_email_is_409(web: httpx.AsyncClient) -> None:
    body, _ = await sign_up(web)
    again = await post(
        web, "signup", {"email": body["user"]["email"], "password": PASSWORD, "name": "Twin"}
    )
    assert again.status_code == 409
    error_of(again)


async def test_repeated_wrong_passwords_lock_that_client_with_429(web: httpx.AsyncClient) -> None:
    body, _ = await sign_up(web)
    email = body["user"]["email"]
    # Envoy appends the client it saw; auth-service locks per client address.
    attacker = {"X-Forwarded-For": f"198.51.100.{secrets.randbelow(250) + 1}"}
    statuses = [
        (
            await post(web, "login", {"email": email, "password": "wrong-1"}, headers=attacker)
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [401] * 5
    locked = await post(web, "login", {"email": email, "password": PASSWORD}, headers=attacker)
    assert locked.status_code == 429
    assert error_of(locked)["message"]
    owner = {"X-Forwarded-For": "192.0.2.10"}
    assert (
        await post(web, "login", {"email": email, "password": PASSWORD}, headers=owner)
    ).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "multipart/form-data; boundary=x"},
    ],
)
async def test_cross_site_posts_are_403(web: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for path in ("login", "signup", "refresh", "logout"):
        response = await post(
            web, path, {"email": new_email(), "password": PASSWORD}, headers=headers
        )
        assert response.status_code == 403, (path, response.text)
        error_of(response)


async def test_a_post_from_the_apps_own_origin_is_accepted(
    web: httpx.AsyncClient, web_url: str
) -> None:
    _, cookie = await sign_up(web, Origin=web_url)
    response = await post(
        web,
        "refresh",
        cookie=cookie.value,
        headers={"Origin": web_url, "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 200


async def test_an_oversized_body_is_413(web: httpx.AsyncClient) -> None:
    big = {"email": new_email(), "password": PASSWORD, "name": "x" * MAX_BODY_BYTES}
    response = await post(web, "signup", big)
    assert response.status_code == 413
    error_of(response)


async def test_an_oversized_chunked_body_is_413(web: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com", "name": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}'

    web.cookies.clear()
    response = await web.post("/app/session/signup", content=chunks(), headers=JSON)
    assert response.status_code == 413
    error_of(response)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_session_routes_take_only_posts(web: httpx.AsyncClient, method: str) -> None:
    response = await web.request(method, "/app/session/login")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    error_of(response)


async def test_an_unknown_session_route_is_404(web: httpx.AsyncClient) -> None:
    response = await post(web, "become-admin", {})
    assert response.status_code == 404
    error_of(response)
