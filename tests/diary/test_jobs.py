"""Long work as jobs: asked for once (a second tap joins), run with its progress, tried again
when its worker stops, and ended plainly when it cannot finish. The task framework's
immediate backend runs them here; tests/test_jobs_worker.py runs a real db_worker."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from diary import messages
from diary.bundle.jobs import bundle_params
from diary.bundle.services import export_create
from diary.core import filestore
from diary.jobs import tasks
from diary.jobs.progress import Progress
from diary.jobs.services import GAVE_UP, job_claim, job_request, jobs_revive
from diary.models import AccessEvent, Entry, Export, Job, LedgerRecord
from diary.records.services import entry_amend
from tests.conftest import confirmed
from tests.factories import make_entry, upload
from tests.jobs import worker_runs_it


class Recorder:
    """What long work says of its progress, in order."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, int]] = []
        self.steps: dict[str, int] = {}

    def stage(self, name: str, total: int = 0) -> None:
        self.stages.append((name, total))
        self.steps[name] = 0

    def step(self, count: int = 1) -> None:
        self.steps[self.stages[-1][0]] += count


@pytest.fixture
def one_authority(settings, tsa):
    settings.TIMESTAMP_URLS = [tsa.url]
    settings.TIMESTAMP_CA_CERTS = [str(tsa.ca_pem)]
    return tsa


ASK = {"since": "", "until": ""}  # the export form as a browser posts it


def exports_made(owner) -> int:
    return Export.objects.filter(diary=owner.diary).count()


# Asking: one at a time


def test_a_second_tap_joins_the_bundle_under_way_and_one_bundle_is_made(owner, owner_client):
    make_entry(owner)
    with worker_runs_it():
        first = owner_client.post(reverse("diary:exports"), ASK)
        second = owner_client.post(reverse("diary:exports"), ASK, follow=True)
        job = Job.objects.get()
        assert first.url == reverse("diary:job", args=[job.pk])
        assert second.redirect_chain[-1][0] == reverse("diary:job", args=[job.pk])
        assert str(messages.BUNDLE_ALREADY_UNDER_WAY) in second.content.decode()
        assert Job.objects.count() == 1 and exports_made(owner) == 0  # not yet: on commit
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.DONE, 1)
    assert exports_made(owner) == 1
    assert LedgerRecord.objects.filter(diary=owner.diary, kind="export.create").count() == 1
    assert AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.EXPORT).count() == 1


def test_the_api_answers_202_at_once_and_a_second_request_joins_the_same_job(owner, api):
    make_entry(owner)
    first = api.post(reverse("api:exports"), {}, format="json")
    second = api.post(reverse("api:exports"), {"title": "Other"}, format="json")
    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["id"] == second.json()["id"]
    assert first["Location"] == second["Location"] == reverse("api:job", args=[first.json()["id"]])
    status = api.get(first["Location"]).json()
    assert (status["state"], status["percent"], status["export"]) == ("queued", 0, None)
    assert exports_made(owner) == 0


def test_once_a_bundle_is_done_the_next_request_makes_a_new_one(owner, owner_client):
    make_entry(owner)
    for _ in range(2):
        with worker_runs_it():
            owner_client.post(reverse("diary:exports"), ASK)
    assert Job.objects.filter(state=Job.State.DONE).count() == 2
    assert list(Export.objects.order_by("number").values_list("number", flat=True)) == [1, 2]


# Progress


def test_a_bundle_reports_each_stage_and_every_step_of_it(owner):
    for number in range(3):
        entry = make_entry(owner, what_happened=f"Entry {number}")
    from diary.evidence.services import evidence_attach

    evidence_attach(entry=entry, actor=owner, upload=upload())
    evidence_attach(entry=entry, actor=owner, upload=upload("b.jpg"))
    recorder = Recorder()
    export = export_create(diary=owner.diary, actor=owner, progress=recorder)
    # In a transaction already (the test's), no timestamp is asked for first.
    assert [name for name, _ in recorder.stages] == [
        "files",
        "chronology",
        "entries",
        "ledger",
        "checking",
    ]
    totals = dict(recorder.stages)
    assert totals == {
        "files": 2,
        "chronology": 1,
        "entries": 3,
        "ledger": export.head_seq,
        "checking": 1,
    }
    assert recorder.steps["files"] == 2 and recorder.steps["entries"] == 3
    assert recorder.steps["ledger"] == export.head_seq


