"""The network address a call comes from, as the edge saw it: what sign-in lockout is keyed by."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import unquote

FORWARDED_FOR = "x-forwarded-for"
# One IPv6 client (a home, a cloud VM) is usually handed a whole /64, so that is one address.
_IPV6_CLIENT_PREFIX = 64


def client_address(metadata: Iterable[tuple[str, str | bytes]], peer: str) -> str:
    """The client's address, from a call's metadata and its `context.peer()`.

    Envoy runs with use_remote_address, so it appends the peer it saw to X-Forwarded-For:
    only that rightmost entry is trusted, the ones before it are whatever the client wrote.
    A call with no X-Forwarded-For came straight to the gRPC port, and its peer
    (`ipv4:127.0.0.1:54321`, `ipv6:%5B::1%5D:54321`) is the client.
    """
    forwarded = [value for key, value in metadata if key.lower() == FORWARDED_FOR]
    if forwarded:
        last = forwarded[-1]
        text = last.decode("latin-1") if isinstance(last, bytes) else last
        address = _normalized(text.rpartition(",")[2])
        if address is not None:
            return address
    return _peer_address(peer)


def _peer_address(peer: str) -> str:
    """The host of a gRPC peer string; a non-IP peer (a unix socket) is returned whole."""
    scheme, _, rest = peer.partition(":")
    if scheme in ("ipv4", "ipv6"):
        host = unquote(rest).rpartition(":")[0].strip("[]")
        address = _normalized(host)
        if address is not None:
            return address
    return peer


def _normalized(text: str) -> str | None:
    """`text` as one canonical address (IPv4, or an IPv6 /64), or None if it is no address."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, _IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)
