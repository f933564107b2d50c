"""The API of bundles: make one, list them, download one."""

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diary.bundle.actions import bundle_download, bundle_request
from diary.bundle.selectors import export_get, export_list
from diary.bundle.serializers import ExportInputSerializer, ExportSerializer
from diary.gate import diary_for
from diary.jobs.serializers import JobSerializer
from diary.models import Export
from diary.web.api_errors import (
    ERRORS,
    call,
    require_confirmed,
    validated,
)


class ExportListCreateApi(generics.ListAPIView):
    serializer_class = ExportSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Export.objects.none()
        return export_list(actor=self.request.user)

    @extend_schema(
        summary="Past exports, newest first, with the ledger head each was made at",
        responses={200: ExportSerializer(many=True), **ERRORS(403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Ask for a bundle: every entry, file and record, to hand on",
        description=(
            "Covers entries in the period and of the kinds given (default: all). The bundle "
            "is made in the background: the answer is 202 with the job (its `url`, also in "
            "the Location header), which says how far it has got and, once done, which "
            "bundle it made. While one is being made, asking again joins it (the same job)."
        ),
        request=ExportInputSerializer,
        responses={202: JobSerializer, **ERRORS(400, 403)},
    )
    def post(self, request: Request) -> Response:
        diary = diary_for(request.user)
        data = validated(ExportInputSerializer, request.data)
        require_confirmed(request._request, then=reverse("diary:exports"))
        asked = call(
            bundle_request,
            request=request._request,
            diary=diary,
            actor=request.user,
            since=data.get("since"),
            until=data.get("until"),
            behaviours=data.get("behaviours", []),
            include_contacts=data["include_contacts"],
            include_reasons=data["include_reasons"],
            title=data["title"],
            owner_name=data["owner_name"],
        )
        body = JobSerializer(asked.job).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ExportDownloadApi(APIView):
    @extend_schema(
        summary="The bundle, as a zip download",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            **ERRORS(403, 404),
        },
    )
    def get(self, request: Request, export_id: int) -> FileResponse:
        export = export_get(actor=request.user, export_id=export_id)
        require_confirmed(request._request, then=reverse("diary:exports"))
        return bundle_download(request=request._request, export=export)
