"""The whole stack as deployed (`make stack`: nginx, two uvicorn workers, two background workers
and tend_jobs, PostgreSQL, Redis and moto's S3 server): live events cross workers through Redis,
files land in the bucket encrypted, a bundle asked through the API is made by a background
worker from them and verifies, and nginx passes websockets and holds the app's size
limits. Run by `make stack-test`, which starts the stack when it is not already running; skips,
saying so, anywhere else."""

import io
import json
import re
import secrets
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from websockets.sync.client import ClientConnection, connect

from stack import nginx
from stack.run import BUCKET, MAIL_DIR, ROOT, STATE_DIR, Stack, running, s3_client
from tests.mailfiles import confirm_path

STACK = running()
pytestmark = [
    pytest.mark.skipif(
        STACK is None,
        reason="the stack is not running: `make stack-test` starts it (or `make stack`)",
    ),
    pytest.mark.slow,
]

SENTINEL = f"SENTINEL-{secrets.token_hex(8)}".encode()
PASSWORD = "a long and unusual passphrase 42"
PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36"


class Browser:
    """What a browser does that matters here: keeps cookies, sends its Origin, and copies the
    CSRF cookie into the header Django asks of scripts."""

    def __init__(self, base: str, user_agent: str = PHONE) -> None:
        self.base = base
        self.http = httpx.Client(
            base_url=base, headers={"User-Agent": user_agent, "Origin": base}, timeout=60
        )

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        headers = {"X-CSRFToken": self.http.cookies.get("csrftoken", ""), "Referer": self.base}
        return self.http.post(path, headers=headers, **kwargs)

    def form(self, path: str, fields: dict[str, str]) -> httpx.Response:
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, path
        return self.post(path, data={"csrfmiddlewaretoken": token.group(1), **fields})

    def socket(self, path: str) -> ClientConnection:
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        return connect(
            f"ws{self.base.removeprefix('http')}{path}",
            additional_headers={"Cookie": cookie, "Origin": self.base},
            open_timeout=20,
        )

    def on(self, base: str) -> "Browser":
        """The same browser (its cookies) talking to another address of the stack."""
        other = Browser(base)
        for name, value in self.http.cookies.items():
            other.http.cookies.set(name, value, domain=urlsplit(base).hostname)
        return other


def next_event(sock: ClientConnection, event: str) -> dict:
    while True:
        message = json.loads(sock.recv(timeout=20))
        if message.get("event") == event:
            return message


def jpeg_with_sentinel() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 110, 120)).save(buffer, "JPEG", comment=SENTINEL)
    assert SENTINEL in buffer.getvalue()
    return buffer.getvalue()


def bucket_objects(stack: Stack) -> dict[str, bytes]:
    client = s3_client(stack)
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", ()):
            found[item["Key"]] = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
    return found


def worker_logs() -> dict[Path, int]:
    logs = STATE_DIR / "logs"
    return {
        path: path.stat().st_size
        for pattern in ("worker-*.log", "jobs-*.log", "tend.log")
        for path in logs.glob(pattern)
    }


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    assert STACK is not None
    sizes = worker_logs()
    yield STACK
    # No server error anywhere while these tests ran.
    for path, size in sizes.items():
        with path.open("rb") as log:
            log.seek(size)
            written = log.read().decode(errors="replace")
        assert "Traceback" not in written and "Internal Server Error" not in written, written


@pytest.fixture(scope="module")
def owner(stack) -> Browser:
    """A new owner, signed up through the real pages of worker 1."""
    browser = Browser(stack.worker_urls[0], user_agent="Mozilla/5.0 (X11; Linux) Firefox/128")
    email = f"owner-{secrets.token_hex(4)}@example.org"
    signed_up = browser.form(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "time_zone": "UTC"},
    )
    assert signed_up.status_code == 302, signed_up.text[:2000]
    assert signed_up.headers["location"] == "/accounts/confirm-email/"
    # The link in her mail, opened in the same browser, confirms the address and signs her in.
    link = confirm_path(MAIL_DIR, email)
    confirmed = browser.form(link, {})
    assert confirmed.status_code == 302, confirmed.text[:2000]
    assert confirmed.headers["location"] == "/diary/welcome/"
    confirm(browser)  # inviting a contact (the witness fixture) needs it
    return browser


