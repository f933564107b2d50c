"""He fills the server's disk: declares (or just sends) a body far larger than anything the app
takes. Each route has a cap (the files it takes at most, and a margin for the form); a body
over it is refused with a 413 before a byte is written, by the page, the API and the ASGI app
uvicorn serves alike, and nginx in front agrees with the app."""

import asyncio
import json
import select
import socket
from pathlib import Path

import pytest
from django.core.files import uploadhandler
from django.core.handlers.asgi import ASGIHandler
from django.urls import reverse

from diary import messages
from diary.models import AccessEvent, Evidence
from diary.web import body_size
from stack import nginx
from tests.factories import make_entry, upload
from tests.security.conftest import browser
from tests.servers import free_port, server_process, uvicorn_command
from tests.witnesses.factories import make_witness
from witnesses.models import Submission, Witness
from witnesses.services.submissions import MAX_FILES

MIB = 1024 * 1024


@pytest.fixture
def small_files(settings):
    settings.EVIDENCE_MAX_BYTES = MIB
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MIB
    return settings


@pytest.fixture
def spooled(monkeypatch):
    """Every upload Django starts to write (to memory or to a temporary file)."""
    started: list[str] = []
    for handler in (
        uploadhandler.MemoryFileUploadHandler,
        uploadhandler.TemporaryFileUploadHandler,
    ):
        original = handler.new_file

        def new_file(self, *args, _original=original, **kwargs):
            started.append(type(self).__name__)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(handler, "new_file", new_file)
    return started


