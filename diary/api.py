"""The owner's REST API. Each class does one job: check input, call a selector or service,
serialize the answer. Every read goes through the selectors' gate, so another owner gets 404."""

from typing import Any

from django.db import transaction
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diary import selectors, services
from diary.api_errors import (
    ERRORS,
    IDEMPOTENCY_KEY,
    call,
    form_errors,
    replay_response,
    require_confirmed,
    validated,
)
from diary.choices import Behaviour
from diary.downloads import stored_file_response
from diary.evidence import evidence_attach
from diary.export import export_create
from diary.forms import EntryFilterForm
from diary.idempotency import HEADER, Replayed, idempotency_of, idempotent
from diary.ledger import actor_label, ledger_verify
from diary.models import Entry, Export, Item, LedgerRecord
from diary.security import export_recorded
from diary.serializers import (
    EntryDetailSerializer,
    EntryInputSerializer,
    EntrySerializer,
    EvidenceInputSerializer,
    EvidenceSerializer,
    ExportInputSerializer,
    ExportSerializer,
    ItemDetailSerializer,
    ItemInputSerializer,
    ItemSerializer,
    LedgerRecordSerializer,
    VerificationSerializer,
    VersionSerializer,
    WithdrawalSerializer,
    WithdrawInputSerializer,
)

