from typing import Any

from django.http import HttpRequest


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The number of unread submissions, for the owner's navigation; counted only when a page
    asks for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        from witnesses.selectors import inbox_pending_count

        return inbox_pending_count(actor=user)

    return {"inbox_count": count}
