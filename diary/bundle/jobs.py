"""A bundle as a job: made by a worker from what the owner asked on the page or the API, its
progress shown as it goes, and recorded (ledger, access log, the job's end) in one
transaction once it is complete and checked."""

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from diary.bundle.services import export_create
from diary.jobs.progress import PlainError, Reports
from diary.jobs.services import job_finish, job_still_ours
from diary.models import Export, Job
from diary.safety.services import export_recorded_for_job

STOPPED = "This bundle was handed to another worker; this copy was not kept."


def bundle_params(**filters: Any) -> dict[str, Any]:
    """What the owner asked for, as the job keeps it (JSON)."""
    params = dict(filters)
    for key in ("since", "until"):
        value = params.get(key)
        params[key] = value.isoformat() if isinstance(value, datetime) else value
    params["behaviours"] = sorted(params.get("behaviours") or [])
    return params


def _filters(params: dict[str, Any]) -> dict[str, Any]:
    filters = dict(params)
    for key in ("since", "until"):
        filters[key] = parse_datetime(filters[key]) if filters.get(key) else None
    return filters


def bundle_build(job: Job, progress: Reports) -> None:
    diary = job.diary
    if diary is None:
        raise PlainError("This job has no diary to make a bundle of.")

    def writing(name: str) -> None:
        Job.objects.filter(pk=job.pk, worker=job.worker).update(partial=name)
        job.partial = name

    def then(export: Export) -> None:
        if not job_still_ours(job):
            raise PlainError(STOPPED)
        export_recorded_for_job(job=job, export=export)
        job_finish(job=job, export=export)

    export_create(
        diary=diary,
        actor=job.requested_by,
        progress=progress,
        writing=writing,
        then=then,
        **_filters(job.params),
    )
