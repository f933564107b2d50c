"""Reads for the risk checklist: what the diary already suggests, and the checklists kept.
Each takes the actor and answers 404 to anyone else.
"""

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
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
from diary.risk.questions import (
    QUESTIONS,
    QUESTIONS_BY_CODE,
    YES,
    CompletedChecklist,
    Question,
    completed,
)

# "Several times a week": more than this many entries within any seven days.
WEEKLY_VISITS_OVER = 3


WEEK = timedelta(days=7)


# The question answered by how often they turn up, not by how many entries there are.
FREQUENT = "frequent_contact"


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


def _answers(question: Question) -> Q:
    """The entries whose kinds answer the question (see Question.behaviours); only asked of a
    question that names at least one kind."""
    conditions = [_behaviour(code) for code in question.behaviours]
    if question.untagged:
        conditions.append(Q(current__behaviours=""))
    return reduce(operator.or_, conditions)


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


# Why the diary suggests "yes", for each question counted from the kinds that answer it.
REASONS: dict[str, Callable[[int], str]] = {
    "property_damaged": lambda n: (
        ngettext(
            "%(n)s entry about interference with your property",
            "%(n)s entries about interference with your property",
            n,
        )
        % {"n": n}
    ),
    "loitering": lambda n: (
        ngettext(
            "%(n)s entry about them following you, watching you or hanging around",
            "%(n)s entries about them following you, watching you or hanging around",
            n,
        )
        % {"n": n}
    ),
    "threats": lambda n: (
        ngettext("%(n)s entry about threats", "%(n)s entries about threats", n) % {"n": n}
    ),
    "approaches_others": lambda n: (
        ngettext(
            "%(n)s entry about approaches to people you know",
            "%(n)s entries about approaches to people you know",
            n,
        )
        % {"n": n}
    ),
}


def _by_kind(question: Question, counts: dict[str, Any]) -> str:
    """Which kinds made up a count, when more than one did: " (Watching or spying: 7; …)"."""
    labels = dict(Behaviour.choices)
    parts = [
        f"{labels[code]}: {counts[f'k_{code}']}"
        for code in question.behaviours
        if counts[f"k_{code}"]
    ]
    return f" ({'; '.join(parts)})" if len(parts) > 1 else ""


COUNTED = tuple(question for question in QUESTIONS if question.code in REASONS)


def risk_suggestions(*, actor: Any) -> dict[str, Suggestion]:
    """Answers the actor's own diary already shows, by question code, from the kinds of entry
    that answer each question (Question.behaviours). Two queries whatever the size of the
    diary: the counts, and the times of the entries that tell of visits or contact."""
    diary = diary_for(actor)
    entries = Entry.objects.filter(diary=diary, withdrawal__isnull=True, current__isnull=False)
    counts = entries.aggregate(
        **{f"q_{q.code}": Count("pk", filter=_answers(q)) for q in COUNTED},
        **{f"k_{code}": Count("pk", filter=_behaviour(code)) for code, _label in Behaviour.choices},
        approaches_by_witnesses=Count(
            "pk", filter=_behaviour(Behaviour.APPROACHING_OTHERS) & Q(source=Entry.Source.WITNESS)
        ),
    )
    found: dict[str, Suggestion] = {}
    for question in COUNTED:
        if n := counts[f"q_{question.code}"]:
            reason = REASONS[question.code](n) + _by_kind(question, counts)
            if question.code == "approaches_others" and (
                by_witnesses := counts["approaches_by_witnesses"]
            ):
                reason += ngettext(
                    " (%(w)s from someone you asked to look out)",
                    " (%(w)s from people you asked to look out)",
                    by_witnesses,
                ) % {"w": by_witnesses}
            found[question.code] = _counted(question.code, n, reason)
    times = list(
        entries.filter(_answers(QUESTIONS_BY_CODE[FREQUENT]))
        .order_by("current__occurred_start")
        .values_list("current__occurred_start", flat=True)
    )
    most, start = _busiest_week(times)
    if most > WEEKLY_VISITS_OVER and start is not None:
        reason = _("%(n)s entries within seven days, starting %(day)s") % {
            "n": most,
            "day": date_filter(timezone.localtime(start), "j F Y"),
        }
        found[FREQUENT] = _counted(FREQUENT, most, reason)
    return {question.code: found[question.code] for question in QUESTIONS if question.code in found}


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
