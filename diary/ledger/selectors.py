"""Reads of the ledger, through the gate."""

from typing import Any

from django.db.models import QuerySet

from diary.gate import diary_for
from diary.models import (
    LedgerRecord,
)


def ledger_list(*, actor: Any) -> QuerySet[LedgerRecord]:
    diary = diary_for(actor)
    return LedgerRecord.objects.filter(diary=diary).order_by("seq")
