"""How long a contact's send holds its diary's lock, and what it does while it holds it.

Every send to a diary queues for that diary's row lock (DESIGN invariant 7), so with 20 senders
the p99 is about 20 times the time one send holds it (docs/performance.md, "Submissions on
PostgreSQL, 20 senders"). This counts the statements a send runs between taking the lock and
committing (each a round trip on PostgreSQL; COMMIT counted too; on SQLite the lock is its
BEGIN IMMEDIATE), and times it, for `POST /api/witness/submissions/` as the bench's senders
make it (JSON, no Idempotency-Key) and with a key, through the real view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME python -m bench.lockhold [SENDS [THREADS]]

The database NAME is dropped and made again (SQLite: a file in a temporary folder when
DATABASE_URL is unset). THREADS (default 1) senders share one process, as the threads of one
uvicorn worker do; with more than one, the time held also counts waits for the GIL.
"""

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from typing import Any


def _setup() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        from bench.run import recreate_database

        recreate_database(url)
    else:
        folder = tempfile.mkdtemp(prefix="lockhold-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/db.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ["WITNESS_SUBMISSIONS_PER_HOUR"] = "1000000"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)


class Probe:
    """Per thread: the statements after the diary's FOR UPDATE, and the time to commit."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.held: list[float] = []
        self.waited: list[float] = []
        self.trips: list[int] = []
        self.in_sql: list[float] = []
        self.whole: list[float] = []
        self.statements: list[str] = []
        self.lock = threading.Lock()

    def install(self) -> None:
        from django.db import connection

        state = self.local
        state.locked_at = None
        state.sql = []
        state.in_sql = 0.0
        connection.execute_wrappers.append(self._wrapper)
        commit = connection._commit  # type: ignore[attr-defined]

        def timed_commit() -> None:
            began = time.perf_counter()
            commit()
            if state.locked_at is not None:
                state.in_sql += time.perf_counter() - began
                with self.lock:
                    self.in_sql.append(state.in_sql)
                    self.held.append(time.perf_counter() - state.locked_at)
                    self.trips.append(len(state.sql) + 1)  # and the COMMIT
                    self.statements = [*state.sql, "COMMIT"]
                state.locked_at = None
                state.sql = []
                state.in_sql = 0.0

        connection._commit = timed_commit  # type: ignore[attr-defined]

    def _wrapper(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        state = self.local
        began = time.perf_counter()
        result = execute(sql, params, many, context)
        if state.locked_at is not None:
            state.sql.append(sql)
            state.in_sql += time.perf_counter() - began
        elif sql.startswith("BEGIN") or ('FROM "diary_diary"' in sql and "FOR UPDATE" in sql):
            # SQLite's IMMEDIATE transaction is its lock; PostgreSQL's is the diary's row.
            state.locked_at = time.perf_counter()
            with self.lock:
                self.waited.append(state.locked_at - began)
        return result


def _senders(count: int) -> tuple[int, list[Any]]:
    from rest_framework.test import APIClient

    from diary.models import User
    from diary.records.services import diary_create
    from witnesses.services.links import witness_invite

    owner = User.objects.create_user(email="lockhold@bench.example", password="x" * 12)
    diary = diary_create(owner=owner)
    clients = []
    for n in range(count):
        _witness, token = witness_invite(
            diary=diary, actor=owner, name=f"Contact {n}", relationship="neighbour"
        )
        client = APIClient(HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Chrome/120")
        assert client.get(f"/w/{token}").status_code == 302
        clients.append(client)
    return diary.pk, clients


BODY = {
    "kind": "saw",
    "location": "Outside the station",
    "what_happened": "The grey car was parked opposite the house again.",
}


def _send(client: Any, n: int, keyed: bool) -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())} if keyed else {}
    response = client.post(
        "/api/witness/submissions/", json.dumps(BODY), content_type="application/json", **headers
    )
    assert response.status_code == 201, response.content


def _run(probe: Probe, clients: list[Any], sends: int, keyed: bool) -> None:
    def work(client: Any) -> None:
        from django.db import connection

        probe.install()
        for n in range(sends):
            began = time.perf_counter()
            _send(client, n, keyed)
            with probe.lock:
                probe.whole.append(time.perf_counter() - began)
        connection.close()

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def main() -> int:
    sends = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    _setup()
    from django.db import connection

    _diary, clients = _senders(max(threads, 1))
    for keyed in (False, True):
        warm = Probe()
        _run(warm, clients, 5, keyed)
        probe = Probe()
        _run(probe, clients, sends // len(clients), keyed)
        what = "with an Idempotency-Key" if keyed else "JSON, no key (the bench's senders)"
        print(f"{connection.vendor}, {what}, {len(probe.held)} sends, {threads} thread(s):")
        print(f"  round trips under the lock: {statistics.mode(probe.trips)}")
        print(
            f"  lock held ms: p50 {_ms(probe.held, 0.5)} · p90 {_ms(probe.held, 0.9)}"
            f" · mean {round(1000 * statistics.fmean(probe.held), 2)}"
        )
        print(
            f"  of which in the database (statements and COMMIT) ms: p50 {_ms(probe.in_sql, 0.5)}"
            f" · mean {round(1000 * statistics.fmean(probe.in_sql), 2)}"
        )
        print(f"  a whole send (the request, in this process) ms: p50 {_ms(probe.whole, 0.5)}")
        if threads > 1:
            waited = f"p50 {_ms(probe.waited, 0.5)} · p99 {_ms(probe.waited, 0.99)}"
            print(f"  waited for the lock ms: {waited}")
        for sql in probe.statements:
            print(f"    {sql[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
