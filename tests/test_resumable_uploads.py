"""A large file sent in pieces to a real server (uvicorn, its own SQLite and MEDIA_ROOT) over
tus, cut off twice — once the connection dropped half-way through a piece, once the server
killed outright — completes from where it stopped, and what is kept hashes as the original."""

import hashlib
import json
import os
import signal
import socket
import sqlite3

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string

from tests.servers import free_port, manage, server_process, uvicorn_command
from tests.tus_client import PIECE, TusClient, checksum

SIZE = 200 * 1024 * 1024

SETUP = """
import json
from django.test import Client
from diary.models import User
from diary.records.services import diary_create
from tests.factories import make_entry
owner = User.objects.create_user(email="big@example.com", password=None)
diary_create(owner=owner)
entry = make_entry(owner)
client = Client()
client.force_login(owner)
print(json.dumps({"session": client.cookies["sessionid"].value, "entry": entry.pk}))
"""

KEPT = """
import json
from diary.core import filestore
from diary.models import Evidence, UploadFinish
evidence = Evidence.objects.get()
finish = UploadFinish.objects.get()
print(json.dumps({
    "sha256": evidence.sha256,
    "size": evidence.size,
    "stored": filestore.sha256_of(evidence.original.name, evidence.original_key),
    "entry": evidence.entry_id,
    "pieces": len(finish.pieces),
    "finish": finish.sha256,
}))
"""


def big_video(path):
    """A 200 MB MP4 as a sniffer knows one (an ftyp box, then an mdat of random bytes)."""
    digest = hashlib.sha256()
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    with open(path, "wb") as out:
        head = ftyp + (SIZE - len(ftyp)).to_bytes(4, "big") + b"mdat"
        out.write(head)
        digest.update(head)
        left = SIZE - len(head)
        while left:
            block = os.urandom(min(left, 4 * 1024 * 1024))
            out.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def half_a_patch(port, client, path, offset, data):
    """A PATCH whose connection drops half-way through its body."""
    head = "".join(
        f"{name}: {value}\r\n"
        for name, value in {
            **client.headers,
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(len(data)),
            "Upload-Offset": str(offset),
            "Upload-Checksum": checksum(data),
        }.items()
    )
    raw = socket.create_connection(("127.0.0.1", port))
    raw.sendall(f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
    raw.sendall(data[: len(data) // 2])
    return raw


@pytest.mark.slow
def test_a_200_mb_upload_cut_off_twice_completes_and_hashes_as_the_original(tmp_path):
    db = tmp_path / "db.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{db}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "REDIS_URL": "",
        "EVIDENCE_MAX_BYTES": str(256 * 1024 * 1024),
    }
    manage("migrate", "--noinput", env=env)
    made = json.loads(manage("shell", "-c", SETUP, env=env).stdout.strip().splitlines()[-1])
    source = tmp_path / "big.mp4"
    original = big_video(source)
    csrf = _get_new_csrf_string()
    headers = {
        "Cookie": f"sessionid={made['session']}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
    }

    port = free_port()
    client = TusClient("127.0.0.1", port, headers)
    with server_process(uvicorn_command(port), port, env) as server, open(source, "rb") as file:
        path = client.create(
            "/diary/uploads/", SIZE, filename="big.mp4", entry=str(made["entry"]), sha256=original
        )
        # Three pieces go, then the connection drops half-way through the fourth.
        for number in range(3):
            file.seek(number * PIECE)
            assert client.patch(path, number * PIECE, file.read(PIECE)).status == 204
        file.seek(3 * PIECE)
        dropped = half_a_patch(port, client, path, 3 * PIECE, file.read(PIECE))
        dropped.close()
        assert client.offset(path) == 3 * PIECE  # the half piece is not kept
        # Five more, then the server is killed outright half-way through the next.
        for number in range(3, 8):
            file.seek(number * PIECE)
            assert client.patch(path, number * PIECE, file.read(PIECE)).status == 204
        file.seek(8 * PIECE)
        killed = half_a_patch(port, client, path, 8 * PIECE, file.read(PIECE))
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=20)
        killed.close()

    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM diary_evidence").fetchone()[0] == 0
    port = free_port()
    client = TusClient("127.0.0.1", port, headers)
    with server_process(uvicorn_command(port), port, env), open(source, "rb") as file:
        assert client.offset(path) == 8 * PIECE  # everything acknowledged survived the kill
        last = client.resume(path, file, SIZE)
        assert last.headers["Upload-Kept-At"] == f"/diary/entries/{made['entry']}/"

    kept = json.loads(manage("shell", "-c", KEPT, env=env).stdout.strip().splitlines()[-1])
    assert kept["sha256"] == kept["stored"] == kept["finish"] == original
    assert kept["size"] == SIZE
    assert kept["entry"] == made["entry"]
    assert kept["pieces"] == -(-SIZE // PIECE)
    manage("verify_ledger", env=env)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM diary_uploadpiece").fetchone()[0] == 0
