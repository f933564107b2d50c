"""The risk checklist: questions like the ones UK police ask, in our own words.

The owner answers; where the diary already shows an answer it is suggested, and the owner
confirms or changes it. Each completed checklist is dated and kept, with its ledger record.
Nothing here adds the answers up: there is no score and no verdict.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from diary import ledger, messages
from diary.choices import Behaviour
from diary.models import Diary, Entry, RiskChecklist, User
from diary.selectors import diary_for

QUESTIONS_VERSION = 1
NOTE_MAX_LENGTH = 2_000
# "Several times a week": more than this many entries within any seven days.
WEEKLY_VISITS_OVER = 3
WEEK = timedelta(days=7)

YES, NO, NOT_SURE = "yes", "no", "not_sure"
YES_NO = (
    (YES, _("Yes")),
    (NO, _("No")),
    (NOT_SURE, _("Not sure")),
)
FEAR = (
    ("not_at_all", _("Not at all")),
    ("a_little", _("A little")),
    ("quite", _("Quite frightened")),
    ("very", _("Very frightened")),
)

ANSWER_MISSING = _("Choose an answer for this question.")
UNKNOWN_QUESTION = _("This question is not on the checklist.")
ANSWER_NOT_TEXT = _("Give the answer as one of the choices, with an optional note.")
NOTE_TOO_LONG = _("Keep the note under %(limit)s characters (this one has %(length)s).")
NOT_A_CHECKLIST = _("Send the answers as a list of question codes and answers.")


@dataclass(frozen=True)
class Question:
    code: str
    text: Any
    choices: tuple[tuple[str, Any], ...] = YES_NO
    hint: Any = ""

    def label(self, answer: str) -> str:
        return str(dict(self.choices).get(answer, answer))


QUESTIONS: tuple[Question, ...] = (
    Question(
        "fear",
        _("How frightened are you?"),
        FEAR,
        _("However you feel is a fair answer. Only you know this."),
    ),
    Question(
        "earlier_harassment",
        _("Has this person harassed you, or anyone else, before this began?"),
        hint=_("For example a former partner, or someone they bothered in the past."),
    ),
    Question(
        "property_damaged",
        _("Have they damaged or interfered with anything of yours?"),
        hint=_("Your home, car, post, garden or anything else you own."),
    ),
    Question(
        "frequent_contact",
        _("Do they turn up or contact you several times a week?"),
    ),
    Question(
        "loitering",
        _("Do they follow you, or hang around your home or where you work?"),
    ),
    Question(
        "threats",
        _("Have they threatened to hurt you, physically or sexually?"),
        hint=_(
            "Threats count however they were made: in person, in writing, online or "
            "through someone else."
        ),
    ),
    Question(
        "approaches_others",
        _("Have they approached your family, friends, colleagues or neighbours?"),
    ),
    Question(
        "violence_to_others",
        _(
            "Since this began, have they been violent towards anyone else, or hurt an animal "
            "such as a pet?"
        ),
    ),
    Question(
        "others_helping",
        _("Have they got other people to help them, knowingly or not?"),
        hint=_(
            "For example asking someone to pass on messages, find out where you are or "
            "keep an eye on you."
        ),
    ),
    Question(
        "alcohol_drugs",
        _("As far as you know, have alcohol or drugs caused them problems in the past year?"),
    ),
    Question(
        "past_violence",
        _("Have they ever been violent in the past, to you or to anyone else?"),
    ),
    Question(
        "wellbeing",
        _("Is this affecting how you sleep, how you eat, or whether you feel safe?"),
        hint=_("If it is, you are not alone in that, and it is worth telling the police."),
    ),
)
QUESTIONS_BY_CODE = {question.code: question for question in QUESTIONS}


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


@dataclass(frozen=True)
class AnswerRow:
    question: str
    answer: str
    note: str


@dataclass(frozen=True)
class CompletedChecklist:
    """A checklist as pages and the chronology show it: each question with its answer."""

    checklist: RiskChecklist
    rows: list[AnswerRow]

    @property
    def completed_at(self) -> datetime:
        return self.checklist.completed_at

    @property
    def number(self) -> int:
        return self.checklist.number


def completed(checklist: RiskChecklist) -> CompletedChecklist:
    rows = []
    answers = checklist.answers or {}
    for question in QUESTIONS:
        given = answers.get(question.code)
        if given is None:
            continue
        rows.append(
            AnswerRow(str(question.text), question.label(given["answer"]), given.get("note", ""))
        )
    # A code from another wording of the checklist is still shown, as it was stored.
    for code, given in answers.items():
        if code not in QUESTIONS_BY_CODE:
            rows.append(AnswerRow(code, str(given.get("answer", "")), given.get("note", "")))
    return CompletedChecklist(checklist=checklist, rows=rows)


def latest_checklist(diary: Diary) -> CompletedChecklist | None:
    """The diary's most recent checklist, for the chronology (which has no actor)."""
    checklist = RiskChecklist.objects.filter(diary=diary).order_by("-number").first()
    return completed(checklist) if checklist is not None else None


# Writes ------------------------------------------------------------------------------------


def _clean_one(question: Question, given: Any, errors: dict[str, Any]) -> dict[str, str] | None:
    if isinstance(given, str):
        given = {"answer": given}
    if given is None:
        given = {}
    if not isinstance(given, Mapping) or set(given) - {"answer", "note"}:
        errors[question.code] = ANSWER_NOT_TEXT
        return None
    answer, note = given.get("answer") or "", given.get("note") or ""
    if not isinstance(answer, str) or not isinstance(note, str):
        errors[question.code] = ANSWER_NOT_TEXT
        return None
    if not answer:
        errors[question.code] = ANSWER_MISSING
    elif answer not in dict(question.choices):
        errors[question.code] = messages.UNKNOWN_CHOICE
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors[f"{question.code}_note"] = NOTE_TOO_LONG % {
            "limit": f"{NOTE_MAX_LENGTH:,}",
            "length": f"{len(note):,}",
        }
    return {"answer": answer, "note": note}


def clean_answers(answers: Any) -> dict[str, dict[str, str]]:
    """Every question answered with one of its choices, notes optional; or a ValidationError
    naming each question that needs looking at."""
    if not isinstance(answers, Mapping):
        raise ValidationError(NOT_A_CHECKLIST, code="invalid")
    errors: dict[str, Any] = {
        str(code): UNKNOWN_QUESTION for code in answers if code not in QUESTIONS_BY_CODE
    }
    cleaned = {}
    for question in QUESTIONS:
        one = _clean_one(question, answers.get(question.code), errors)
        if one is not None:
            cleaned[question.code] = one
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def risk_checklist_complete(
    *, diary: Diary, actor: User, answers: Mapping[str, Any]
) -> RiskChecklist:
    """Keep a completed checklist, dated, with its ledger record. Earlier ones stay."""
    cleaned = clean_answers(answers)  # validate before writing anything
    ledger.lock_diary(diary)
    top = RiskChecklist.objects.filter(diary=diary).aggregate(top=Max("number"))["top"]
    checklist = RiskChecklist(
        diary=diary,
        number=(top or 0) + 1,
        completed_by=actor,
        questions_version=QUESTIONS_VERSION,
        answers=cleaned,
    )
    checklist.save()
    ledger.ledger_append(diary=diary, kind=ledger.RISK_CHECKLIST, obj=checklist, actor=actor)
    return checklist
