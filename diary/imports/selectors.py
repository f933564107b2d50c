"""Reads of exports on their way in, through the gate."""

from typing import Any

from django.http import Http404

from diary.gate import diary_for
from diary.models import PendingImport


def pending_get(*, actor: Any, pending_id: Any) -> PendingImport:
    diary = diary_for(actor)
    try:
        return PendingImport.objects.get(diary=diary, pk=pending_id)
    except (PendingImport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
