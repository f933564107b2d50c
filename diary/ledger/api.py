"""The API of the ledger: its records, the whole check, and a signed head to give away."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diary.bundle.actions import head_download
from diary.gate import diary_for
from diary.ledger.selectors import ledger_list
from diary.ledger.serializers import LedgerRecordSerializer, VerificationSerializer
from diary.ledger.verify import ledger_verify
from diary.models import LedgerRecord
from diary.web.api_errors import (
    ERRORS,
)


class LedgerListApi(generics.ListAPIView):
    serializer_class = LedgerRecordSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return LedgerRecord.objects.none()
        return ledger_list(actor=self.request.user)

    @extend_schema(
        summary="The diary's ledger, oldest first",
        responses={200: LedgerRecordSerializer(many=True), **ERRORS(403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class LedgerVerifyApi(APIView):
    @extend_schema(
        summary="Check the whole chain, every content hash and every file",
        responses={200: VerificationSerializer, **ERRORS(403)},
    )
    def get(self, request: Request) -> Response:
        diary = diary_for(request.user)
        result = ledger_verify(diary=diary)
        return Response(
            VerificationSerializer(
                {
                    "ok": result.ok,
                    "records": result.records,
                    "head": result.heads.get(diary.pk),
                    "problem": str(result.problem) if result.problem else None,
                }
            ).data
        )


class LedgerHeadApi(APIView):
    @extend_schema(
        summary="A signed head: the ledger's last record, signed, to send to someone you trust",
        description="`head-<diary>-<seq>.json` (`sightline-head/1`, docs/export-format.md): no "
        "words of the diary. `python3 verify.py BUNDLE --earlier FILE` checks a later bundle "
        "against it. Each download is in the access log.",
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            **ERRORS(403),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        return head_download(request=request._request)