def test_progress_is_written_to_the_job_with_its_heartbeat(owner):
    job = job_request(kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner).job
    job = job_claim(job_id=str(job.pk), worker="test:1")
    progress = Progress(job)
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        progress.stage("entries", 40)
        progress.step(10)
        progress._write(force=True)
        job.refresh_from_db()
        assert (job.stage, job.done, job.total, job.percent) == ("entries", 10, 40, 54)
        assert job.heartbeat_at == timezone.now()
    page = None
    from django.test import Client

    client = Client()
    client.force_login(owner)
    page = client.get(reverse("diary:job", args=[job.pk])).content.decode()
    assert 'value="54"' in page and "step 4 of 6: Entries (10 / 40)" in page
    # Without JavaScript the page refreshes itself while the work goes on.
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page


def test_a_job_handed_on_keeps_no_progress_from_its_old_worker(owner):
    job = job_request(kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner).job
    job = job_claim(job_id=str(job.pk), worker="old:1")
    Job.objects.filter(pk=job.pk).update(worker="new:2")
    progress = Progress(job)
    progress.stage("files", 5)
    progress._write(force=True)
    assert Job.objects.get(pk=job.pk).stage == ""


# When a worker stops


def stale(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_LEASE_SECONDS + 1)
    )


def test_a_job_whose_worker_stopped_is_tried_again_and_its_half_file_removed(owner):
    job = job_request(kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner).job
    job = job_claim(job_id=str(job.pk), worker="killed:1")
    half = filestore.save("exports/half.enc", io.BytesIO(b"half a bundle")).name
    Job.objects.filter(pk=job.pk).update(partial=half)
    assert jobs_revive() == 0  # its heartbeat is fresh: still alive
    stale(job)
    assert jobs_revive() == 1
    job.refresh_from_db()
    assert (job.state, job.attempts, job.partial, job.worker) == (Job.State.QUEUED, 1, "", "")
    assert not filestore.exists(half)
    # The next worker takes it and makes the bundle, once.
    with worker_runs_it():
        tasks.run_job.call(str(job.pk))
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.DONE, 2)
    assert exports_made(owner) == 1


def test_after_the_last_attempt_it_fails_with_the_reason_and_nothing_made(owner):
    job = job_request(kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner).job
    for attempt in range(settings.JOB_ATTEMPTS):
        job = job_claim(job_id=str(job.pk), worker=f"killed:{attempt}")
        assert job is not None
        stale(job)
        jobs_revive()
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.reason == GAVE_UP.format(attempts=settings.JOB_ATTEMPTS)
    assert job.params == {} and exports_made(owner) == 0
    page = owner_client_for(owner).get(reverse("diary:exports")).content.decode()
    assert "It could not be finished." in page and "stopped 3 times" in page


def owner_client_for(owner):
    from django.test import Client

    client = Client()
    client.force_login(owner)
    confirmed(client)
    return client


def test_work_that_raises_is_tried_again_then_fails_plainly(owner, monkeypatch):
    calls = []

    def broken(job, progress):
        calls.append(job.attempts)
        raise RuntimeError("a bug")

    monkeypatch.setitem(tasks.WORK, Job.Kind.BUNDLE, "tests.diary.test_jobs.BROKEN")
    monkeypatch.setattr("tests.diary.test_jobs.BROKEN", broken, raising=False)
    with worker_runs_it():
        job = job_request(kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner).job
    job.refresh_from_db()
    assert calls == [1, 2, 3]
    assert (job.state, job.reason) == (Job.State.FAILED, tasks.FAILED)
    assert "Traceback" not in job.reason and "a bug" not in job.reason


BROKEN = None


def test_a_worker_that_was_handed_on_records_nothing_when_it_finishes(owner, monkeypatch):
    make_entry(owner)
    job = job_request(kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner).job
    job = job_claim(job_id=str(job.pk), worker="slow:1")
    # While it worked, it was given up on and another worker took it.
    Job.objects.filter(pk=job.pk).update(worker="fast:2")
    from diary.bundle.jobs import STOPPED, bundle_build
    from diary.jobs.progress import NoProgress, PlainError

    with pytest.raises(PlainError, match=STOPPED):
        bundle_build(job, NoProgress())
    assert exports_made(owner) == 0
    assert not list((Path(settings.MEDIA_ROOT) / "exports").rglob("*.enc"))


# The other long work


def test_checking_the_records_from_the_page_is_a_job_that_says_what_it_found(owner, owner_client):
    entry = make_entry(owner)
    entry_amend(
        entry=entry,
        actor=owner,
        content={**entry.current.content_values(), "what_happened": "Amended"},
    )
    with worker_runs_it():
        response = owner_client.post(reverse("diary:records_check"))
    job = Job.objects.get(kind=Job.Kind.CHECK)
    assert response.url == reverse("diary:job", args=[job.pk])
    assert job.result["ok"] is True
    page = owner_client.get(response.url).content.decode()
    assert f"All {job.result['records']} of your records check out" in page
    # A record changed in place is found, and named.
    Entry.objects.filter(pk=entry.pk).update(received_at=timezone.now() - timedelta(days=9))
    with worker_runs_it():
        response = owner_client.post(reverse("diary:records_check"))
    page = owner_client.get(response.url).content.decode()
    assert "Something does not match." in page and "record" in page


