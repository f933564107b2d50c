"""The owner's check of her own records, from the page: a job a worker runs, as a bundle is."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from diary.gate import diary_for
from diary.jobs.services import job_request
from diary.models import Job
from diary.web.requests import OwnerRequest


@require_POST
@login_required
def records_check(request: OwnerRequest) -> HttpResponse:
    asked = job_request(kind=Job.Kind.CHECK, diary=diary_for(request.user), actor=request.user)
    return redirect("diary:job", job_id=asked.job.pk)
