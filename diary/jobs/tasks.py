"""The one task the framework runs: a job, by its id. Which work it is lives on the job, so a
job tried again after its worker died is the same job, with the same progress bar."""

import logging
import os
import socket

from django.utils.module_loading import import_string
from django_tasks import task

from diary.jobs.progress import PlainError, Progress
from diary.jobs.services import job_attempt_failed, job_claim, job_finish
from diary.models import Job

logger = logging.getLogger(__name__)

# What each kind of job does: a function of (job, progress) in the feature that owns the work,
# named here by path so this package imports none of them. It returns the job's result (or
# None), and the job is marked done with it, unless the work ended the job itself (a bundle
# ends its job in the transaction that records it).
WORK: dict[str, str] = {
    Job.Kind.BUNDLE: "diary.bundle.jobs.bundle_build",
    Job.Kind.CHECK: "diary.ledger.jobs.records_check",
    Job.Kind.ANCHOR: "diary.ledger.jobs.head_anchor",
    Job.Kind.BACKUP: "diary.ops.jobs.backup_make",
    Job.Kind.ROTATE_KEYS: "diary.ops.jobs.keys_rotate",
    Job.Kind.IMPORT_READ: "diary.imports.jobs.import_read",
    Job.Kind.IMPORT_ADD: "diary.imports.jobs.import_add",
}

FAILED = (
    "Something went wrong and it could not finish. Nothing half-made was kept. You can try "
    "again; if it happens again, tell whoever runs this site."
)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@task()
def run_job(job_id: str) -> str:
    job = job_claim(job_id=job_id, worker=worker_name())
    if job is None:
        return "not waiting"  # finished, or taken by another worker already
    work = import_string(WORK[job.kind])
    try:
        with Progress(job) as progress:
            result = work(job, progress)
    except PlainError as error:
        job_attempt_failed(job=job, reason=str(error), final=True)
        return "failed"
    except Exception:
        logger.exception("job %s (%s) failed on attempt %s", job.pk, job.kind, job.attempts)
        job_attempt_failed(job=job, reason=FAILED)
        return "failed"
    if job.state != Job.State.DONE:
        job_finish(job=job, result=result)
    return "done"
