"""How the witness API knows who is asking: the session cookie their link opened, never a user.

An unknown, revoked or expired session is simply not authenticated; `IsWitness` then refuses it
with one neutral message, the same for all three, that says nothing about whose link it was.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from witnesses import messages, selectors
from witnesses.models import WitnessDevice
from witnesses.services.links import device_seen


class WitnessAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[AnonymousUser, WitnessDevice] | None:
        device = selectors.witness_actor(request.COOKIES.get(settings.WITNESS_COOKIE_NAME))
        if device is None:
            return None
        # A cookie rides along with any request the browser makes, so a forged cross-site
        # POST would carry it too: check CSRF exactly as DRF does for session cookies.
        SessionAuthentication().enforce_csrf(request)
        device_seen(device)
        return AnonymousUser(), device


class IsWitness(BasePermission):
    message = messages.LINK_NOT_ACTIVE

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, WitnessDevice)


def witness_device(request: Request) -> WitnessDevice:
    """The device a witness endpoint's request came from: IsWitness lets no other in."""
    device = request.auth
    assert isinstance(device, WitnessDevice)
    return device


class WitnessCookieScheme(OpenApiAuthenticationExtension):
    target_class = WitnessAuthentication
    name = "witnessCookie"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.WITNESS_COOKIE_NAME,
            "description": "The session a witness link opens at /w/<token>.",
        }
