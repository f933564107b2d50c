"""Many clients at once against a real ASGI server on PostgreSQL: 200 owner entries and witness
submissions on one diary (some of them sent twice at the same moment, as a phone retrying on
a bad signal would), then every acknowledged write is there exactly once, the ledger's sequence
numbers have no gap, and the chain verifies. Skips, saying why, without PostgreSQL."""

import json
import os
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string

from diary.ledger.verify import ledger_verify
from diary.models import Entry, EntryVersion, LedgerRecord
from tests.factories import OwnerFactory
from tests.servers import free_port, manage, server_process, uvicorn_command
from tests.test_live import session_cookie
from witnesses.models import Submission
from witnesses.services.links import device_open, witness_invite

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="set DATABASE_URL to PostgreSQL: a server process cannot share the test SQLite",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]

WRITES = 200
RETRIED = 40  # of those, sent a second time at once with the same key
WITNESSES = 4
CLIENTS = 32


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def post(port: int, path: str, body: dict, cookie: str, key: str) -> tuple[int, dict]:
    csrf = _get_new_csrf_string()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Cookie": f"{cookie}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Idempotency-Key": key,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {"error": error.read().decode()}


def test_two_hundred_writers_at_once_lose_nothing_and_never_fork_the_chain():
    owner = OwnerFactory()
    diary = owner.diary
    owner_cookie = session_cookie(owner).decode()
    witness_cookies = []
    for number in range(WITNESSES):
        _, token = witness_invite(
            diary=diary, actor=owner, name=f"Witness {number}", relationship="neighbour"
        )
        _, key = device_open(token=token, user_agent="load test")
        witness_cookies.append(f"{settings.WITNESS_COOKIE_NAME}={key}")
    records_before = LedgerRecord.objects.filter(diary=diary).count()

    sends = []
    for number in range(WRITES):
        marker = f"concurrent write {number} {uuid.uuid4().hex}"
        if number % 2:
            path, cookie = "/api/entries/", owner_cookie
            body = {"what_happened": marker, "occurred_start": "2026-11-20T10:00:00Z"}
        else:
            path, cookie = "/api/witness/submissions/", witness_cookies[number % WITNESSES]
            body = {"kind": "saw", "what_happened": marker}
        sends.append((path, body, cookie, str(uuid.uuid4()), marker))
    requests = sends + sends[:RETRIED]  # the retries race their first sends

    port = free_port()
    env = {
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "WITNESS_SUBMISSIONS_PER_HOUR": "10000",
    }
    start = threading.Barrier(CLIENTS)

    def send(request):
        path, body, cookie, key, marker = request
        return marker, key, *post(port, path, body, cookie, key)

    def client(batch):
        start.wait()
        return [send(request) for request in batch]

    batches = [requests[i::CLIENTS] for i in range(CLIENTS)]
    with (
        server_process(uvicorn_command(port, workers=2), port, env),
        ThreadPoolExecutor(max_workers=CLIENTS) as pool,
    ):
        results = [result for batch in pool.map(client, batches) for result in batch]

    acknowledged = [(marker, key, body) for marker, key, status, body in results if status == 201]
    refused = [(status, body) for _, _, status, body in results if status != 201]
    assert refused == []
    assert len(acknowledged) == WRITES + RETRIED

    # Each acknowledged write is there exactly once; a retry got its first send's answer.
    stored = Counter(
        EntryVersion.objects.filter(entry__diary=diary).values_list("what_happened", flat=True)
    ) + Counter(Submission.objects.filter(diary=diary).values_list("what_happened", flat=True))
    answers: dict[str, dict] = {}
    for marker, key, body in acknowledged:
        assert answers.setdefault(key, body) == body
        assert stored[marker] == 1, marker
    assert Entry.objects.filter(diary=diary).count() == WRITES // 2
    assert Submission.objects.filter(diary=diary).count() == WRITES // 2
    numbers = sorted(Entry.objects.filter(diary=diary).values_list("number", flat=True))
    assert numbers == list(range(1, WRITES // 2 + 1))

    ledger = LedgerRecord.objects.filter(diary=diary).order_by("seq")
    seqs = list(ledger.values_list("seq", flat=True))
    assert seqs == list(range(1, records_before + WRITES + 1))
    assert ledger_verify(diary=diary).ok
    verified = manage("verify_ledger", env={"DATABASE_URL": database_url()})
    assert verified.returncode == 0
    assert "OK: " in verified.stdout
