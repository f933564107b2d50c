"""Two real ASGI server processes sharing Redis and PostgreSQL: the owner's socket on one hears
a witness's send through the other. Skips, saying why, without both servers configured."""

import json
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from websockets.sync.client import connect

from tests.factories import OwnerFactory
from tests.servers import free_port, server_process, uvicorn_command
from tests.test_live import session_cookie
from witnesses.services.links import device_open, witness_invite

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="set REDIS_URL to a Redis server to run this"
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="set DATABASE_URL to PostgreSQL: two processes cannot share the test SQLite",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


@contextmanager
def asgi_server() -> Iterator[int]:
    port = free_port()
    database = connection.settings_dict
    env = {
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
    }
    with server_process(uvicorn_command(port), port, env):
        yield port


def test_an_event_crosses_processes_through_redis():
    owner = OwnerFactory()
    _, token = witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")
    _, witness_key = device_open(token=token, user_agent="test")
    owner_cookie = session_cookie(owner).decode()
    with (
        asgi_server() as owner_port,
        asgi_server() as witness_port,
        connect(
            f"ws://127.0.0.1:{owner_port}/ws/diary/",
            additional_headers={"Cookie": owner_cookie, "Origin": f"http://127.0.0.1:{owner_port}"},
        ) as owner_socket,
    ):
        csrf = _get_new_csrf_string()
        request = urllib.request.Request(
            f"http://127.0.0.1:{witness_port}/api/witness/submissions/",
            data=json.dumps({"kind": "saw", "what_happened": "Across two processes"}).encode(),
            headers={
                "Content-Type": "application/json",
                "Cookie": f"{settings.WITNESS_COOKIE_NAME}={witness_key}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            assert response.status == 201
        event = json.loads(owner_socket.recv(timeout=10))
    assert event["event"] == "inbox"
    assert event["count"] == 1
    assert "Across two processes" in event["html"]
    connection.close()
