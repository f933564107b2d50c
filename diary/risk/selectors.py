"""Reads for the risk checklist: what the diary already suggests, and the checklists kept.
Each takes the actor and answers 404 to anyone else.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from diary.gate import diary_for
from diary.models import Diary, Entry, RiskChecklist
from diary.models.choices import Behaviour
from diary.risk.questions import YES, CompletedChecklist, completed

# "Several times a week": more than this many entries within any seven days.
WEEKLY_VISITS_OVER = 3


WEEK = timedelta(days=7)


# Reads -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    """What the diary shows for one question: the answer it suggests and why."""

    code: str
    answer: str
    count: int
    reason: str


def _behaviour(code: str) -> Q:
    return Q(current__behaviours__contains=f"|{code}|")


def _busiest_week(times: list[datetime]) -> tuple[int, datetime | None]:
    """The most entries that started within any seven days, and when that stretch began."""
    best, best_start, first = 0, None, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= WEEK:
            first += 1
        if last - first + 1 > best:
            best, best_start = last - first + 1, times[first]
    return best, best_start


def _counted(code: str, count: int, reason: str) -> Suggestion:
    return Suggestion(code=code, answer=YES, count=count, reason=reason)


def risk_suggestions(*, actor: Any) -> dict[str, Suggestion]:
    """Answers the actor's own diary already shows, by question code. Two queries whatever
    the size of the diary: one count per behaviour, and the times entries started."""
    diary = diary_for(actor)
    entries = Entry.objects.filter(diary=diary, withdrawal__isnull=True, current__isnull=False)
    counts = entries.aggregate(
        approaches=Count("pk", filter=_behaviour(Behaviour.APPROACHING_OTHERS)),
        approaches_by_witnesses=Count(
            "pk", filter=_behaviour(Behaviour.APPROACHING_OTHERS) & Q(source=Entry.Source.WITNESS)
        ),
        property=Count("pk", filter=_behaviour(Behaviour.PROPERTY)),
        threats=Count("pk", filter=_behaviour(Behaviour.THREATS)),
        loitering=Count("pk", filter=_behaviour(Behaviour.LOITERING)),
    )
    times = list(
        entries.order_by("current__occurred_start").values_list(
            "current__occurred_start", flat=True
        )
    )
    found: dict[str, Suggestion] = {}
    if n := counts["approaches"]:
        reason = ngettext(
            "%(n)s entry about approaches to people you know",
            "%(n)s entries about approaches to people you know",
            n,
        ) % {"n": n}
        if by_witnesses := counts["approaches_by_witnesses"]:
            reason += ngettext(
                " (%(w)s from someone you asked to look out)",
                " (%(w)s from people you asked to look out)",
                by_witnesses,
            ) % {"w": by_witnesses}
        found["approaches_others"] = _counted("approaches_others", n, reason)
    if n := counts["property"]:
        reason = ngettext(
            "%(n)s entry about interference with your property",
            "%(n)s entries about interference with your property",
            n,
        ) % {"n": n}
        found["property_damaged"] = _counted("property_damaged", n, reason)
    if n := counts["threats"]:
        reason = ngettext("%(n)s entry about threats", "%(n)s entries about threats", n) % {"n": n}
        found["threats"] = _counted("threats", n, reason)
    if n := counts["loitering"]:
        reason = ngettext(
            "%(n)s entry about them hanging around", "%(n)s entries about them hanging around", n
        ) % {"n": n}
        found["loitering"] = _counted("loitering", n, reason)
    most, start = _busiest_week(times)
    if most > WEEKLY_VISITS_OVER and start is not None:
        reason = _("%(n)s entries within seven days, starting %(day)s") % {
            "n": most,
            "day": date_filter(timezone.localtime(start), "j F Y"),
        }
        found["frequent_contact"] = _counted("frequent_contact", most, reason)
    return found


def risk_checklist_list(*, actor: Any) -> QuerySet[RiskChecklist]:
    """The actor's completed checklists, newest first (without their answers)."""
    return (
        RiskChecklist.objects.filter(diary=diary_for(actor))
        .only("pk", "number", "completed_at", "diary")
        .order_by("-number")
    )


def risk_checklist_get(*, actor: Any, checklist_id: int) -> RiskChecklist:
    diary = diary_for(actor)
    try:
        return RiskChecklist.objects.get(diary=diary, pk=checklist_id)
    except (RiskChecklist.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def latest_checklist(diary: Diary) -> CompletedChecklist | None:
    """The diary's most recent checklist, for the chronology (which has no actor)."""
    checklist = RiskChecklist.objects.filter(diary=diary).order_by("-number").first()
    return completed(checklist) if checklist is not None else None
