"""Which pages may open a websocket: this site's own, scheme, host and port alike.

Channels' AllowedHostsOriginValidator compares the Origin's host with ALLOWED_HOSTS and ignores
the port, so a page served by anything else on the same host (another port: a forgotten admin
tool, a dev server, a printer's web page) could open her socket with her cookies. Here the
Origin must name the host and port the browser connected to (the Host header, which the proxy
passes on with its port: stack/nginx.py forwards `$http_host`), or one of CSRF_TRUSTED_ORIGINS
exactly, for a proxy that rewrites Host.
"""

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
SOCKET_SCHEMES = {"ws": "http", "wss": "https"}

Origin = tuple[str, str, int]


def origin_of(value: str) -> Origin | None:
    """(scheme, host, port) of an origin such as `https://example.org:8443`, or None."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.username:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def host_of(value: str, scheme: str) -> tuple[str, int] | None:
    """(host, port) of a Host header that ALLOWED_HOSTS allows; its port defaults to the
    scheme's. None for a missing, malformed or unallowed Host."""
    domain, port = split_domain_port(value)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    if not port:
        return domain.strip("[]"), DEFAULT_PORTS[scheme]
    try:
        return domain.strip("[]"), int(port)
    except ValueError:
        return None


def _trusted() -> set[Origin]:
    origins = (origin_of(value) for value in settings.CSRF_TRUSTED_ORIGINS)
    return {origin for origin in origins if origin is not None}


def same_origin(origin: str | None, host: str | None, socket_scheme: str = "ws") -> bool:
    """Whether a socket whose handshake carried these Origin and Host headers comes from one
    of this site's own pages."""
    if not origin or not host:
        return False
    parsed = origin_of(origin)
    if parsed is None:
        return False
    # Behind TLS the browser used https whatever the proxy's hop to us was.
    scheme = "https" if settings.HTTPS else SOCKET_SCHEMES.get(socket_scheme, "http")
    if parsed[0] != scheme:
        return False
    here = host_of(host, scheme)
    if here is None:
        return False
    return (scheme, *here) == parsed or parsed in _trusted()


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    values = [value for key, value in headers if key.lower() == name]
    if len(values) != 1:
        return None  # none, or two that could disagree
    try:
        return values[0].decode("latin1")
    except UnicodeDecodeError:  # pragma: no cover - latin1 decodes every byte
        return None


class SameOriginValidator:
    """ASGI middleware for websockets: refuse the handshake unless `same_origin` holds."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards websockets only")
        headers = scope.get("headers", [])
        allowed = same_origin(
            _header(headers, b"origin"), _header(headers, b"host"), scope.get("scheme", "ws")
        )
        if not allowed:
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