def stored(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def too_large_text() -> str:
    return str(messages.BODY_TOO_LARGE % {"limit": "1.0\xa0MB"})


def test_an_upload_over_the_pages_cap_is_refused_before_it_is_written(owner, small_files, spooled):
    her = browser()
    her.force_login(owner)
    entry = make_entry(owner)
    log_before = AccessEvent.objects.count()
    # Over what the page takes: as many files as it takes at most, each as large as allowed.
    over = (small_files.EVIDENCE_MAX_FILES + 3) * MIB
    big = upload("IMG_0002.jpg", b"\xff\xd8\xff" + b"\0" * over)
    response = her.post(reverse("diary:evidence_add", args=[entry.pk]), {"file": big})
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == too_large_text()
    assert spooled == []  # nothing was parsed, so no temporary file was begun
    assert not Evidence.objects.exists()
    assert stored(small_files) == []
    assert AccessEvent.objects.count() == log_before


def test_a_declared_length_over_the_cap_is_refused_without_reading_the_body(
    owner, small_files, spooled
):
    her = browser()
    her.force_login(owner)
    entry = make_entry(owner)
    # The body says little; the header says 10 GB. Reading past the body would fail the test.
    response = her.post(
        f"/api/entries/{entry.pk}/evidence/",
        {"file": upload()},
        CONTENT_LENGTH=str(10 * 1024**3),
    )
    assert response.status_code == 413
    assert response.json() == {"detail": too_large_text()}
    assert spooled == []
    assert not Evidence.objects.exists()


def test_each_route_has_the_cap_of_the_files_it_takes(owner, small_files, spooled):
    her = browser()
    her.force_login(owner)
    # Adding a contact takes no file: a few MB of JSON is refused.
    padded = json.dumps({"name": "Pat", "relationship": "x" * (3 * MIB)})
    response = her.post("/api/witnesses/", padded, content_type="application/json")
    assert response.status_code == 413
    assert not Witness.objects.exists()

    # A contact's send takes up to MAX_FILES files: a body of three is not refused for size.
    _, token = make_witness(owner)
    him = browser()
    him.get(f"/w/{token}")
    files = [upload(f"IMG_{n}.jpg", b"\xff\xd8\xff" + b"\0" * (MIB // 2)) for n in range(3)]
    response = him.post(
        "/api/witness/submissions/", {"kind": "saw", "what_happened": "Three.", "files": files}
    )
    assert response.status_code == 400  # the files are not real photos: a field error
    assert spooled  # it reached the parser
    assert not Submission.objects.exists()
    assert body_size.body_cap("/w/") == MAX_FILES * MIB + MIB + MIB


def test_the_import_page_takes_an_export_larger_than_a_file_up_to_its_own_limit(
    owner, small_files, spooled
):
    """A mailbox is gigabytes: the import page's cap is IMPORT_MAX_BYTES, not a file's."""
    from diary.models import PendingImport

    small_files.IMPORT_MAX_BYTES = 4 * MIB
    her = browser()
    her.force_login(owner)
    mailbox = b"From x@example.org Mon Jan  1 00:00:00 2024\n" + b"x" * (2 * MIB)
    response = her.post(
        "/diary/import/",
        {"file": upload("All mail.mbox", mailbox), "time_zone": "Europe/London"},
    )
    assert response.status_code == 302  # kept, and a worker asked to read it
    assert PendingImport.objects.get(diary=owner.diary).size >= 2 * MIB

    # Over the limit but within the form's margin: the form says so.
    over = b"From x@example.org Mon Jan  1 00:00:00 2024\n" + b"x" * (4 * MIB + MIB // 2)
    response = her.post(
        "/diary/import/", {"file": upload("All mail.mbox", over), "time_zone": "Europe/London"}
    )
    assert response.status_code == 200
    assert "This export is larger than 4.0\xa0MB" in response.content.decode()

    over = b"From x@example.org Mon Jan  1 00:00:00 2024\n" + b"x" * (7 * MIB)
    spooled.clear()
    response = her.post(
        "/diary/import/", {"file": upload("All mail.mbox", over), "time_zone": "Europe/London"}
    )
    assert response.status_code == 413
    assert response.content.decode() == str(messages.BODY_TOO_LARGE % {"limit": "4.0\xa0MB"})
    assert spooled == []
    assert PendingImport.objects.filter(diary=owner.diary).count() == 1
    assert body_size.body_cap("/diary/import/") == 4 * MIB + MIB + MIB


def test_the_cap_is_found_under_a_mount_prefix_too(settings):
    mounted = {"type": "http", "path": "/notes/w/", "root_path": "/notes"}
    assert body_size.body_cap(body_size.path_info(mounted)) == body_size.body_cap("/w/")


def test_nginx_lets_through_whatever_the_app_takes(settings):
    limits = nginx.body_limits(
        evidence_max_bytes=settings.EVIDENCE_MAX_BYTES,
        max_files=MAX_FILES,
        form_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        owner_max_files=settings.EVIDENCE_MAX_FILES,
        import_max_bytes=settings.IMPORT_MAX_BYTES,
        piece_bytes=settings.UPLOAD_PIECE_MAX_BYTES,
    )
    path = nginx.IMPORT_LOCATION[1]
    assert body_size.body_cap(path) <= limits.import_file
    assert limits.import_file - body_size.body_cap(path) < MIB
    for path in nginx.PIECE_PATHS:
        assert body_size.body_cap(path) <= limits.pieces
        assert body_size.body_cap(f"{path}00000000-0000-4000-8000-000000000000") <= limits.pieces
        assert limits.pieces - body_size.body_cap(path) < MIB
    for path in nginx.MANY_FILE_PATHS:
        assert body_size.body_cap(path) <= limits.many_files
        assert limits.many_files - body_size.body_cap(path) < MIB  # and not much more
    for _location, path in nginx.OWNER_FILE_LOCATIONS:
        assert body_size.body_cap(path) <= limits.owner_files
        assert limits.owner_files - body_size.body_cap(path) < MIB
    for path in ("/api/entries/1/evidence/", "/diary/brief/"):
        assert body_size.body_cap(path) <= limits.one_file
        assert limits.one_file - body_size.body_cap(path) < MIB


def asgi_request(path: str, headers: list, chunks: list[bytes]) -> tuple[dict, int]:
    """Drive the ASGI app uvicorn serves, in this process: what it answered, and how many
    body chunks it asked for."""
    from project.asgi import application

    sent: list[dict] = []
    asked = 0

    async def receive():
        nonlocal asked
        asked += 1
        if asked <= len(chunks):
            return {
                "type": "http.request",
                "body": chunks[asked - 1],
                "more_body": asked < len(chunks),
            }
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("10.0.0.9", 5555),
        "server": ("127.0.0.1", 8000),
    }
    asyncio.run(application(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return {"status": start["status"], "body": body}, asked


def test_asgi_refuses_a_declared_length_before_django_reads_a_byte(small_files, monkeypatch):
    django_read = []
    monkeypatch.setattr(ASGIHandler, "read_body", lambda *a: django_read.append(a))
    answer, asked = asgi_request(
        "/api/entries/1/evidence/",
        [
            (b"content-length", str(10 * 1024**3).encode()),
            (b"content-type", b"multipart/form-data"),
        ],
        [b"x" * MIB],
    )
    assert answer["status"] == 413
    assert json.loads(answer["body"]) == {"detail": too_large_text()}
    assert asked == 0
    assert django_read == []


@pytest.mark.django_db(transaction=True)
def test_asgi_refuses_a_body_without_a_length_once_it_streams_past_the_cap(small_files):
    cap = body_size.body_cap("/diary/entries/1/evidence/")
    chunks = [b"x" * MIB] * 20  # 20 MB, sent chunked: no Content-Length at all
    answer, asked = asgi_request(
        "/diary/entries/1/evidence/",
        [(b"content-type", b"multipart/form-data; boundary=b")],
        chunks,
    )
    assert answer["status"] == 413
    assert answer["body"].decode() == too_large_text()
    assert asked == cap // MIB + 1  # read no further than just past the cap
    assert not Evidence.objects.exists()


@pytest.mark.slow
def test_uvicorn_answers_413_to_a_huge_declared_body_without_waiting_for_it(tmp_path):
    port = free_port()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DEBUG": "false"}
    with server_process(uvicorn_command(port), port, env):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"POST /api/entries/1/evidence/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=b\r\n"
                b"Content-Length: 10737418240\r\n\r\n"
            )
            head = conn.recv(4096)  # answered though not one byte of the body was sent
        assert head.startswith(b"HTTP/1.1 413 ")
        # And a body sent chunked is cut off once it passes the cap (3.5 MB for this route).
        assert chunked_answer(port, "/api/witnesses/", total=40 * MIB).startswith(b"HTTP/1.1 413 ")


def chunked_answer(port: int, path: str, *, total: int) -> bytes:
    """Send a chunked body of `total` bytes, a piece at a time, and return the answer's first
    bytes as soon as one comes (the server may answer and close long before the end)."""
    piece = 256 * 1024
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        for _ in range(total // piece):
            readable, _, _ = select.select([conn], [], [], 0)
            if readable:
                return conn.recv(4096)
            try:
                conn.sendall(f"{piece:x}\r\n".encode() + b"x" * piece + b"\r\n")
            except OSError:
                break
        readable, _, _ = select.select([conn], [], [], 10)
        return conn.recv(4096) if readable else b""
