from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from diary.selectors import diary_for


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
