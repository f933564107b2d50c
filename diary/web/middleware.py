"""Middleware every page passes: the owner's time zone, and responses no cache may keep."""

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from diary.gate import diary_for
from diary.safety.signals import CLEAR_SITE_DATA
from diary.web.client import acting


class TitledRequest(HttpRequest):
    """A signed-in owner's request, with the title the page's header shows
    (diary.web.context_processors)."""

    diary_title: str


class OwnerTimeZoneMiddleware:
    """Show every time in the signed-in owner's own zone; store UTC regardless."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        diary = None
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            try:
                diary = diary_for(request.user)
            except Http404:
                diary = None
        if diary is not None:
            timezone.activate(diary.time_zone)
            cast(TitledRequest, request).diary_title = diary.title
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class PrivateResponseMiddleware:
    """Nothing the app renders is kept by a browser or proxy cache (so no diary page comes
    back from cache after sign-out); a strict Permissions-Policy; and signing out asks the
    browser to clear this site's cache, cookies and storage."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            add_never_cache_headers(response)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if getattr(request, CLEAR_SITE_DATA, False):
            response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        return response


class ActingRequestMiddleware:
    """Makes this request the one services name in the access log (diary.web.client)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting(request):
            return self.get_response(request)
