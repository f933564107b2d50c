"""Bundles made by real worker processes: `manage.py db_worker` and `tend_jobs --loop` beside a
uvicorn, on a SQLite file and on PostgreSQL. A bundle asked through the API completes and is
recorded once; a worker killed (SIGKILL) mid-build is replaced, and the job is tried again and
recorded once, with nothing half-made left; a job killed every time ends failed, saying why;
a worker sent SIGTERM finishes its bundle first, and sent it twice hands the job on; and a
contact's send goes through while a bundle is being built.

The PostgreSQL case runs only where DATABASE_URL is PostgreSQL, in a database of its own."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string

from diary.jobs.services import GAVE_UP
from project.servers import tend_command, worker_command
from tests.servers import ROOT, free_port, manage, server_process, uvicorn_command

pytestmark = pytest.mark.slow

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
DATABASE_NAME = "jobs_procs_worker"  # of its own: emptied at every run
ENTRIES, FILES = 300, 100  # enough that a build takes the worker seconds
ATTEMPTS = 3


def postgres_url() -> str:
    """A database of this module's own on the PostgreSQL server of DATABASE_URL, made empty."""
    import psycopg
    from psycopg import sql

    url = urlsplit(os.environ["DATABASE_URL"])
    server = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        name = sql.Identifier(DATABASE_NAME)
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return urlunsplit(url._replace(path=f"/{DATABASE_NAME}"))


class Instance:
    """An instance of its own (database, MEDIA_ROOT), its web server and tend_jobs running, and
    as many db_workers, one after another, as a test starts."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.env = {
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(folder / "media"),
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "false",
            "REDIS_URL": "",
            "TIMESTAMP_URLS": "",
            "JOB_LEASE_SECONDS": "2",
            "JOB_HEARTBEAT_SECONDS": "1",
            "JOB_ATTEMPTS": str(ATTEMPTS),
        }
        self.port = 0
        self.workers: list[subprocess.Popen] = []
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def shell(self, code: str) -> Any:
        """Run Python in this instance's settings; what it printed last, as JSON."""
        done = manage("shell", "--no-imports", "-c", code, env=self.env)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def diary(self, *, entries: int = ENTRIES, files: int = FILES) -> "Diary":
        email = f"owner-{secrets.token_hex(4)}@example.org"
        made = self.shell(
            f"from tests.big_diary import seed; seed(entries={entries}, files={files}, "
            f"email={email!r})"
        )
        return Diary(self, made)

    def state(self, diary: int) -> dict[str, Any]:
        return self.shell(f"from tests.big_diary import state; state(diary={diary})")

    def _started(self, name: str, command: list[str]) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("ab") as log:
            return subprocess.Popen(
                command, cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=log
            )

    def worker(self) -> subprocess.Popen:
        process = self._started(f"worker-{len(self.workers) + 1}", worker_command())
        self.workers.append(process)
        return process

    def wait_for_log(self, process: subprocess.Popen, words: str) -> None:
        log = self.logs / f"worker-{self.workers.index(process) + 1}.log"
        deadline = time.monotonic() + 30
        while words not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)  # polling another process's log, not a timing assertion

    def log(self) -> str:
        return "\n".join(f"== {path.name}\n{path.read_text()}" for path in self.logs.iterdir())

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Diary:
    """One owner's diary in the instance, and what she and her contact do through the API."""

    def __init__(self, instance: Instance, made: dict[str, Any]) -> None:
        self.instance = instance
        self.pk = made["diary"]
        base = f"http://127.0.0.1:{instance.port}"
        csrf = _get_new_csrf_string()
        name, _, value = made["cookie"].partition("=")
        self.owner = httpx.Client(
            base_url=base,
            cookies={name: value, "csrftoken": csrf},
            headers={"X-CSRFToken": csrf},
            timeout=60,
        )
        self.contact = httpx.Client(
            base_url=base,
            cookies={settings.WITNESS_COOKIE_NAME: made["witness_key"], "csrftoken": csrf},
            headers={"X-CSRFToken": csrf},
            timeout=60,
        )

    def ask_for_bundle(self) -> dict[str, Any]:
        asked = self.owner.post("/api/exports/", json={})
        assert asked.status_code == 202, asked.text
        assert asked.headers["Location"] == asked.json()["url"]
        return asked.json()

    def job(self, job: dict[str, Any]) -> dict[str, Any]:
        answer = self.owner.get(job["url"])
        assert answer.status_code == 200, answer.text
        return answer.json()

    def wait_for(
        self, job: dict[str, Any], until: Callable[[dict[str, Any]], bool], seconds: float = 120
    ) -> dict[str, Any]:
        """Poll the job (real processes: a deadline, no fixed sleep) until `until` holds."""
        deadline = time.monotonic() + seconds
        while True:
            now = self.job(job)
            if until(now):
                return now
            if time.monotonic() > deadline:
                raise AssertionError(f"job never got there: {now}\n{self.instance.log()}")
            time.sleep(0.1)  # polling other processes, not a timing assertion

    def state(self) -> dict[str, Any]:
        return self.instance.state(self.pk)


