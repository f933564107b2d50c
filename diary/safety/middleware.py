"""Middleware that holds a session to its limits, and asks to confirm before account changes."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.reauthentication import suspend_request
from django.contrib import messages as flash
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from diary import messages
from diary.models import OwnerSession
from diary.safety.accounts import recently_confirmed
from diary.safety.services import recovery_codes_shown, session_check, session_follow_key
from diary.safety.signals import SIGN_OUT_HOW
from diary.web.requests import is_owner_request

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
        if is_owner_request(request):
            reason = session_check(request)
            if reason:
                setattr(request, SIGN_OUT_HOW, reason)
                logout(request)
                flash.info(request, SIGNED_OUT_BECAUSE[reason])
        response = self.get_response(request)
        if request.user.is_authenticated:
            session_follow_key(request)
        return response


class ConfirmBeforePasswordChangeMiddleware:
    """allauth asks for the current password to change it, and nothing more; here the page
    itself needs a fresh confirmation (with two-step sign-in on, the second step), so someone
    at an open session who knows the password cannot lock the owner out. Asked before the
    form is shown, so no password is ever parked in the session while confirming.

    On the e-mail page every change needs one too: allauth asks before adding, removing or
    making an address primary, and here also before sending a verification mail again, so
    no key that verifies an address leaves without a confirmation."""

    URL_NAMES = frozenset({"account_change_password", "account_set_password"})
    POST_URL_NAMES = frozenset({"account_email"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> Any:
        match = request.resolver_match
        if match is None:
            return None
        whole_page = match.url_name in self.URL_NAMES
        a_change = match.url_name in self.POST_URL_NAMES and request.method == "POST"
        if not (whole_page or a_change):
            return None
        if not request.user.is_authenticated or recently_confirmed(request):
            return None
        methods = get_account_adapter(request).get_reauthentication_methods(request.user)
        if a_change:
            # allauth keeps the form and sends it on once confirmed, as for its own checks.
            return suspend_request(request, methods[0]["url"])
        target = f"{methods[0]['url']}?{urlencode({'next': request.path})}"
        return HttpResponseRedirect(target)


class RecoveryCodesShownMiddleware:
    """allauth shows the recovery codes (or sends them as a file) with no signal: whoever
    copies them can sign in without the phone, so each time they are shown is logged."""

    URL_NAMES = frozenset({"mfa_view_recovery_codes", "mfa_download_recovery_codes"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if (
            match is not None
            and match.url_name in self.URL_NAMES
            and response.status_code == 200
            and request.user.is_authenticated
        ):
            recovery_codes_shown(request=request)
        return response
