"""The API of jobs: how a piece of background work is going."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diary.jobs.selectors import job_get
from diary.jobs.serializers import JobSerializer
from diary.web.api_errors import ERRORS


class JobApi(APIView):
    @extend_schema(
        summary="How a piece of background work (a bundle) is going",
        description=(
            "`state` is queued, running, done or failed; while it runs, `stage`, `done` and "
            "`total` say how far it has got. A job whose worker stopped is tried again "
            "(`attempts` counts them); one that could not finish says why in `reason`. Once "
            "done, `export` names the bundle it made."
        ),
        responses={200: JobSerializer, **ERRORS(403, 404)},
    )
    def get(self, request: Request, job_id: Any) -> Response:
        job = job_get(actor=request.user, job_id=job_id)
        response = Response(JobSerializer(job).data)
        response["Cache-Control"] = "no-store"
        return response