def confirm(browser: Browser) -> None:
    """Confirm it is her, as inviting and downloading originals ask (for a few minutes)."""
    confirmed = browser.form("/accounts/reauthenticate/", {"password": PASSWORD})
    assert confirmed.status_code == 302, confirmed.text[:2000]


@pytest.fixture(scope="module")
def witness(stack, owner) -> Browser:
    """A contact invited by the owner, whose phone opens the link on worker 2."""
    invited = owner.post("/api/witnesses/", json={"name": "Pat", "relationship": "neighbour"})
    assert invited.status_code == 201, invited.text
    token = invited.json()["link"].rstrip("/").rsplit("/", 1)[-1]
    phone = Browser(stack.worker_urls[1])
    opened = phone.get(f"/w/{token}")
    assert opened.status_code == 302 and opened.headers["location"] == "/w/"
    assert phone.get("/w/").status_code == 200  # the page, and its CSRF cookie
    return phone


def test_live_events_cross_workers_through_redis(owner, witness):
    with owner.socket("/ws/diary/") as owner_socket, witness.socket("/ws/witness/") as phone:
        sent = witness.post(
            "/api/witness/submissions/",
            data={"kind": "saw", "what_happened": "Grey car outside number 12"},
            files={"files": ("car.jpg", jpeg_with_sentinel(), "image/jpeg")},
        )
        assert sent.status_code == 201, sent.text
        heard = next_event(owner_socket, "inbox")
        assert heard["count"] >= 1
        assert "Grey car outside number 12" in heard["html"]

        inbox = owner.get("/api/inbox/").json()["results"]
        [waiting] = [item for item in inbox if item["reference"] == sent.json()["reference"]]
        accepted = owner.post(f"/api/inbox/{waiting['id']}/accept/")
        assert accepted.status_code in (200, 201), accepted.text
        status = next_event(phone, "status")
    assert status == {
        "event": "status",
        "reference": sent.json()["reference"],
        "status": "added",
        "label": status["label"],
    }


def test_websockets_pass_through_nginx(stack, owner, witness):
    through_nginx = owner.on(stack.url)
    with through_nginx.socket("/ws/diary/") as owner_socket:
        sent = witness.post(
            "/api/witness/submissions/", data={"kind": "saw", "what_happened": "Via the proxy"}
        )
        assert sent.status_code == 201, sent.text
        assert "Via the proxy" in next_event(owner_socket, "inbox")["html"]


def test_uploads_land_in_the_bucket_encrypted_and_are_served_only_by_the_app(stack, owner):
    through_nginx = owner.on(stack.url)
    entry = through_nginx.post("/api/entries/", json={"what_happened": "A note on the car"})
    assert entry.status_code == 201, entry.text
    uploaded = through_nginx.post(
        f"/api/entries/{entry.json()['id']}/evidence/",
        files={"file": ("note.jpg", jpeg_with_sentinel(), "image/jpeg")},
    )
    assert uploaded.status_code == 201, uploaded.text

    stored = bucket_objects(stack)
    assert any(name.startswith("evidence/") for name in stored)
    assert any(name.startswith("witness/") for name in stored)
    assert not [name for name, body in stored.items() if SENTINEL in body]

    original = f"/api/evidence/{uploaded.json()['id']}/original"
    confirm(through_nginx)
    assert SENTINEL in through_nginx.get(original).content
    assert Browser(stack.url).get(original).status_code == 403  # signed out: refused
    page = through_nginx.get(f"/diary/entries/{entry.json()['id']}/").text
    assert f":{stack.s3_port}" not in page and BUCKET not in page


