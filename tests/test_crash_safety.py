"""Crash safety: files reach the disk before their rows commit; an upload cut off, or a server
killed mid-upload, leaves no record and nothing shown as evidence; sweep_orphans clears what
a crash left behind and never touches a file a row names."""

import io
import json
import signal
import socket
import sqlite3
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.middleware.csrf import _get_new_csrf_string
from django.utils import timezone
from PIL import Image

from diary.core import filestore
from diary.evidence.services import evidence_attach
from diary.models import Evidence
from tests.factories import jpeg_bytes, make_entry, upload
from tests.servers import free_port, manage, server_process, uvicorn_command

# Flushing before committing


@pytest.mark.django_db
def test_the_original_and_preview_are_on_disk_before_the_row_exists(owner, monkeypatch):
    seen = []
    flush = filestore.make_durable

    def watching(storage, name):
        flush(storage, name)
        seen.append((name, storage.exists(name), Evidence.objects.count()))

    monkeypatch.setattr(filestore, "make_durable", watching)
    kept = evidence_attach(entry=make_entry(owner), actor=owner, upload=upload())

    assert [name for name, _, _ in seen] == [kept.original.name, kept.preview.name]
    assert all(exists and rows == 0 for _, exists, rows in seen)


@pytest.mark.django_db
def test_a_file_that_cannot_be_flushed_is_not_kept(owner, monkeypatch, settings):
    def failing(storage, name):
        raise OSError("disk full")

    monkeypatch.setattr(filestore, "make_durable", failing)
    with pytest.raises(OSError):
        evidence_attach(entry=make_entry(owner), actor=owner, upload=upload())
    assert not Evidence.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


# sweep_orphans, in this process


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())


@pytest.fixture
def kept_and_orphan(owner, settings):
    kept = evidence_attach(entry=make_entry(owner), actor=owner, upload=upload())
    orphan = Path(settings.MEDIA_ROOT) / "evidence" / str(owner.diary.pk) / "left-by-a-crash.jpg"
    orphan.write_bytes(jpeg_bytes())
    return kept, orphan


def sweep(*args):
    out = io.StringIO()
    call_command("sweep_orphans", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_sweep_leaves_a_fresh_orphan_alone(kept_and_orphan):
    _, orphan = kept_and_orphan
    assert "Removed 0 unreferenced files." in sweep()
    assert orphan.exists()


@pytest.mark.django_db
def test_sweep_removes_an_hour_old_orphan_and_nothing_referenced(kept_and_orphan, settings):
    kept, orphan = kept_and_orphan
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        dry = sweep("--dry-run")
        assert orphan.exists()
        real = sweep()
    name = orphan.relative_to(settings.MEDIA_ROOT).as_posix()
    assert f"Would remove {name}" in dry
    assert "Would remove 1 unreferenced file." in dry
    assert f"Removed {name}" in real
    assert "Removed 1 unreferenced file." in real
    assert not orphan.exists()
    assert files_under(settings.MEDIA_ROOT) == sorted([kept.original.name, kept.preview.name])
    call_command("verify_ledger", stdout=io.StringIO())


@pytest.mark.django_db
def test_sweep_older_than_can_be_given(kept_and_orphan):
    _, orphan = kept_and_orphan
    assert "Removed 1 unreferenced file." in sweep("--older-than", "0")
    assert not orphan.exists()


# A real server, killed


SETUP = """
import json
from diary.models import User
from diary.records.services import diary_create
from witnesses.services.links import device_open, witness_invite
owner = User.objects.create_user(email="crash@example.com", password=None)
diary_create(owner=owner)
_, token = witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")
_, key = device_open(token=token, user_agent="crash test")
print(json.dumps({"key": key}))
"""


def multipart(fields, files):
    boundary = "----sightline-crash-test"
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    for name, (filename, content, content_type) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def big_jpeg():
    image = Image.effect_noise((1800, 1800), 60).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


class Instance:
    """A throwaway instance: its own SQLite file and MEDIA_ROOT, set up by manage.py."""

    def __init__(self, folder: Path) -> None:
        self.db = folder / "db.sqlite3"
        self.media = folder / "media"
        self.env = {
            "DATABASE_URL": f"sqlite:///{self.db}",
            "MEDIA_ROOT": str(self.media),
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "false",
            "REDIS_URL": "",
        }
        manage("migrate", "--noinput", env=self.env)
        made = manage("shell", "--no-imports", "-c", SETUP, env=self.env).stdout
        self.key = json.loads(made.strip().splitlines()[-1])["key"]
        self.csrf = _get_new_csrf_string()

    def headers(self, content_type: str, length: int) -> dict[str, str]:
        return {
            "Content-Type": content_type,
            "Content-Length": str(length),
            "Cookie": f"{settings.WITNESS_COOKIE_NAME}={self.key}; csrftoken={self.csrf}",
            "X-CSRFToken": self.csrf,
        }

    def count(self, table: str) -> int:
        with sqlite3.connect(self.db) as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608

    def files(self) -> list[str]:
        return files_under(self.media) if self.media.exists() else []


def send(port, instance, body, content_type):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/witness/submissions/",
        data=body,
        headers=instance.headers(content_type, len(body)),
        method="POST",
    )
    return urllib.request.urlopen(request, timeout=60)  # noqa: S310 - loopback


