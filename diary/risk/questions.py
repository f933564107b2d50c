"""The risk checklist: the questions UK police ask, in our own words, and the rules for an
answer. Nothing is added up into a score.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.models import RiskChecklist
from diary.models.choices import Behaviour

QUESTIONS_VERSION = 1


NOTE_MAX_LENGTH = 2_000


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
    # The kinds of entry that answer it: diary.risk.selectors suggests "yes" when the diary
    # holds any. docs/risk-checklist.md shows this mapping, and a test holds the two together.
    behaviours: tuple[str, ...] = ()
    # Whether an entry with no kind chosen counts too (it still tells of something they did).
    untagged: bool = False

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
        behaviours=(Behaviour.PROPERTY,),
    ),
    Question(
        "frequent_contact",
        _("Do they turn up or contact you several times a week?"),
        # Everything they did to you or near you; not what they did online or to others.
        behaviours=(
            Behaviour.CONTACT,
            Behaviour.LOITERING,
            Behaviour.PROPERTY,
            Behaviour.WATCHING,
            Behaviour.ITEMS,
            Behaviour.THREATS,
            Behaviour.OTHER,
        ),
        untagged=True,
    ),
    Question(
        "loitering",
        _("Do they follow you, or hang around your home or where you work?"),
        behaviours=(Behaviour.LOITERING, Behaviour.WATCHING),
    ),
    Question(
        "threats",
        _("Have they threatened to hurt you, physically or sexually?"),
        hint=_(
            "Threats count however they were made: in person, in writing, online or "
            "through someone else."
        ),
        behaviours=(Behaviour.THREATS,),
    ),
    Question(
        "approaches_others",
        _("Have they approached your family, friends, colleagues or neighbours?"),
        behaviours=(Behaviour.APPROACHING_OTHERS,),
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


NO_KIND_CHOSEN = "(no kind chosen)"


def feeds_table() -> str:
    """Which kind of entry suggests an answer to which question, both ways round, as the
    Markdown tables in docs/risk-checklist.md (tests/diary/test_risk_mapping.py holds the two
    together)."""
    labels = dict(Behaviour.choices)
    numbered = list(enumerate(QUESTIONS, start=1))
    lines = [
        "| kind of entry | code | questions it suggests an answer for |",
        "| --- | --- | --- |",
    ]
    for code, label in Behaviour.choices:
        fed = [f"{n}. {q.text}" for n, q in numbered if code in q.behaviours]
        lines.append(f"| {label} | `{code}` | {'<br>'.join(fed) or 'none'} |")
    fed = [f"{n}. {q.text}" for n, q in numbered if q.untagged]
    lines.append(f"| {NO_KIND_CHOSEN} | | {'<br>'.join(fed) or 'none'} |")
    lines += ["", "| question | kinds of entry that suggest an answer |", "| --- | --- |"]
    for n, question in numbered:
        kinds = [str(labels[code]) for code in question.behaviours]
        if question.untagged:
            kinds.append(NO_KIND_CHOSEN)
        lines.append(f"| {n}. {question.text} | {', '.join(kinds) or 'none: only you can say'} |")
    return "\n".join(lines) + "\n"


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
