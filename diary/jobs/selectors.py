"""Reads of jobs, through the gate: an owner sees her own diary's, and nobody else's."""

from typing import Any

from django.http import Http404

from diary.gate import diary_for
from diary.models import Job


def job_get(*, actor: Any, job_id: Any) -> Job:
    diary = diary_for(actor)
    try:
        return Job.objects.select_related("export").get(diary=diary, pk=job_id)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def job_latest(*, actor: Any, kind: str) -> Job | None:
    """The job of this kind under way, or else the last one (to say how it ended)."""
    jobs = Job.objects.filter(diary=diary_for(actor), kind=kind).select_related("export")
    return jobs.filter(state__in=Job.ACTIVE).first() or jobs.order_by("-created_at").first()
