"""Pages that belong to no feature: where `/` leads, where "Leave this site" goes, and the page
a server error shows."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import loader
from django.utils.cache import add_never_cache_headers


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("diary:timeline")
    return redirect("account_login")


def server_error(request: HttpRequest) -> HttpResponse:
    html = loader.get_template("500.html").render({"QUICK_EXIT_URL": settings.QUICK_EXIT_URL})
    return HttpResponse(html, status=500)


def posted_from_elsewhere(request: HttpRequest) -> bool:
    """The browser says another site's page sent this (another port or subdomain of this host
    counts as same-site, and so carries SameSite=Lax cookies): "Leave this site" has no CSRF
    token, so such a post must end nothing."""
    return request.headers.get("Sec-Fetch-Site", "") in ("cross-site", "same-site")


def left_site(request: HttpRequest) -> HttpResponse:
    """The answer to "Leave this site", once its session has ended: on to the ordinary site
    (or, for the script's beacon, nothing), asking the browser to drop this site's cookies,
    cache and storage (not for a post from another site's page, which ended nothing)."""
    if request.POST.get("beacon"):
        response = HttpResponse(status=204)
    else:
        response = redirect(settings.QUICK_EXIT_URL)
    response["Referrer-Policy"] = "no-referrer"
    if not posted_from_elsewhere(request):
        response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    add_never_cache_headers(response)
    return response


def may_record(response: HttpResponse) -> HttpResponse:
    """A page with "Record now" (diary/_recorder.html) may use this site's own camera and
    microphone, and only when she taps record; every other page may not (PERMISSIONS_POLICY).
    No other site, nor any frame, gets either."""
    policy = settings.PERMISSIONS_POLICY.replace("camera=()", "camera=(self)").replace(
        "microphone=()", "microphone=(self)"
    )
    response["Permissions-Policy"] = policy
    return response
