"""The owner's safety pages: welcome, sessions and devices, the access log; the quick exit note."""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from diary import messages
from diary.gate import diary_for
from diary.models import Notice
from diary.safety import actions, selectors, services
from diary.safety.accounts import confirm_first
from diary.safety.forms import LockoutForm
from diary.safety.lockout import sections as lockout_sections
from diary.safety.sessions import QUICK_EXIT_SEEN, current_session_id
from diary.web.pages import left_site, posted_from_elsewhere
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
            "lockout_link": messages.LOCKOUT_LINK,
            "lockout_help": messages.LOCKOUT_LINK_HELP,
        },
    )


@require_POST
@login_required
def session_end(request: OwnerRequest, session_id: int) -> HttpResponse:
    session = selectors.open_session_get(actor=request.user, session_id=session_id)
    current = session.pk == current_session_id(request)
    if not current:
        # Signing this device out is never held up; ending another needs a confirmation.
        confirm_first(request)
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


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def lockout(request: OwnerRequest) -> HttpResponse:
    """Check who can reach your diary: everything that can, on one page, and one confirmed
    action that ends all of it but this session and the address she keeps. Then the same page
    shows what is left."""
    diary_for(request.user)
    addresses = selectors.email_addresses(actor=request.user)
    form = LockoutForm(
        request.POST if request.method == "POST" else None,
        addresses=selectors.addresses_to_keep(actor=request.user),
    )
    if request.method == "POST":
        confirm_first(request)
        if form.is_valid():
            done = actions.lockout(request=request, actor=request.user, keep=form.kept())
            flash.success(request, " ".join([str(messages.LOCKOUT_DONE), *done]))
            return redirect(f"{reverse('diary:lockout')}?done=1")
    session_id = current_session_id(request)
    second_steps = selectors.authenticators(actor=request.user)
    left = second_steps["recovery_codes_left"]
    codes_line = (
        messages.LOCKOUT_NO_RECOVERY_CODES
        if left is None
        else messages.LOCKOUT_RECOVERY_CODES % {"count": left}
    )
    return render(
        request,
        "diary/lockout.html",
        {
            "m": messages,
            "form": form,
            "sessions": list(selectors.open_sessions(actor=request.user)),
            "current_id": session_id,
            "addresses": addresses,
            "second_steps": second_steps,
            "recovery_codes_line": codes_line,
            "has_two_factor": is_mfa_enabled(request.user),
            "sections": lockout_sections(
                request=request, actor=request.user, session_id=session_id
            ),
            "done": request.GET.get("done") == "1",
        },
        status=400 if form.is_bound else 200,
    )


@require_GET
@login_required
def access_log(request: OwnerRequest) -> HttpResponse:
    diary_for(request.user)
    events = selectors.access_log(actor=request.user)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "diary/access_log.html",
        {"page": page, "query": "", "current_id": current_session_id(request), "m": messages},
    )


# No CSRF check: the session cookie is SameSite=Lax, so another site's POST arrives without
# it and ends nothing (a same-site page's, which carries it, is refused by
# posted_from_elsewhere), while a stale token must never keep her on the page.
@csrf_exempt
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """Leave this site, with or without JavaScript: this session is signed out (the access
    log and the sessions list hear of it as of any sign-out), then on to an ordinary site. Back
    then meets the sign-in page: no signed-in page may be kept in the browser's cache."""
    if request.user.is_authenticated and not posted_from_elsewhere(request):
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


@require_POST
@login_required
def access_notice_seen(request: OwnerRequest, event_id: int) -> HttpResponse:
    """She has read a notice (a reset, an address added): it leaves every page. Without
    JavaScript too: the form posts here and comes back to the page it was on."""
    notice = selectors.access_notice_get(actor=request.user, event_id=event_id)
    services.access_notice_dismiss(actor=request.user, event=notice.event)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("diary:timeline")
    return redirect(target)
