"""Reads of evidence files, through the gate."""

from typing import Any

from django.http import Http404

from diary.gate import diary_for
from diary.models import (
    Evidence,
)


def evidence_get(*, actor: Any, evidence_id: int) -> Evidence:
    diary = diary_for(actor)
    try:
        return (
            Evidence.objects.select_related("entry", "diary")
            .prefetch_related("kind_changes")
            .get(diary=diary, pk=evidence_id)
        )
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
