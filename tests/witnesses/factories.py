"""Witnesses and what they send, made through the services so every row has its ledger record."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from diary.models import User
from witnesses import selectors
from witnesses.models import Submission, Witness, WitnessDevice
from witnesses.services.links import witness_invite
from witnesses.services.submissions import submission_create

PHONE = "Mozilla/5.0 (Linux; Android 14) Chrome/120"


def make_witness(owner: User, **fields: Any) -> tuple[Witness, str]:
    """An invited witness and their link's token."""
    fields = {"name": "Pat", "relationship": "neighbour", **fields}
    return witness_invite(diary=owner.diary, actor=owner, **fields)


def witness_api_client(
    token: str, *, enforce_csrf_checks: bool = False, user_agent: str = PHONE
) -> APIClient:
    """An API client holding the witness session cookie that opening `token`'s link sets."""
    client = APIClient(enforce_csrf_checks=enforce_csrf_checks, HTTP_USER_AGENT=user_agent)
    response = client.get(f"/w/{token}")
    assert response.status_code == 302, response.status_code
    return client


def device_of(client: Any) -> WitnessDevice:
    device = selectors.witness_actor(client.cookies[settings.WITNESS_COOKIE_NAME].value)
    assert device is not None
    return device


def submission_content(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "saw",
        "occurred_start": timezone.now() - timedelta(hours=1),
        "location": "Outside the station",
        "what_happened": "The grey car was parked opposite the house again.",
        **overrides,
    }


def make_submission(
    device: WitnessDevice, uploads: Sequence[UploadedFile] = (), **overrides: Any
) -> Submission:
    return submission_create(
        device=device, content=submission_content(**overrides), uploads=uploads
    )
