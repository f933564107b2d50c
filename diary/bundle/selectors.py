"""Reads of the bundles an owner has made, through the gate."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from diary.gate import diary_for
from diary.models import (
    Export,
)


def export_list(*, actor: Any) -> QuerySet[Export]:
    return Export.objects.filter(diary=diary_for(actor)).order_by("-number")


def export_get(*, actor: Any, export_id: int) -> Export:
    diary = diary_for(actor)
    try:
        return Export.objects.get(diary=diary, pk=export_id)
    except (Export.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
