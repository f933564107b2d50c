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


def left_site(request: HttpRequest) -> HttpResponse:
    """The answer to "Leave this site", once its session has ended: on to the ordinary site
    (or, for the script's beacon, nothing), asking the browser to drop this site's cookies,
    cache and storage."""
    if request.POST.get("beacon"):
        response = HttpResponse(status=204)
    else:
        response = redirect(settings.QUICK_EXIT_URL)
    response["Referrer-Policy"] = "no-referrer"
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    add_never_cache_headers(response)
    return response
