"""Reads of the ledger, through the gate."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet

from diary.gate import diary_for
from diary.models import (
    HeadTimestamp,
    LedgerRecord,
    TimestampFailure,
)


def ledger_list(*, actor: Any) -> QuerySet[LedgerRecord]:
    diary = diary_for(actor)
    return LedgerRecord.objects.filter(diary=diary).order_by("seq")


@dataclass(frozen=True)
class TimestampStatus:
    """How far an outside authority vouches for the diary's records, for the owner to see."""

    configured: bool
    head_seq: int
    anchored_seq: int
    anchored_at: datetime | None
    authority: str
    failure: TimestampFailure | None

    @property
    def behind(self) -> int:
        return self.head_seq - self.anchored_seq


def timestamp_status(*, actor: Any) -> TimestampStatus:
    diary = diary_for(actor)
    head = LedgerRecord.objects.filter(diary=diary).order_by("-seq").only("seq").first()
    latest = (
        HeadTimestamp.objects.filter(diary=diary)
        .order_by("-seq", "-gen_time")
        .only("seq", "gen_time", "authority")
        .first()
    )
    failures = TimestampFailure.objects.filter(diary=diary).order_by("-at")
    if latest is not None:
        failures = failures.filter(seq__gt=latest.seq)
    return TimestampStatus(
        configured=bool(settings.TIMESTAMP_URLS),
        head_seq=head.seq if head else 0,
        anchored_seq=latest.seq if latest else 0,
        anchored_at=latest.gen_time if latest else None,
        authority=(urlsplit(latest.authority).hostname or "") if latest else "",
        failure=failures.first(),
    )


def ledger_head_of(*, actor: Any) -> LedgerRecord | None:
    """The last record of the actor's diary."""
    return LedgerRecord.objects.filter(diary=diary_for(actor)).order_by("-seq").first()
