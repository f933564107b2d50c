"""Requests as a view sees them once a decorator or middleware has vouched for them."""

from typing import TypeGuard

from django.http import HttpRequest

from diary.models import User


class OwnerRequest(HttpRequest):
    """Past `login_required`: the user is a signed-in owner, never an AnonymousUser."""

    user: User


def is_owner_request(request: HttpRequest) -> TypeGuard[OwnerRequest]:
    """The test `login_required` makes, for code that is not behind it."""
    return request.user.is_authenticated
