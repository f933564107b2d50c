from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from diary.safety.selectors import access_notices, quick_exit_note_due


def sightline(request: HttpRequest) -> dict[str, Any]:
    return {
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "diary_title": getattr(request, "diary_title", ""),
        # Looked up only if a page shows it (once per session for an owner).
        "quick_exit_note": SimpleLazyObject(lambda: quick_exit_note_due(request)),
        # A reset or an address added: on every page until she says she has seen it.
        "access_notices": SimpleLazyObject(
            lambda: access_notices(actor=getattr(request, "user", None))
        ),
    }
