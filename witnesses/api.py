"""The witness REST API: the owner's contacts, brief and inbox, and a witness's own side.

Each class does one job: check input, call a selector or service, serialize the answer. The
owner's endpoints use the session like the rest of the API and reach data only through the
selectors' gate, so another owner gets 404. A witness's endpoints are authenticated by the
cookie their link opened, never by a user session, and refuse anything else with one neutral
message.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diary.gate import diary_for
from diary.models import Entry
from diary.web.api_errors import (
    ERRORS,
    IDEMPOTENCY_KEY,
    DetailSerializer,
    call,
    errors_for,
    replay_response,
    validated,
)
from diary.web.idempotency import HEADER, Replayed, idempotency_of, idempotency_replay, idempotent
from witnesses import messages, selectors, services
from witnesses.authentication import IsWitness, WitnessAuthentication
from witnesses.models import BriefVersion, Submission, Witness
from witnesses.serializers import (
    INBOX_FILTERS,
    BriefInputSerializer,
    BriefSerializer,
    ExtendInputSerializer,
    FollowUpInputSerializer,
    FollowUpSerializer,
    InboxFilterSerializer,
    InboxSubmissionSerializer,
    InviteInputSerializer,
    KeepAsideInputSerializer,
    ReceiptSerializer,
    SharedEntrySerializer,
    SharingInputSerializer,
    SubmissionInputSerializer,
    WitnessBriefSerializer,
    WitnessDetailSerializer,
    WitnessSerializer,
    WitnessWithLinkSerializer,
    blank_brief,
)

TOO_MANY = {
    429: OpenApiResponse(DetailSerializer, description="Too many sends from this link this hour.")
}
NOT_A_WITNESS = {
    403: OpenApiResponse(
        DetailSerializer,
        description="The link is unknown, revoked or expired (one message for all three), "
        "or the CSRF check failed.",
    )
}


# The owner's side


def _witness(request: Request, witness_id: int, code: int = status.HTTP_200_OK) -> Response:
    witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
    return Response(WitnessDetailSerializer(witness).data, status=code)


def _with_link(request: Request, witness_id: int, token: str) -> Response:
    witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
    link = request.build_absolute_uri(reverse("witness:open", args=[token]))
    data = WitnessWithLinkSerializer(witness, context={"link": link}).data
    # The token is never stored: this answer is the only copy, so nothing may keep it.
    return Response(data, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class WitnessListCreateApi(generics.ListAPIView):
    serializer_class = WitnessSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Witness.objects.none()
        return selectors.witness_list(actor=self.request.user)

    @extend_schema(
        summary="Your contacts",
        responses={200: WitnessSerializer(many=True), **ERRORS(403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Invite a contact: returns their link, once",
        request=InviteInputSerializer,
        responses={201: WitnessWithLinkSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        diary = diary_for(request.user)
        data = validated(InviteInputSerializer, request.data)
        witness, token = call(services.witness_invite, diary=diary, actor=request.user, **data)
        return _with_link(request, witness.pk, token)


class WitnessDetailApi(APIView):
    @extend_schema(
        summary="One contact with their links and the devices that opened them",
        responses={200: WitnessDetailSerializer, **ERRORS(403, 404)},
    )
    def get(self, request: Request, witness_id: int) -> Response:
        return _witness(request, witness_id)


class WitnessRevokeApi(APIView):
    @extend_schema(
        summary="End a contact's link at once, on every device",
        request=None,
        responses={200: WitnessDetailSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, witness_id: int) -> Response:
        witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
        call(services.link_revoke, witness=witness, actor=request.user)
        return _witness(request, witness.pk)


class WitnessReissueApi(APIView):
    @extend_schema(
        summary="Replace a contact's link: the old one stops working, the new one is shown once",
        request=None,
        responses={201: WitnessWithLinkSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, witness_id: int) -> Response:
        witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
        token = call(services.link_reissue, witness=witness, actor=request.user)
        return _with_link(request, witness.pk, token)


class WitnessExtendApi(APIView):
    @extend_schema(
        summary="Make a contact's link last longer",
        request=ExtendInputSerializer,
        responses={200: WitnessDetailSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, witness_id: int) -> Response:
        witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
        data = validated(ExtendInputSerializer, request.data)
        call(services.link_extend, witness=witness, actor=request.user, days=data.get("days"))
        return _witness(request, witness.pk)


class WitnessSharingApi(APIView):
    @extend_schema(
        summary="Choose what a contact can see",
        request=SharingInputSerializer,
        responses={200: WitnessDetailSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, witness_id: int) -> Response:
        witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
        data = validated(SharingInputSerializer, request.data)
        call(
            services.witness_sharing_set,
            witness=witness,
            actor=request.user,
            sharing=data["sharing"],
            sees_photo=data.get("sees_photo", witness.sees_photo),
        )
        return _witness(request, witness.pk)


class BriefApi(APIView):
    @extend_schema(
        summary="What your contacts are shown",
        description="Before the first version: empty fields, the default safety advice, and "
        "`number` and `recorded_at` null.",
        responses={200: BriefSerializer, **ERRORS(403)},
    )
    def get(self, request: Request) -> Response:
        brief = selectors.brief_for_owner(actor=request.user)
        return Response(BriefSerializer(brief or blank_brief()).data)

    @extend_schema(
        summary="Write a new version of the brief",
        description="Fields left out keep their value from the latest version; so does the "
        "photo, unless a new one is sent or `remove_photo` is true. Send multipart to include "
        "a photo.",
        request=BriefInputSerializer,
        responses={200: BriefSerializer, **ERRORS(400, 403, 404)},
    )
    def put(self, request: Request) -> Response:
        diary = diary_for(request.user)
        current = selectors.brief_latest(diary) or blank_brief()
        changes = validated(BriefInputSerializer, request.data)
        photo = changes.pop("photo", None)
        remove_photo = changes.pop("remove_photo", False)
        content = {name: getattr(current, name) for name in BriefVersion.CONTENT_FIELDS}
        brief = call(
            services.brief_update,
            diary=diary,
            actor=request.user,
            content={**content, **changes},
            photo=photo,
            remove_photo=remove_photo,
        )
        return Response(BriefSerializer(brief).data)


class InboxListApi(generics.ListAPIView):
    serializer_class = InboxSubmissionSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Submission.objects.none()
        filters = validated(InboxFilterSerializer, self.request.query_params)
        return selectors.inbox_list(actor=self.request.user, status=filters["status"])

    @extend_schema(
        summary="What your contacts sent, newest first",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=INBOX_FILTERS, default="pending")
        ],
        responses={200: InboxSubmissionSerializer(many=True), **ERRORS(400, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _submission(request: Request, submission_id: int, code: int) -> Response:
    submission = selectors.submission_get(actor=request.user, submission_id=submission_id)
    return Response(InboxSubmissionSerializer(submission).data, status=code)


class InboxAcceptApi(APIView):
    @extend_schema(
        summary="Add a submission to your timeline, with its files, credited to its sender",
        request=None,
        responses={201: InboxSubmissionSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, submission_id: int) -> Response:
        submission = selectors.submission_get(actor=request.user, submission_id=submission_id)
        call(services.submission_accept, submission=submission, actor=request.user)
        return _submission(request, submission.pk, status.HTTP_201_CREATED)


class InboxHideApi(APIView):
    @extend_schema(
        summary="Keep a submission aside, with a reason only you see",
        request=KeepAsideInputSerializer,
        responses={200: InboxSubmissionSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, submission_id: int) -> Response:
        submission = selectors.submission_get(actor=request.user, submission_id=submission_id)
        data = validated(KeepAsideInputSerializer, request.data)
        call(
            services.submission_keep_aside,
            submission=submission,
            actor=request.user,
            reason=data["reason"],
        )
        return _submission(request, submission.pk, status.HTTP_200_OK)


# A witness's side


class TooManySends(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = messages.TOO_MANY_SENDS
    default_code = "too_many_sends"


class WitnessAccess:
    """For a witness's endpoints: their link's cookie is the only way in."""

    authentication_classes = [WitnessAuthentication]
    permission_classes = [IsWitness]

    def permission_denied(self, request: Request, message: Any = None, code: Any = None) -> None:
        # DRF would say "not authenticated" when there is no cookie at all; a witness gets the
        # same neutral message whether the link is unknown, revoked or expired.
        raise PermissionDenied(detail=message, code=code)

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        response["Cache-Control"] = "private, no-store"  # phones are shared and borrowed
        return response


def _witness_call(service: Any, **kwargs: Any) -> Any:
    """Run a service for a witness: an ended link is a 403, bad input a 400."""
    try:
        return service(**kwargs)
    except services.LinkInactive:
        raise PermissionDenied(messages.LINK_NOT_ACTIVE) from None
    except ValidationError as error:
        raise ApiValidationError(errors_for(error)) from None


class WitnessBriefApi(WitnessAccess, APIView):
    @extend_schema(
        summary="The brief: who to look out for, and how to keep safe",
        responses={200: WitnessBriefSerializer, **NOT_A_WITNESS},
    )
    def get(self, request: Request) -> Response:
        brief = selectors.witness_brief(device=request.auth)
        context = {"witness": request.auth.link.witness}
        return Response(WitnessBriefSerializer(brief or blank_brief(), context=context).data)


class WitnessTimelineApi(WitnessAccess, generics.ListAPIView):
    serializer_class = SharedEntrySerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Entry.objects.none()
        return selectors.witness_timeline(device=self.request.auth)

    @extend_schema(
        summary="The entries shared with you (none unless the owner chose to share)",
        responses={200: SharedEntrySerializer(many=True), **NOT_A_WITNESS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WitnessSubmissionsApi(WitnessAccess, generics.ListAPIView):
    serializer_class = ReceiptSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Submission.objects.none()
        return selectors.witness_submissions(device=self.request.auth)

    @extend_schema(
        summary="What you sent, newest first",
        responses={200: ReceiptSerializer(many=True), **NOT_A_WITNESS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Send what you saw or heard; returns your receipt",
        description="Send multipart to include files (several `files` parts). A retry with "
        "the same `Idempotency-Key` gets the first receipt and does not count against the "
        "hourly limit.",
        parameters=[IDEMPOTENCY_KEY],
        request=SubmissionInputSerializer,
        responses={
            201: ReceiptSerializer,
            **ERRORS(400, 415, 422),
            **NOT_A_WITNESS,
            **TOO_MANY,
        },
    )
    def post(self, request: Request) -> Response:
        device = request.auth
        witness = device.link.witness
        idempotency = idempotency_of(
            request.headers.get(HEADER),
            actor=services.witness_label(witness),
            scope="api.submission",
            data=request.data,
        )
        try:
            # A retry on a bad signal must not use up the link's allowance.
            replay = idempotency_replay(idempotency)
            if replay is not None:
                raise replay
            if not services.submission_rate_ok(device.link):
                raise TooManySends
            content = validated(SubmissionInputSerializer, request.data)
            uploads = content.pop("files", [])
            content.setdefault("occurred_start", timezone.now())
            with idempotent(idempotency, diary=witness.diary) as answer:
                submission = _witness_call(
                    services.submission_create, device=device, content=content, uploads=uploads
                )
                submission = selectors.witness_submission_get(
                    device=device, reference=submission.reference
                )
                answer.set(status.HTTP_201_CREATED, ReceiptSerializer(submission).data)
        except Replayed as replay:
            return replay_response(replay)
        return Response(answer.body, status=answer.status)


class WitnessFollowUpApi(WitnessAccess, APIView):
    @extend_schema(
        summary="Add a note to something you sent; what you sent stays as it was",
        request=FollowUpInputSerializer,
        responses={
            201: FollowUpSerializer,
            **ERRORS(400),
            **NOT_A_WITNESS,
            404: OpenApiResponse(
                DetailSerializer, description="You sent nothing with this reference."
            ),
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        submission = selectors.witness_submission_get(device=request.auth, reference=reference)
        data = validated(FollowUpInputSerializer, request.data)
        follow_up = _witness_call(
            services.follow_up_add, device=request.auth, submission=submission, text=data["text"]
        )
        return Response(FollowUpSerializer(follow_up).data, status=status.HTTP_201_CREATED)
