"""Every write to a job: asking for one (or joining the one already running), a worker taking
it, finishing it, and trying again a job whose worker stopped."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from diary.core import filestore
from diary.models import Diary, Job, User

GAVE_UP = (
    "The work stopped {attempts} times before it finished, so it was not tried again. Nothing "
    "half-made was kept. You can ask again; if it stops again, tell whoever runs this site."
)


@dataclass(frozen=True)
class Asked:
    job: Job
    joined: bool  # True: that work was already under way, and this request joined it


def _enqueue(job: Job) -> None:
    """Hand the job to the task framework once the row is committed (a worker that looked
    sooner would not find it)."""
    from diary.jobs.tasks import run_job

    def send() -> None:
        result = run_job.enqueue(str(job.pk))
        Job.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id))

    transaction.on_commit(send)


def job_request(
    *,
    kind: str,
    diary: Diary | None = None,
    actor: User | None = None,
    params: dict[str, Any] | None = None,
    session_id: int | None = None,
    address: str | None = None,
    browser: str = "",
) -> Asked:
    """Ask for a job, or join the one of the same kind already waiting or running for this
    diary (one at a time: a second tap on "Make the bundle" makes no second bundle)."""
    if diary is not None:
        running = _active(diary, kind)
        if running is not None:
            return Asked(running, joined=True)
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                diary=diary,
                requested_by=actor,
                params=params or {},
                requested_in=session_id,
                requested_from=address,
                browser=browser,
            )
            _enqueue(job)
    except IntegrityError:
        # Another request asked at the same moment and won: join that one.
        running = _active(diary, kind) if diary is not None else None
        if running is None:
            raise
        return Asked(running, joined=True)
    _published(job)
    return Asked(job, joined=False)


def _active(diary: Diary, kind: str) -> Job | None:
    return Job.objects.filter(diary=diary, kind=kind, state__in=Job.ACTIVE).first()


def job_claim(*, job_id: str, worker: str) -> Job | None:
    """A worker takes the job: None if it is not waiting (finished, or taken by another)."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != Job.State.QUEUED:
            return None
        job.state = Job.State.RUNNING
        job.attempts += 1
        job.worker = worker
        job.started_at = job.started_at or now
        job.heartbeat_at = job.updated_at = now
        job.stage, job.done, job.total = "", 0, 0
        job.save()
    _published(job)
    return job


def job_still_ours(job: Job) -> bool:
    """Inside a transaction: lock the job and say whether this worker's attempt still holds it
    (not given up on as stopped and handed to another worker meanwhile)."""
    current = Job.objects.select_for_update().filter(pk=job.pk).values("state", "worker").first()
    return current == {"state": Job.State.RUNNING, "worker": job.worker}


def job_finish(*, job: Job, export: Any = None, result: dict[str, Any] | None = None) -> None:
    """Mark the job done, in the caller's transaction when there is one: a bundle, its ledger
    record and its job's end commit together, or none of them does."""
    now = timezone.now()
    job.state, job.finished_at, job.updated_at = Job.State.DONE, now, now
    job.partial, job.params = "", {}  # what was asked goes once it is done
    job.export = export
    job.result = result or {}
    job.save(
        update_fields=[
            "state",
            "finished_at",
            "updated_at",
            "partial",
            "params",
            "export",
            "result",
        ]
    )
    _published(job)


def job_attempt_failed(*, job: Job, reason: str, final: bool = False) -> Job:
    """This attempt did not finish: remove what it half-made, and try again, or after the
    last attempt (or a `final` failure, which would only fail again) say why it stopped."""
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        if current.state != Job.State.RUNNING or current.worker != job.worker:
            return current  # already handed on: the next attempt owns it now
        _retry_or_fail(current, reason, final=final)
    return current


def _retry_or_fail(job: Job, reason: str, *, final: bool = False) -> None:
    filestore.delete(job.partial)
    job.partial = ""
    now = timezone.now()
    job.updated_at = now
    job.worker, job.heartbeat_at = "", None
    if final or job.attempts >= settings.JOB_ATTEMPTS:
        job.state, job.finished_at, job.reason = Job.State.FAILED, now, reason
        job.params = {}
    else:
        job.state, job.task_id = Job.State.QUEUED, ""
        _enqueue(job)
    job.save()
    _published(job)


def jobs_revive(*, now: Any = None) -> int:
    """Jobs whose worker has stopped answering (its heartbeat is older than JOB_LEASE_SECONDS:
    killed, or its machine lost) are tried again, up to JOB_ATTEMPTS in all; and waiting jobs
    no worker will ever take are handed to the framework again. Returns how many."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.JOB_LEASE_SECONDS)
    revived = _lost_in_the_queue(now, stale)
    ids = Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=stale).values_list(
        "pk", flat=True
    )
    for job_id in list(ids):
        with transaction.atomic():
            job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if job is None or job.state != Job.State.RUNNING or job.heartbeat_at >= stale:
                continue
            _abandon_task(job.task_id)
            _retry_or_fail(job, GAVE_UP.format(attempts=job.attempts))
            revived += 1
    return revived


def _lost_in_the_queue(now: Any, stale: Any) -> int:
    """A job can wait with no task that any worker will run: the web process died between
    committing it and handing it over (`_enqueue` runs after the commit), or the worker that
    took its task died before it could claim the job. Nothing else would ever move it, and as
    the one active job of its kind it would hold that diary's every later request. Such a job
    is handed over again (a task still waiting for a free worker is left as it is)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    handed = 0
    ids = Job.objects.filter(state=Job.State.QUEUED, updated_at__lt=stale).values_list(
        "pk", flat=True
    )
    for job_id in list(ids):
        with transaction.atomic():
            job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if job is None or job.state != Job.State.QUEUED or job.updated_at >= stale:
                continue
            if (
                job.task_id
                and DBTaskResult.objects.filter(
                    pk=job.task_id, status=TaskResultStatus.READY
                ).exists()
            ):
                continue  # waiting its turn: the workers are busy
            _abandon_task(job.task_id)
            job.task_id, job.updated_at = "", now
            job.save(update_fields=["task_id", "updated_at"])
            _enqueue(job)
            handed += 1
    return handed


def _abandon_task(task_id: str) -> None:
    """The task framework's row of an attempt whose worker died stays "running" for ever; it
    is marked failed, so the framework's own pruning and admin tell the truth."""
    if not task_id:
        return
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="diary.jobs.WorkerStopped",
        traceback="The worker stopped answering; the job was handed on.",
    )


def _published(job: Job) -> None:
    from diary.live.events import job_changed

    job_changed(job)