def building(job: dict[str, Any]) -> bool:
    """Running, and past the first stage: the snapshot is open and the bundle being written."""
    return job["state"] == "running" and job["stage"] not in ("", "timestamp")


def finished(job: dict[str, Any]) -> bool:
    return job["state"] in ("done", "failed")


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not ON_POSTGRES, reason="set DATABASE_URL to PostgreSQL to run this"
            ),
        ),
    ],
)
def instance(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Instance]:
    folder = tmp_path_factory.mktemp(request.param)
    url = postgres_url() if request.param == "postgresql" else f"sqlite:///{folder / 'db.sqlite3'}"
    made = Instance(folder, url)
    manage("migrate", "--noinput", "--verbosity", "0", env=made.env)
    made.port = free_port()
    tend = made._started("tend", tend_command(every=0.5))
    try:
        with server_process(uvicorn_command(made.port), made.port, made.env):
            yield made
    finally:
        for process in [*made.workers, tend]:
            Instance.stop(process)
    # No worker or tend_jobs logged a traceback but those of a task aborted by a second SIGTERM.
    # One such report can chain several tracebacks (the signal landed while a library was
    # handling an exception of its own): each report ends in one last exception.
    logged = made.log()
    chained = logged.count("During handling of the above exception") + logged.count(
        "The above exception was the direct cause"
    )
    assert logged.count("Traceback") - chained == logged.count("\nSystemExit: 1"), logged


@contextmanager
def worker(instance: Instance) -> Iterator[subprocess.Popen]:
    process = instance.worker()
    try:
        yield process
    finally:
        Instance.stop(process)


def killed(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=20)
    assert process.returncode == -signal.SIGKILL


