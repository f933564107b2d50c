"""The owner's safety pages: welcome, sessions and devices, the access log; the quick exit note."""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from diary.gate import diary_for
from diary.models import Notice
from diary.safety import selectors, services
from diary.safety.accounts import confirm_first
from diary.safety.sessions import QUICK_EXIT_SEEN, current_session_id
from diary.web.pages import left_site
from diary.web.requests import OwnerRequest

PAGE_SIZE = 50
NOTE_COOKIE_DAYS = 400


@require_http_methods(["GET", "POST"])
@login_required
def welcome(request: OwnerRequest) -> HttpResponse:
    """After sign-up (and the first sign-in): use a device the other person never had, and
    add a second step to signing in — offered, never forced."""
    diary_for(request.user)
    if request.method == "POST":
        services.notice_dismiss(user=request.user, kind=Notice.Kind.WELCOME)
        return redirect("diary:timeline")
    return render(
        request,
        "diary/welcome.html",
        {
            "has_two_factor": is_mfa_enabled(request.user),
            # allauth adds a second step only to a confirmed address, so that nobody can sign
            # up with someone else's address first and lock its owner out with their own code.
            "email_confirmed": selectors.has_confirmed_address(actor=request.user),
        },
    )


@require_GET
@login_required
def sessions(request: OwnerRequest) -> HttpResponse:
    diary_for(request.user)
    return render(
        request,
        "diary/sessions.html",
        {
            "sessions": list(selectors.open_sessions(actor=request.user)),
            "current_id": current_session_id(request),
            "has_two_factor": is_mfa_enabled(request.user),
        },
    )


@require_POST
@login_required
def session_end(request: OwnerRequest, session_id: int) -> HttpResponse:
    session = selectors.open_session_get(actor=request.user, session_id=session_id)
    current = session.pk == current_session_id(request)
    services.session_end(request=request, session=session)
    if current:
        return redirect("account_login")
    flash.success(request, _("That session is signed out."))
    return redirect("diary:sessions")


@require_POST
@login_required
def sessions_end_others(request: OwnerRequest) -> HttpResponse:
    diary_for(request.user)
    confirm_first(request)
    count = services.sessions_end_others(request=request, actor=request.user)
    flash.success(
        request,
        ngettext(
            "Signed out everywhere else (%(count)s session). This one stays signed in.",
            "Signed out everywhere else (%(count)s sessions). This one stays signed in.",
            count,
        )
        % {"count": count},
    )
    return redirect("diary:sessions")


@require_GET
@login_required
def access_log(request: OwnerRequest) -> HttpResponse:
    diary_for(request.user)
    events = selectors.access_log(actor=request.user)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "diary/access_log.html", {"page": page, "query": ""})


# No CSRF check: the session cookie is SameSite=Lax, so another site's POST arrives without
# it and ends nothing, while a stale token must never keep her on the page.
@csrf_exempt
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """Leave this site, with or without JavaScript: this session is signed out (the access
    log and the sessions list hear of it as of any sign-out), then on to an ordinary site. Back
    then meets the sign-in page: no signed-in page may be kept in the browser's cache."""
    if request.user.is_authenticated:
        get_account_adapter(request).logout(request)
    return left_site(request)


@require_POST
def quick_exit_seen(request: HttpRequest) -> HttpResponse:
    """The note on what the quick exit cannot do has been read: an owner's account remembers
    it; anyone else's browser does, in a cookie. Works without JavaScript."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    if request.user.is_authenticated:
        services.notice_dismiss(user=request.user, kind=Notice.Kind.QUICK_EXIT)
        request.session[QUICK_EXIT_SEEN] = True
    else:
        response.set_cookie(
            settings.QUICK_EXIT_NOTE_COOKIE,
            "1",
            max_age=NOTE_COOKIE_DAYS * 86_400,
            httponly=True,
            samesite="Lax",
            secure=settings.HTTPS,
        )
    return response
