"""tend_jobs' round (jobs_revive) for a job left waiting with no task any worker will run: the
web process died between committing the job and handing it over, or the worker that took its
task died before claiming it. The real worker processes are in tests/test_jobs_worker.py."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from diary.bundle.jobs import bundle_params
from diary.jobs.services import job_request, jobs_revive
from diary.models import Export, Job

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