def run_verify(folder: Path, bundle: bytes) -> subprocess.CompletedProcess:
    """The bundle's own verify.py, as the police would run it."""
    path = folder / "bundle.zip"
    path.write_bytes(bundle)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder / "bundle")
    return subprocess.run(
        [sys.executable, "-I", str(folder / "bundle" / "verify.py"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def recorded_once(diary: Diary, job: dict[str, Any], tmp_path: Path) -> None:
    """The job made one bundle, recorded once (ledger, access log), its file the only one
    under exports/, and it checks out."""
    state = diary.state()
    [export] = state["exports"]
    assert job["export"]["id"] == export["id"]
    assert state["jobs"][-1]["partial"] == ""
    assert state["export_records"] == 1
    assert state["export_lines"] == [1]
    assert state["files"] == [export["bundle"]]
    bundle = diary.owner.get(job["export"]["download"])
    assert bundle.status_code == 200
    checked = run_verify(tmp_path, bundle.content)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    verified = manage("verify_ledger", env=diary.instance.env)
    assert "OK" in verified.stdout


def test_a_bundle_asked_through_the_api_is_made_by_the_worker(instance, tmp_path):
    diary = instance.diary(entries=20, files=5)
    with worker(instance):
        job = diary.ask_for_bundle()
        assert job["state"] == "queued"
        done = diary.wait_for(job, finished)
    assert done["state"] == "done", done
    assert done["attempts"] == 1
    assert done["percent"] == 100
    assert done["export"]["number"] == 1
    recorded_once(diary, done, tmp_path)


def test_a_worker_killed_mid_build_is_replaced_and_the_bundle_made_once(instance, tmp_path):
    diary = instance.diary()
    first = instance.worker()
    job = diary.ask_for_bundle()
    diary.wait_for(job, building)
    # The bundle is half-written (its name noted on the job); the worker is killed outright.
    assert diary.state()["jobs"][-1]["partial"].startswith(f"exports/{diary.pk}/")
    killed(first)
    # tend_jobs hands it on once the heartbeat is JOB_LEASE_SECONDS old; nobody runs it yet.
    again = diary.wait_for(job, lambda now: now["state"] == "queued")
    assert again["attempts"] == 1
    left = diary.state()
    assert left["jobs"][-1]["partial"] == "" and left["files"] == []
    assert left["exports"] == [] and left["export_records"] == 0
    with worker(instance):
        done = diary.wait_for(job, finished)
    assert done["state"] == "done", done
    assert done["attempts"] == 2
    recorded_once(diary, done, tmp_path)


def test_a_job_killed_every_time_ends_failed_saying_why(instance):
    diary = instance.diary(entries=100, files=20)
    job = diary.ask_for_bundle()
    for attempt in range(1, ATTEMPTS + 1):
        process = instance.worker()
        diary.wait_for(job, lambda now, n=attempt: building(now) and now["attempts"] == n)
        killed(process)
    ended = diary.wait_for(job, finished)
    assert ended["state"] == "failed"
    assert ended["attempts"] == ATTEMPTS
    assert ended["reason"] == GAVE_UP.format(attempts=ATTEMPTS)
    assert ended["export"] is None
    state = diary.state()
    assert state["exports"] == [] and state["export_records"] == 0
    assert state["export_lines"] == [] and state["files"] == []
    # Asked again, it is a new job (the failed one is not joined), and this time it finishes.
    with worker(instance):
        fresh = diary.ask_for_bundle()
        assert fresh["id"] != job["id"]
        assert diary.wait_for(fresh, finished)["state"] == "done"


def test_a_contact_s_send_goes_through_while_a_bundle_is_built(instance):
    diary = instance.diary()
    with worker(instance):
        job = diary.ask_for_bundle()
        diary.wait_for(job, building)
        sent = diary.contact.post(
            "/api/witness/submissions/",
            data={"kind": "saw", "what_happened": "The grey car again, during the bundle"},
        )
        assert sent.status_code == 201, sent.text
        # The bundle was still being made when the send had its answer: nothing waited on it.
        during = diary.job(job)
        assert during["state"] == "running", during
        done = diary.wait_for(job, finished)
    assert done["state"] == "done", done
    assert done["attempts"] == 1


def test_a_worker_told_to_stop_finishes_its_bundle_and_told_twice_hands_it_on(instance):
    diary = instance.diary()
    process = instance.worker()
    job = diary.ask_for_bundle()
    diary.wait_for(job, building)
    process.send_signal(signal.SIGTERM)  # a deploy: the bundle under way is finished first
    assert process.wait(timeout=120) == 0
    done = diary.job(job)
    assert (done["state"], done["attempts"]) == ("done", 1), done

    again = diary.ask_for_bundle()
    process = instance.worker()
    diary.wait_for(again, building)
    process.send_signal(signal.SIGTERM)
    instance.wait_for_log(process, "shutting down gracefully")  # two at once would be one
    process.send_signal(signal.SIGTERM)  # the second time: now, whatever it is doing
    instance.wait_for_log(process, "terminating current task")
    # The framework records its task failed (the job, whose work was cut off, stays running
    # with no heartbeat) and the worker exits.
    process.wait(timeout=30)
    # Nothing of the aborted attempt is kept; tend_jobs hands the job on after the lease.
    with worker(instance):
        remade = diary.wait_for(again, finished)
    assert (remade["state"], remade["attempts"]) == ("done", 2), remade
    state = diary.state()
    assert [export["number"] for export in state["exports"]] == [1, 2]
    assert state["export_records"] == 2
    assert sorted(state["files"]) == sorted(export["bundle"] for export in state["exports"])