@pytest.mark.slow
def test_a_server_killed_mid_upload_loses_nothing_acknowledged_and_shows_nothing_half_sent(
    tmp_path,
):
    instance = Instance(tmp_path)
    photo = big_jpeg()
    fields = {"kind": "saw", "what_happened": "By the school gates."}
    body, content_type = multipart(fields, {"files": ("gates.jpg", photo, "image/jpeg")})

    port = free_port()
    with server_process(uvicorn_command(port), port, instance.env) as server:
        # One send that completes: its record and files must survive everything below.
        with send(port, instance, body, content_type) as response:
            assert response.status == 201
        kept = instance.files()
        assert len(kept) == 2  # the original and its preview

        # Half a multipart upload, then the server is killed outright.
        head = "".join(
            f"{name}: {value}\r\n"
            for name, value in instance.headers(content_type, len(body)).items()
        )
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(
                f"POST /api/witness/submissions/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode()
            )
            raw.sendall(body[: len(body) // 2])
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=20)
        assert server.returncode == -signal.SIGKILL

    assert instance.count("witnesses_submission") == 1
    assert instance.count("witnesses_submissionfile") == 1
    assert instance.files() == kept
    manage("verify_ledger", env=instance.env)

    # A server that dies just after the file is flushed and before its row commits.
    port = free_port()
    crashing = [sys.executable, "-m", "tests.crash_server", str(port)]
    with server_process(crashing, port, instance.env) as server:
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            send(port, instance, body, content_type)
        server.wait(timeout=20)
        assert server.returncode == -signal.SIGKILL

    assert instance.count("witnesses_submission") == 1
    assert instance.count("witnesses_submissionfile") == 1
    [leftover] = [name for name in instance.files() if name not in kept]
    verified = manage("verify_ledger", env=instance.env)
    assert "OK: " in verified.stdout

    dry = manage("sweep_orphans", "--dry-run", "--older-than", "0", env=instance.env)
    assert f"Would remove {leftover}" in dry.stdout
    assert leftover in instance.files()
    fresh = manage("sweep_orphans", env=instance.env)
    assert "Removed 0 unreferenced files." in fresh.stdout
    swept = manage("sweep_orphans", "--older-than", "0", env=instance.env)
    assert f"Removed {leftover}" in swept.stdout
    assert instance.files() == kept
    manage("verify_ledger", env=instance.env)


@pytest.mark.django_db
def test_sweep_forgets_idempotency_keys_past_their_window(settings):
    from diary.models import IdempotencyKey

    IdempotencyKey.objects.create(
        actor="owner:1",
        scope="api.entry",
        key="old",
        request_sha256="0" * 64,
        status=201,
        response={"what_happened": "a copy of what was sent"},
    )
    assert "Removed 0 expired Idempotency-Keys." in sweep()
    with time_machine.travel(
        timezone.now() + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, minutes=1)
    ):
        assert "Would remove 1 expired Idempotency-Key." in sweep("--dry-run")
        assert IdempotencyKey.objects.count() == 1
        assert "Removed 1 expired Idempotency-Key." in sweep()
    assert not IdempotencyKey.objects.exists()
