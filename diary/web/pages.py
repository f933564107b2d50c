"""Pages that belong to no feature: where `/` leads, and the page a server error shows."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import loader


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("diary:timeline")
    return redirect("account_login")


def server_error(request: HttpRequest) -> HttpResponse:
    html = loader.get_template("500.html").render({"QUICK_EXIT_URL": settings.QUICK_EXIT_URL})
    return HttpResponse(html, status=500)
