from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from diary import messages
from diary.accounts import recently_confirmed
from diary.models import OwnerSession
from diary.security import session_check, session_follow_key
from diary.selectors import diary_for
from diary.signals import CLEAR_SITE_DATA, SIGN_OUT_HOW


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
            request.diary_title = diary.title  # type: ignore[attr-defined]
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


SIGNED_OUT_BECAUSE = {
    OwnerSession.Ended.IDLE: messages.SIGNED_OUT_IDLE,
    OwnerSession.Ended.TOO_LONG: messages.SIGNED_OUT_TOO_LONG,
    OwnerSession.Ended.ENDED: messages.SIGNED_OUT_ENDED,
}


class OwnerSessionMiddleware:
    """Every signed-in request: sign out a session that is idle, too old or was ended, and
    keep its last seen (at most once a minute). An ended session's cookie already signs nobody
    in, since ending deletes the session; this is the second lock on the same door."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            reason = session_check(request)
            if reason:
                setattr(request, SIGN_OUT_HOW, reason)
                logout(request)
                flash.info(request, SIGNED_OUT_BECAUSE[reason])
        response = self.get_response(request)
        if request.user.is_authenticated:
            session_follow_key(request)
        return response


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


class ConfirmBeforePasswordChangeMiddleware:
    """allauth asks for the current password to change it, and nothing more; here the page
    itself needs a fresh confirmation (with two-step sign-in on, the second step), so someone
    at an open session who knows the password cannot lock the owner out. Asked before the
    form is shown, so no password is ever parked in the session while confirming."""

    URL_NAMES = frozenset({"account_change_password", "account_set_password"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> Any:
        match = request.resolver_match
        if match is None or match.url_name not in self.URL_NAMES:
            return None
        if not request.user.is_authenticated or recently_confirmed(request):
            return None
        methods = get_account_adapter(request).get_reauthentication_methods(request.user)
        target = f"{methods[0]['url']}?{urlencode({'next': request.path})}"
        return HttpResponseRedirect(target)
