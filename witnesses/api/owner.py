"""The owner's API about contacts: inviting and their links, the brief, the inbox."""

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diary.gate import diary_for
from diary.web.api_errors import (
    ERRORS,
    call,
    require_confirmed,
    validated,
)
from witnesses import selectors
from witnesses.api.serializers import (
    INBOX_FILTERS,
    BriefInputSerializer,
    BriefSerializer,
    ExtendInputSerializer,
    InboxFilterSerializer,
    InboxSubmissionSerializer,
    InviteInputSerializer,
    KeepAsideInputSerializer,
    SharingInputSerializer,
    WitnessDetailSerializer,
    WitnessSerializer,
    WitnessWithLinkSerializer,
    blank_brief,
)
from witnesses.models import BriefVersion, Submission, Witness
from witnesses.services.brief import brief_update
from witnesses.services.links import link_extend, link_reissue, link_revoke, witness_invite
from witnesses.services.sharing import witness_sharing_set
from witnesses.services.submissions import submission_accept, submission_keep_aside


# The owner's side
def _contact_page(witness: Witness) -> str:
    return reverse("witnesses:contact", args=[witness.pk])


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
        require_confirmed(request._request, then=reverse("witnesses:contacts"))
        witness, token = call(
            witness_invite, diary=diary, actor=request.user, request=request, **data
        )
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
        call(link_revoke, witness=witness, actor=request.user)
        return _witness(request, witness.pk)


class WitnessReissueApi(APIView):
    @extend_schema(
        summary="Replace a contact's link: the old one stops working, the new one is shown once",
        request=None,
        responses={201: WitnessWithLinkSerializer, **ERRORS(400, 403, 404)},
    )
    def post(self, request: Request, witness_id: int) -> Response:
        witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
        require_confirmed(request._request, then=_contact_page(witness))
        token = call(link_reissue, witness=witness, actor=request.user, request=request)
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
        require_confirmed(request._request, then=_contact_page(witness))
        call(
            link_extend,
            witness=witness,
            actor=request.user,
            days=data.get("days"),
            request=request,
        )
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
        require_confirmed(request._request, then=_contact_page(witness))
        call(
            witness_sharing_set,
            witness=witness,
            actor=request.user,
            sharing=data["sharing"],
            sees_photo=data.get("sees_photo", witness.sees_photo),
            one_device=data.get("one_device", witness.one_device),
        )
        return _witness(request, witness.pk)


class BriefApi(APIView):
    uploads_at_most = 1  # the photo (diary.web.body_size)

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
        require_confirmed(request._request, then=reverse("witnesses:brief"))
        photo = changes.pop("photo", None)
        remove_photo = changes.pop("remove_photo", False)
        content = {name: getattr(current, name) for name in BriefVersion.CONTENT_FIELDS}
        brief = call(
            brief_update,
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
        description="Every report in full, in bulk (accepted ones are entries): needs a "
        "recent confirmation that it is you (403 with `confirm_url` otherwise).",
        responses={200: InboxSubmissionSerializer(many=True), **ERRORS(400, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_confirmed(request._request, then=reverse("witnesses:inbox"))
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
        call(submission_accept, submission=submission, actor=request.user)
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
        require_confirmed(
            request._request, then=reverse("witnesses:submission", args=[submission.pk])
        )
        call(
            submission_keep_aside,
            submission=submission,
            actor=request.user,
            reason=data["reason"],
        )
        return _submission(request, submission.pk, status.HTTP_200_OK)
