"""A contact's API: the brief, what is shared with them, and sending (their link's cookie is
the only way in).
"""

from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diary.models import Entry
from diary.web.api_errors import (
    ERRORS,
    IDEMPOTENCY_KEY,
    DetailSerializer,
    answered,
    errors_for,
    validated,
)
from diary.web.idempotency import HEADER, idempotency_of
from witnesses import messages, selectors
from witnesses.api.authentication import IsWitness, WitnessAuthentication, witness_device
from witnesses.api.serializers import (
    EarlierSendSerializer,
    FollowUpInputSerializer,
    FollowUpSerializer,
    ReceiptSerializer,
    SharedEntrySerializer,
    SubmissionInputSerializer,
    WitnessBriefSerializer,
    blank_brief,
)
from witnesses.contact.actions import TooManySends, follow_up_send, submission_send
from witnesses.models import Submission
from witnesses.services.limits import TooMany, retry_after
from witnesses.services.links import device_leave, witness_label
from witnesses.services.submissions import MAX_FILES, LinkInactive

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


# A witness's side
class SendLimitReached(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = messages.TOO_MANY_SENDS
    default_code = "too_many_sends"

    def __init__(self, wait: int, detail: Any = None) -> None:
        super().__init__(detail)
        self.wait = wait  # DRF sends it as Retry-After


class FollowUpLimitReached(SendLimitReached):
    default_detail = messages.TOO_MANY_FOLLOW_UPS
    default_code = "too_many_follow_ups"


# WitnessAccess is mixed into DRF views; to the type checker it is one already.
if TYPE_CHECKING:
    ApiViewMixinBase = APIView
else:
    ApiViewMixinBase = object


class WitnessAccess(ApiViewMixinBase):
    """For a witness's endpoints: their link's cookie is the only way in."""

    authentication_classes = [WitnessAuthentication]
    permission_classes = [IsWitness]

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> NoReturn:
        # DRF would say "not authenticated" when there is no cookie at all; a witness gets the
        # same neutral message whether the link is unknown, revoked or expired.
        raise PermissionDenied(detail=message, code=code)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"  # phones are shared and borrowed
        return response


def _witness_call(service: Any, **kwargs: Any) -> Any:
    """Run a service for a witness: an ended link is a 403, bad input a 400."""
    try:
        return service(**kwargs)
    except LinkInactive:
        raise PermissionDenied(messages.LINK_NOT_ACTIVE) from None
    except ValidationError as error:
        raise ApiValidationError(errors_for(error)) from None


class WitnessBriefApi(WitnessAccess, APIView):
    @extend_schema(
        summary="The brief: who to look out for, and how to keep safe",
        responses={200: WitnessBriefSerializer, **NOT_A_WITNESS},
    )
    def get(self, request: Request) -> Response:
        device = witness_device(request)
        brief = selectors.witness_brief(device=device)
        context = {"witness": device.link.witness}
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
    uploads_at_most = MAX_FILES  # diary.web.body_size

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
        device = witness_device(request)
        witness = device.link.witness
        idempotency = idempotency_of(
            request.headers.get(HEADER),
            actor=witness_label(witness),
            scope="api.submission",
            data=request.data,
        )
        content = validated(SubmissionInputSerializer, request.data)
        uploads = content.pop("files", [])
        content.setdefault("occurred_start", timezone.now())

        def receipt(submission: Submission) -> tuple[int, Any]:
            # The rows just written, as witness_submissions reads them: nothing read back.
            return status.HTTP_201_CREATED, ReceiptSerializer(submission).data

        try:
            answer = _witness_call(
                submission_send,
                device=device,
                content=content,
                uploads=uploads,
                idempotency=idempotency,
                answer=receipt,
            )
        except TooManySends:
            raise SendLimitReached(retry_after()) from None
        return answered(answer)


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
            429: OpenApiResponse(
                DetailSerializer, description="Too many notes from this device or link this hour."
            ),
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        submission = selectors.witness_submission_get(device=request.auth, reference=reference)
        data = validated(FollowUpInputSerializer, request.data)
        try:
            follow_up = _witness_call(
                follow_up_send, device=request.auth, submission=submission, text=data["text"]
            )
        except TooMany as limit:
            raise FollowUpLimitReached(limit.retry_after) from None
        return Response(FollowUpSerializer(follow_up).data, status=status.HTTP_201_CREATED)


class WitnessEarlierApi(WitnessAccess, APIView):
    @extend_schema(
        summary="When you sent something from another phone or browser (times only)",
        responses={200: EarlierSendSerializer(many=True), **NOT_A_WITNESS},
    )
    def get(self, request: Request) -> Response:
        times = selectors.witness_earlier_sends(device=witness_device(request))
        earlier = [{"received_at": at} for at in times]
        return Response(EarlierSendSerializer(earlier, many=True).data)


class WitnessLeaveApi(WitnessAccess, APIView):
    @extend_schema(
        summary="Leave: this device's session ends; opening the link again starts a new one",
        request=None,
        responses={204: None, **NOT_A_WITNESS},
    )
    def post(self, request: Request) -> Response:
        device_leave(device=witness_device(request))
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response.delete_cookie(settings.WITNESS_COOKIE_NAME)
        return response
