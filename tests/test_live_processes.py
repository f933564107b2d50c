"""Two real ASGI server processes sharing Redis and PostgreSQL: the owner's socket on one hears
a witness's send through the other. Skips, saying why, without both servers configured."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from websockets.sync.client import connect

from tests.factories import OwnerFactory
from tests.test_live import session_cookie
from witnesses import services

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="set REDIS_URL to a Redis server to run this"
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="set DATABASE_URL to PostgreSQL: two processes cannot share the test SQLite",
    ),
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited: {process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)  # readiness poll for a child process, not a timing assertion
    raise RuntimeError(f"server on {port} did not start")


@contextmanager
def asgi_server() -> Iterator[int]:
    port = free_port()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "project.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_listening(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_an_event_crosses_processes_through_redis():
    owner = OwnerFactory()
    _, token = services.witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    _, witness_key = services.device_open(token=token, user_agent="test")
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
