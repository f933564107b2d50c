"""A job's own page: how far it has got, live; without JavaScript it refreshes itself."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from diary.jobs.selectors import job_get
from diary.web.requests import OwnerRequest


@require_GET
@login_required
def job_page(request: OwnerRequest, job_id: str) -> HttpResponse:
    job = job_get(actor=request.user, job_id=job_id)
    response = render(request, "diary/job.html", {"job": job})
    response["Cache-Control"] = "no-store"
    return response