def test_tend_jobs_hands_on_stopped_jobs_and_asks_for_timestamps(owner, one_authority):
    make_entry(owner)
    job = job_request(kind=Job.Kind.CHECK, diary=owner.diary, actor=owner).job
    job = job_claim(job_id=str(job.pk), worker="killed:1")
    stale(job)
    out = io.StringIO()
    with worker_runs_it():
        call_command("tend_jobs", stdout=out)
    assert "1 stopped jobs handed on." in out.getvalue()
    assert "1 diaries to timestamp." in out.getvalue()
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.DONE, 2)
    anchored = Job.objects.get(kind=Job.Kind.ANCHOR)
    assert (anchored.state, anchored.result) == (Job.State.DONE, {"tokens": 1})
    assert owner.diary.timestamps.exists()


def test_a_backup_in_the_background_is_a_job_the_jobs_command_follows(owner, tmp_path):
    make_entry(owner)
    key = tmp_path / "backup.key"
    call_command("backup", "--make-key", str(key), stdout=io.StringIO())
    out = io.StringIO()
    with worker_runs_it():
        call_command(
            "backup",
            "--out",
            str(tmp_path / "b.backup"),
            "--key-file",
            str(key),
            "--in-background",
            stdout=out,
        )
    job = Job.objects.get(kind=Job.Kind.BACKUP)
    assert f"jobs --wait {job.pk}" in out.getvalue()
    assert (tmp_path / "b.backup").stat().st_size > 0
    assert job.result["files"] == 0 and job.result["rows"] > 0
    listed = io.StringIO()
    call_command("jobs", stdout=listed)
    assert f"{job.pk}" in listed.getvalue() and "backup" in listed.getvalue()
    followed = io.StringIO()
    call_command("jobs", "--wait", str(job.pk), stdout=followed)
    assert "done" in followed.getvalue()
    with pytest.raises(CommandError, match="There is no job"):
        call_command("jobs", "--wait", "not-a-job")
    # A missing key is said at once, not by the worker later.
    with pytest.raises(CommandError):
        call_command(
            "backup",
            "--out",
            str(tmp_path / "c.backup"),
            "--key-file",
            str(tmp_path / "none"),
            "--in-background",
        )


def test_key_rotation_in_the_background_is_a_job(owner):
    make_entry(owner)
    with worker_runs_it():
        call_command("rotate_keys", "--in-background", stdout=io.StringIO())
    job = Job.objects.get(kind=Job.Kind.ROTATE_KEYS)
    assert job.state == Job.State.DONE and "rows" in job.result


# A job left waiting with no task any worker will run


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def lease_later(settings):
    return timezone.now() + timedelta(seconds=settings.JOB_LEASE_SECONDS + 1)


@pytest.mark.django_db(transaction=True)
def test_a_job_never_handed_to_a_worker_is_handed_over_again_and_made(owner, settings):
    # Committed, but the process that asked died before handing it to the framework.
    job = Job.objects.create(
        kind=Job.Kind.BUNDLE, diary=owner.diary, requested_by=owner, params=bundle_params()
    )
    assert jobs_revive() == 0  # not yet: it may be being handed over this moment
    assert jobs_revive(now=lease_later(settings)) == 1
    job.refresh_from_db()  # the immediate backend ran it at once
    assert (job.state, job.attempts) == (Job.State.DONE, 1)
    assert job.export == Export.objects.get(diary=owner.diary)


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_died_before_claiming_it_is_handed_over_again(owner, settings):
    settings.TASKS = DATABASE_TASKS  # no worker runs here: the task waits in the database
    job = job_request(kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner).job
    job.refresh_from_db()
    first = job.task_id
    assert DBTaskResult.objects.get(pk=first).status == TaskResultStatus.READY
    # Waiting its turn behind busy workers, however long: left as it is.
    assert jobs_revive(now=lease_later(settings)) == 0

    # A worker took the task, and died before it could claim the job.
    DBTaskResult.objects.filter(pk=first).update(status=TaskResultStatus.RUNNING)
    assert jobs_revive(now=lease_later(settings)) == 1
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.attempts == 0
    assert job.task_id not in ("", first)
    assert DBTaskResult.objects.get(pk=first).status == TaskResultStatus.FAILED
    assert DBTaskResult.objects.get(pk=job.task_id).status == TaskResultStatus.READY
    # And asking again joins it, as ever: one at a time.
    again = job_request(kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner)
    assert again.joined and again.job.pk == job.pk
