"""The one gate: every read of an owner's data starts from the diary `diary_for` returns, so an
object from another diary is simply not found, and nobody learns whether it exists.
"""

from typing import Any

from django.http import Http404

from diary.models import (
    Diary,
)


def diary_for(actor: Any) -> Diary:
    """The actor's own diary, or 404."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Http404
    # One lookup per request: the user object lives as long as the request does.
    cached: Diary | None = getattr(actor, "_own_diary", None)
    if cached is not None:
        return cached
    try:
        diary = Diary.objects.get(owner_id=actor.pk)
    except Diary.DoesNotExist:
        raise Http404 from None
    actor._own_diary = diary
    return diary