ENTRY_FILTERS = [
    OpenApiParameter("behaviour", OpenApiTypes.STR, enum=Behaviour.values),
    OpenApiParameter("since", OpenApiTypes.STR, description="A date or an ISO 8601 time."),
    OpenApiParameter("until", OpenApiTypes.STR, description="A date or an ISO 8601 time."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Words to look for."),
    OpenApiParameter("source", OpenApiTypes.STR, enum=Entry.Source.values),
    OpenApiParameter("with_evidence", OpenApiTypes.BOOL),
]


class EntryListCreateApi(generics.ListAPIView):
    serializer_class = EntrySerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Entry.objects.none()
        form = EntryFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ApiValidationError(form_errors(form))
        return selectors.entry_list(actor=self.request.user, filters=form.filters())

    @extend_schema(
        summary="The timeline: latest versions, newest first",
        parameters=ENTRY_FILTERS,
        responses={200: EntrySerializer(many=True), **ERRORS(400, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Record an entry",
        parameters=[IDEMPOTENCY_KEY],
        request=EntryInputSerializer,
        responses={201: EntryDetailSerializer, **ERRORS(400, 403, 404, 415, 422)},
    )
    def post(self, request: Request) -> Response:
        diary = selectors.diary_for(request.user)
        idempotency = idempotency_of(
            request.headers.get(HEADER),
            actor=actor_label(request.user),
            scope="api.entry",
            data=request.data,
        )
        content = validated(EntryInputSerializer, request.data)
        content.setdefault("occurred_start", timezone.now())
        try:
            with idempotent(idempotency, diary=diary) as answer:
                entry = call(
                    services.entry_create, diary=diary, actor=request.user, content=content
                )
                entry = selectors.entry_get(actor=request.user, entry_id=entry.pk)
                answer.set(status.HTTP_201_CREATED, EntryDetailSerializer(entry).data)
        except Replayed as replay:
            return replay_response(replay)
        return Response(answer.body, status=answer.status)


class EntryDetailApi(APIView):
    @extend_schema(
        summary="One entry with every version and file",
        responses={200: EntryDetailSerializer, **ERRORS(403, 404)},
    )
    def get(self, request: Request, entry_id: int) -> Response:
        entry = selectors.entry_get(actor=request.user, entry_id=entry_id)
        return Response(EntryDetailSerializer(entry).data)


class EntryAmendApi(APIView):
    @extend_schema(
        summary="Amend an entry: adds a version",
        description="Fields left out keep their value from the latest version.",
        request=EntryInputSerializer,
        responses={201: VersionSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = selectors.entry_get(actor=request.user, entry_id=entry_id)
        changes = validated(EntryInputSerializer, request.data, partial=True)
        content = {**entry.current.content_values(), **changes}
        version = call(services.entry_amend, entry=entry, actor=request.user, content=content)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class EntryWithdrawApi(APIView):
    @extend_schema(
        summary="Withdraw an entry from the timeline, with a reason",
        request=WithdrawInputSerializer,
        responses={201: WithdrawalSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = selectors.entry_get(actor=request.user, entry_id=entry_id)
        data = validated(WithdrawInputSerializer, request.data)
        withdrawal = call(
            services.entry_withdraw, entry=entry, actor=request.user, reason=data["reason"]
        )
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)


class EntryEvidenceApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Add one file to an entry",
        request={"multipart/form-data": EvidenceInputSerializer},
        responses={201: EvidenceSerializer, **ERRORS(400, 403, 404, 413)},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = selectors.entry_get(actor=request.user, entry_id=entry_id)
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
        evidence = selectors.evidence_get(actor=request.user, evidence_id=evidence_id)
        response = stored_file_response(
            evidence.original_file,
            filename=evidence.download_name,
            content_type=evidence.mime_type,
            size=evidence.size,
        )
        response["Cache-Control"] = "private, no-store"
        return response


class ItemListCreateApi(generics.ListAPIView):
    serializer_class = ItemSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Item.objects.none()
        return selectors.item_list(actor=self.request.user)

    @extend_schema(
        summary="The physical items register",
        responses={200: ItemSerializer(many=True), **ERRORS(403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Register a physical item",
        request=ItemInputSerializer,
        responses={201: ItemDetailSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        diary = selectors.diary_for(request.user)
        content = validated(ItemInputSerializer, request.data, context={"diary": diary})
        content.setdefault("found_at", timezone.now())
        item = call(services.item_create, diary=diary, actor=request.user, content=content)
        item = selectors.item_get(actor=request.user, item_id=item.pk)
        return Response(ItemDetailSerializer(item).data, status=status.HTTP_201_CREATED)


class ItemDetailApi(APIView):
    @extend_schema(
        summary="One item with every version",
        responses={200: ItemDetailSerializer, **ERRORS(403, 404)},
    )
    def get(self, request: Request, item_id: int) -> Response:
        item = selectors.item_get(actor=request.user, item_id=item_id)
        return Response(ItemDetailSerializer(item).data)


class ItemAmendApi(APIView):
    @extend_schema(
        summary="Amend an item: adds a version",
        description="Fields left out keep their value from the latest version.",
        request=ItemInputSerializer,
        responses={201: ItemDetailSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = selectors.item_get(actor=request.user, item_id=item_id)
        changes = validated(
            ItemInputSerializer, request.data, partial=True, context={"diary": item.diary}
        )
        content = {**item.current.content_values(), **changes}
        call(services.item_amend, item=item, actor=request.user, content=content)
        item = selectors.item_get(actor=request.user, item_id=item.pk)
        return Response(ItemDetailSerializer(item).data, status=status.HTTP_201_CREATED)


class LedgerListApi(generics.ListAPIView):
    serializer_class = LedgerRecordSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return LedgerRecord.objects.none()
        return selectors.ledger_list(actor=self.request.user)

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
        diary = selectors.diary_for(request.user)
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


class ExportListCreateApi(generics.ListAPIView):
    serializer_class = ExportSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Export.objects.none()
        return selectors.export_list(actor=self.request.user)

    @extend_schema(
        summary="Past exports, newest first, with the ledger head each was made at",
        responses={200: ExportSerializer(many=True), **ERRORS(403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Make a bundle for the police",
        description="Covers entries in the period and of the kinds given (default: all).",
        request=ExportInputSerializer,
        responses={201: ExportSerializer, **ERRORS(400, 403)},
    )
    def post(self, request: Request) -> Response:
        diary = selectors.diary_for(request.user)
        data = validated(ExportInputSerializer, request.data)
        require_confirmed(request._request, then=reverse("diary:exports"))
        with transaction.atomic():
            export = call(
                export_create,
                diary=diary,
                actor=request.user,
                since=data.get("since"),
                until=data.get("until"),
                behaviours=data.get("behaviours", []),
                include_contacts=data["include_contacts"],
                include_reasons=data["include_reasons"],
            )
            export_recorded(request=request._request, export=export)
        return Response(ExportSerializer(export).data, status=status.HTTP_201_CREATED)


class ExportDownloadApi(APIView):
    @extend_schema(
        summary="The bundle, as a zip download",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            **ERRORS(403, 404),
        },
    )
    def get(self, request: Request, export_id: int) -> FileResponse:
        export = selectors.export_get(actor=request.user, export_id=export_id)
        require_confirmed(request._request, then=reverse("diary:exports"))
        export_recorded(request=request._request, export=export, downloaded=True)
        response = stored_file_response(
            export.bundle_file,
            filename=export.download_name,
            content_type="application/zip",
            size=export.size,
        )
        response["Cache-Control"] = "private, no-store"
        return response
