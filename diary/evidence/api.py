"""The API of evidence files: add one to an entry, fetch an original, correct its kind."""

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diary.evidence.selectors import evidence_get
from diary.evidence.serializers import (
    EvidenceInputSerializer,
    EvidenceKindInputSerializer,
    EvidenceSerializer,
)
from diary.evidence.services import evidence_attach, evidence_kind_correct
from diary.records.selectors import entry_get
from diary.web.api_errors import ERRORS, call, require_confirmed, validated
from diary.web.downloads import kept_file_response


class EntryEvidenceApi(APIView):
    parser_classes = [MultiPartParser, FormParser]
    uploads_at_most = 1  # diary.web.body_size

    @extend_schema(
        summary="Add one file to an entry",
        request={"multipart/form-data": EvidenceInputSerializer},
        responses={201: EvidenceSerializer, **ERRORS(400, 403, 404, 413)},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = entry_get(actor=request.user, entry_id=entry_id)
        data = validated(EvidenceInputSerializer, request.data)
        evidence = call(
            evidence_attach,
            entry=entry,
            actor=request.user,
            upload=data["file"],
            kind=data.get("kind", ""),
            description=data.get("description", ""),
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceOriginalApi(APIView):
    @extend_schema(
        summary="The original file, byte for byte, as a download",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            **ERRORS(403, 404),
        },
    )
    def get(self, request: Request, evidence_id: int) -> FileResponse:
        evidence = evidence_get(actor=request.user, evidence_id=evidence_id)
        require_confirmed(request._request, then=reverse("diary:entry", args=[evidence.entry_id]))
        return kept_file_response(evidence, filename=evidence.download_name)


class EvidenceKindApi(APIView):
    @extend_schema(
        summary="Correct what a file is (a screenshot taken for a photo)",
        description="Appends a correction, with its ledger record: the kind the file came in "
        "as is kept (`kind_received`), and `kind` is the corrected one from then on.",
        request=EvidenceKindInputSerializer,
        responses={201: EvidenceSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, evidence_id: int) -> Response:
        evidence = evidence_get(actor=request.user, evidence_id=evidence_id)
        data = validated(EvidenceKindInputSerializer, request.data)
        call(evidence_kind_correct, evidence=evidence, actor=request.user, kind=data["kind"])
        evidence = evidence_get(actor=request.user, evidence_id=evidence.pk)
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)
