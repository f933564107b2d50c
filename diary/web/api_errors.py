"""How the API says no: field errors as `{field: [message, ...]}`, anything else as
`{"detail": message}`; and the matching entries for the OpenAPI schema."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from diary.web.idempotency import HEADER, Answered


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


_RESPONSES = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="The input was not accepted. Each field name (or `non_field_errors`) "
        "maps to a list of messages to show.",
    ),
    403: OpenApiResponse(
        DetailSerializer,
        description="Not signed in; or, for exports, not confirmed it is you in the last few "
        "minutes (then `confirm_url` says where to).",
    ),
    404: OpenApiResponse(DetailSerializer, description="No such thing in your diary."),
    413: OpenApiResponse(DetailSerializer, description="The upload is too large."),
    415: OpenApiResponse(DetailSerializer, description="That content type is not accepted."),
    422: OpenApiResponse(
        DetailSerializer,
        description="The `Idempotency-Key` was already used for a different request.",
    ),
}

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    OpenApiParameter.HEADER,
    description="Optional. A new random key (a UUID) per record; send the same key again "
    "only to retry the same request. A retry within the retention window (24 hours by "
    "default) gets the first answer, with the same status and body, and records nothing "
    "again; the same key with a different body gets 422. Keys are yours alone.",
)


def ERRORS(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: _RESPONSES[code] for code in codes}


def errors_for(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name): messages
            for name, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


def form_errors(form: forms.BaseForm) -> dict[str, list[str]]:
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name): [
            str(message) for message in messages
        ]
        for name, messages in form.errors.items()
    }


def validated(serializer_class: type, data: Any, **kwargs: Any) -> dict[str, Any]:
    """Validate request data with an input serializer; a 400 with field errors otherwise."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def call(service: Any, **kwargs: Any) -> Any:
    """Run a service; its ValidationError becomes a 400 with field errors."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        raise ApiValidationError(errors_for(error)) from None


def require_confirmed(request: HttpRequest, *, then: str) -> None:
    """A 403 unless the owner confirmed it is them in the last few minutes (the same rule and
    the same confirmation page as the site's)."""
    from diary.messages import CONFIRM_FIRST
    from diary.safety.accounts import recently_confirmed

    if not recently_confirmed(request):
        confirm_url = f"{reverse('account_reauthenticate')}?next={then}"
        raise PermissionDenied({"detail": CONFIRM_FIRST, "confirm_url": confirm_url})


def answered(answer: Answered) -> Response:
    """A send's answer; a retry answered with the first send's answer says so in a header."""
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return Response(answer.body, status=answer.status, headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    if isinstance(exc, ValidationError):
        exc = ApiValidationError(errors_for(exc))
    return drf_exception_handler(exc, context)
