"""Who is on the other end of a request: the address and the kind of browser."""

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings

from diary.core.browsers import browser_family


def client_ip(request: Any) -> str | None:
    """The address a request came from. Behind TRUSTED_PROXY_COUNT proxies that each append to
    X-Forwarded-For, the client is that many entries from the right; anything further left
    was written by the client itself and is not believed."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    address = meta.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def browser_of(request: Any) -> str:
    if request is None:
        return ""
    return browser_family(getattr(request, "META", {}).get("HTTP_USER_AGENT", ""))


# The request being answered, so that a service deep below a page (a contact invited, an entry
# withdrawn) can say in the access log which session, browser and address did it without every
# caller handing the request down. Set by diary.web.middleware.ActingRequestMiddleware.
_acting: ContextVar[Any] = ContextVar("acting_request", default=None)


def acting_request() -> Any:
    return _acting.get()


@contextmanager
def acting(request: Any) -> Iterator[None]:
    token = _acting.set(request)
    try:
        yield
    finally:
        _acting.reset(token)