def test_a_bundle_exports_from_the_bucket_and_verifies(stack, owner, tmp_path):
    through_nginx = owner.on(stack.url)
    confirmed = through_nginx.form("/accounts/reauthenticate/", {"password": PASSWORD})
    assert confirmed.status_code == 302, confirmed.text[:2000]
    asked = through_nginx.post("/api/exports/", json={})
    assert asked.status_code == 202, asked.text
    job = made_by_a_worker(through_nginx, asked.json())
    assert job["attempts"] == 1
    bundle = through_nginx.get(job["export"]["download"])
    assert bundle.status_code == 200
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        archive.extractall(tmp_path)
    assert any(SENTINEL in path.read_bytes() for path in (tmp_path / "evidence").iterdir())
    checked = subprocess.run(
        [sys.executable, str(tmp_path / "verify.py")], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    stored = bucket_objects(stack)
    assert any(name.startswith("exports/") for name in stored)
    assert not [name for name, body in stored.items() if SENTINEL in body]


def made_by_a_worker(browser: Browser, job: dict) -> dict:
    """Ask after the job (one of the stack's db_workers makes it) until it has ended."""
    deadline = time.monotonic() + 120
    while True:
        now = browser.get(job["url"]).json()
        if now["state"] in ("done", "failed"):
            assert now["state"] == "done", now
            return now
        assert time.monotonic() < deadline, f"the bundle was not made within two minutes: {now}"
        time.sleep(0.2)  # polling the stack's workers, not a timing assertion


def test_a_second_ask_while_a_bundle_is_made_joins_it(stack, owner):
    """Two asks at once through both web workers: one job, one bundle, made by a db_worker."""
    confirm(owner)
    first, second = owner.on(stack.worker_urls[0]), owner.on(stack.worker_urls[1])
    asked = [browser.post("/api/exports/", json={}) for browser in (first, second)]
    assert [answer.status_code for answer in asked] == [202, 202], [a.text for a in asked]
    jobs = {answer.json()["id"] for answer in asked}
    done = made_by_a_worker(first, asked[0].json())
    if len(jobs) == 2:  # the first was finished before the second was asked: that is allowed
        made_by_a_worker(second, asked[1].json())
    assert done["export"]["number"] >= 1


def test_every_ledger_verifies_with_its_files_read_from_the_bucket(stack, owner, witness):
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_ledger"],
        cwd=ROOT,
        env={**stack.app_env(), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def declared_body(stack: Stack, path: str, size: int) -> str:
    """Send only the headers of a POST declaring `size` bytes; nginx answers from them."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout=20) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{stack.port}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {size}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        return conn.recv(200).decode(errors="replace").split("\r\n", 1)[0]


def test_nginx_refuses_a_body_larger_than_the_app_takes(stack):
    from django.conf import settings

    from witnesses.services.submissions import MAX_FILES

    limits = nginx.body_limits(
        evidence_max_bytes=stack.evidence_max_bytes,
        max_files=MAX_FILES,
        form_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        owner_max_files=settings.EVIDENCE_MAX_FILES,
    )
    assert " 413 " in declared_body(stack, "/api/entries/1/evidence/", limits.one_file + 1)
    assert " 413 " in declared_body(stack, "/api/witness/submissions/", limits.many_files + 1)
    assert limits.one_file >= stack.evidence_max_bytes + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_a_contact_may_send_more_than_one_file_s_worth_through_nginx(stack, witness):
    """Bigger than one file, within what a contact may send at once: it reaches the app."""
    through_nginx = witness.on(stack.url)
    size = stack.evidence_max_bytes + 6 * 1024 * 1024
    files = [("files", (f"clip{n}.jpg", b"\xff" * (size // 2), "image/jpeg")) for n in range(2)]
    answer = through_nginx.post(
        "/api/witness/submissions/", data={"kind": "saw", "what_happened": "x"}, files=files
    )
    assert answer.status_code == 400  # the app's own answer: these are not images
    assert "files" in answer.json()
