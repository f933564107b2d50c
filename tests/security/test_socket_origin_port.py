"""A page on another port of the same host opens her socket with her cookies.

Channels' AllowedHostsOriginValidator compares only the Origin's host with ALLOWED_HOSTS, so a
page served from `http://127.0.0.1:9999` (anything else running on the machine) could open
`ws://127.0.0.1:8000/ws/diary/` and hear every entry event. The check now compares the Origin's
scheme, host and port with the Host header the browser sent (nginx passes it on with its port).
"""

from typing import Any

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connections

from diary.safety.session_store import SessionStore
from diary.web.origins import same_origin
from project.asgi import application
from tests.factories import OwnerFactory

pytestmark = pytest.mark.django_db(transaction=True)

DENIED = 1000  # the handshake is turned down before any consumer runs


@pytest_asyncio.fixture(autouse=True)
async def _close_connections_after() -> Any:
    yield
    await database_sync_to_async(connections.close_all)()


@database_sync_to_async
def signed_in_cookie() -> bytes:
    owner = OwnerFactory()
    session = SessionStore()
    session[SESSION_KEY] = str(owner.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


async def connect(*headers: tuple[bytes, bytes]) -> tuple[bool, Any]:
    socket = WebsocketCommunicator(
        application, "/ws/diary/", headers=[*headers, (b"cookie", await signed_in_cookie())]
    )
    try:
        return await socket.connect()
    finally:
        await socket.disconnect()


@pytest.mark.asyncio
async def test_her_own_page_on_the_same_host_and_port_connects():
    connected, _ = await connect(
        (b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")
    )
    assert connected


@pytest.mark.asyncio
async def test_a_page_on_another_port_of_the_same_host_is_refused():
    connected, code = await connect(
        (b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:9999")
    )
    assert (connected, code) == (False, DENIED)


@pytest.mark.asyncio
async def test_a_page_on_the_default_port_is_not_the_site_on_another():
    connected, code = await connect(
        (b"host", b"testserver:8000"), (b"origin", b"http://testserver")
    )
    assert (connected, code) == (False, DENIED)


@pytest.mark.asyncio
async def test_another_scheme_on_the_same_host_is_refused():
    # https://testserver is port 443; the socket came in plainly, on port 80.
    connected, code = await connect((b"host", b"testserver"), (b"origin", b"https://testserver"))
    assert (connected, code) == (False, DENIED)


@pytest.mark.asyncio
async def test_no_host_header_or_no_origin_is_refused():
    assert await connect((b"origin", b"http://testserver")) == (False, DENIED)
    assert await connect((b"host", b"testserver")) == (False, DENIED)
    # Two Origin headers that disagree are not settled by picking one.
    assert await connect(
        (b"host", b"testserver"),
        (b"origin", b"http://testserver"),
        (b"origin", b"http://testserver:9999"),
    ) == (False, DENIED)


@pytest.mark.asyncio
async def test_a_host_outside_allowed_hosts_is_refused_even_when_the_origin_agrees():
    connected, code = await connect((b"host", b"evil.example"), (b"origin", b"http://evil.example"))
    assert (connected, code) == (False, DENIED)


def test_behind_a_proxy_the_port_it_passes_on_is_compared(settings):
    # stack/nginx.py forwards `Host $http_host`: the host and the port the browser used.
    assert same_origin("http://127.0.0.1:8104", "127.0.0.1:8104")
    assert not same_origin("http://127.0.0.1:8105", "127.0.0.1:8104")
    # Behind TLS the browser's origin is https on 443, whatever the proxy's hop was.
    settings.HTTPS = True
    settings.ALLOWED_HOSTS = ["diary.example.org"]
    assert same_origin("https://diary.example.org", "diary.example.org")
    assert not same_origin("http://diary.example.org", "diary.example.org")
    assert not same_origin("https://diary.example.org:8443", "diary.example.org")


def test_a_proxy_that_rewrites_host_is_matched_by_its_trusted_origin(settings):
    settings.ALLOWED_HOSTS = ["app"]
    settings.HTTPS = True
    settings.CSRF_TRUSTED_ORIGINS = ["https://diary.example.org"]
    assert same_origin("https://diary.example.org", "app:8000")
    assert not same_origin("https://diary.example.org:444", "app:8000")
    assert not same_origin("https://other.example.org", "app:8000")
