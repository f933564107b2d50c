"""The API of the timeline, entries and items. Each class does one job: check input, call a
selector or service, serialize the answer.
"""

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diary.gate import diary_for
from diary.ledger.services import actor_label
from diary.models import Entry, Item
from diary.models.choices import Behaviour
from diary.records import services
from diary.records.actions import entry_record
from diary.records.forms import EntryFilterForm
from diary.records.selectors import entries_to_link, entry_get, entry_list, item_get, item_list
from diary.records.serializers import (
    EntryDetailSerializer,
    EntryInputSerializer,
    EntrySerializer,
    ItemDetailSerializer,
    ItemInputSerializer,
    ItemSerializer,
    VersionWithChangesSerializer,
    WithdrawalSerializer,
    WithdrawInputSerializer,
    version_with_changes,
)
from diary.web.api_errors import (
    ERRORS,
    IDEMPOTENCY_KEY,
    answered,
    call,
    form_errors,
    require_confirmed,
    validated,
)
from diary.web.idempotency import HEADER, idempotency_of

ENTRY_FILTERS = [
    OpenApiParameter("behaviour", OpenApiTypes.STR, enum=Behaviour.values),
    OpenApiParameter("since", OpenApiTypes.STR, description="A date or an ISO 8601 time."),
    OpenApiParameter("until", OpenApiTypes.STR, description="A date or an ISO 8601 time."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Words to look for."),
    OpenApiParameter("source", OpenApiTypes.STR, enum=Entry.Source.values),
    OpenApiParameter("with_evidence", OpenApiTypes.BOOL),
]


# The API can read every entry in a few requests, which the pages never do: it asks for a
# recent confirmation first, like a bundle. The owner's own pages stay free.
BULK_READ = "Needs a recent confirmation that it is you (403 with `confirm_url` otherwise)."


class EntryListCreateApi(generics.ListAPIView):
    serializer_class = EntrySerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Entry.objects.none()
        form = EntryFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ApiValidationError(form_errors(form))
        return entry_list(actor=self.request.user, filters=form.filters())

    @extend_schema(
        summary="The timeline: latest versions, newest first",
        parameters=ENTRY_FILTERS,
        description=BULK_READ,
        responses={200: EntrySerializer(many=True), **ERRORS(400, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_confirmed(request._request, then=reverse("diary:timeline"))
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Record an entry",
        parameters=[IDEMPOTENCY_KEY],
        request=EntryInputSerializer,
        responses={201: EntryDetailSerializer, **ERRORS(400, 403, 404, 415, 422)},
    )
    def post(self, request: Request) -> Response:
        diary = diary_for(request.user)
        idempotency = idempotency_of(
            request.headers.get(HEADER),
            actor=actor_label(request.user),
            scope="api.entry",
            data=request.data,
        )
        content = validated(EntryInputSerializer, request.data)
        content.setdefault("occurred_start", timezone.now())

        def created(entry: Entry) -> tuple[int, Any]:
            entry = entry_get(actor=request.user, entry_id=entry.pk)
            return status.HTTP_201_CREATED, EntryDetailSerializer(entry).data

        answer = call(
            entry_record,
            diary=diary,
            actor=request.user,
            content=content,
            idempotency=idempotency,
            answer=created,
        )
        return answered(answer)


class EntryDetailApi(APIView):
    @extend_schema(
        summary="One entry with every version and file",
        description=BULK_READ,
        responses={200: EntryDetailSerializer, **ERRORS(403, 404)},
    )
    def get(self, request: Request, entry_id: int) -> Response:
        entry = entry_get(actor=request.user, entry_id=entry_id)
        require_confirmed(request._request, then=reverse("diary:entry", args=[entry.pk]))
        return Response(EntryDetailSerializer(entry).data)


class EntryAmendApi(APIView):
    @extend_schema(
        summary="Amend an entry: adds a version",
        description="Fields left out keep their value from the latest version.",
        request=EntryInputSerializer,
        responses={201: VersionWithChangesSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = entry_get(actor=request.user, entry_id=entry_id)
        changes = validated(EntryInputSerializer, request.data, partial=True)
        earlier = entry.current
        assert earlier is not None  # every saved entry has one
        content = {**earlier.content_values(), **changes}
        version = call(services.entry_amend, entry=entry, actor=request.user, content=content)
        return Response(version_with_changes(version, earlier), status=status.HTTP_201_CREATED)


class EntryWithdrawApi(APIView):
    @extend_schema(
        summary="Withdraw an entry from the timeline, with a reason",
        request=WithdrawInputSerializer,
        responses={201: WithdrawalSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = entry_get(actor=request.user, entry_id=entry_id)
        data = validated(WithdrawInputSerializer, request.data)
        require_confirmed(request._request, then=reverse("diary:entry", args=[entry.pk]))
        withdrawal = call(
            services.entry_withdraw, entry=entry, actor=request.user, reason=data["reason"]
        )
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)


class ItemListCreateApi(generics.ListAPIView):
    serializer_class = ItemSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Item.objects.none()
        return item_list(actor=self.request.user)

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
        diary = diary_for(request.user)
        content = validated(
            ItemInputSerializer,
            request.data,
            context={"entries": entries_to_link(actor=request.user, withdrawn_too=True)},
        )
        content.setdefault("found_at", timezone.now())
        item = call(services.item_create, diary=diary, actor=request.user, content=content)
        item = item_get(actor=request.user, item_id=item.pk)
        return Response(ItemDetailSerializer(item).data, status=status.HTTP_201_CREATED)


class ItemDetailApi(APIView):
    @extend_schema(
        summary="One item with every version",
        responses={200: ItemDetailSerializer, **ERRORS(403, 404)},
    )
    def get(self, request: Request, item_id: int) -> Response:
        item = item_get(actor=request.user, item_id=item_id)
        return Response(ItemDetailSerializer(item).data)


class ItemAmendApi(APIView):
    @extend_schema(
        summary="Amend an item: adds a version",
        description="Fields left out keep their value from the latest version.",
        request=ItemInputSerializer,
        responses={201: ItemDetailSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = item_get(actor=request.user, item_id=item_id)
        changes = validated(
            ItemInputSerializer,
            request.data,
            partial=True,
            context={"entries": entries_to_link(actor=request.user, withdrawn_too=True)},
        )
        assert item.current is not None  # every saved item has one
        content = {**item.current.content_values(), **changes}
        call(services.item_amend, item=item, actor=request.user, content=content)
        item = item_get(actor=request.user, item_id=item.pk)
        return Response(ItemDetailSerializer(item).data, status=status.HTTP_201_CREATED)
