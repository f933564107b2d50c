from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from diary.models import Diary


class OwnerTimeZoneMiddleware:
    """Show every time in the signed-in owner's own zone; store UTC regardless."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        found = None
        if user is not None and user.is_authenticated:
            found = Diary.objects.filter(owner_id=user.pk).values("time_zone", "title").first()
        if found:
            timezone.activate(found["time_zone"])
            request.diary_title = found["title"]  # type: ignore[attr-defined]
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
