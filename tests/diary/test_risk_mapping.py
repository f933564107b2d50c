"""The risk checklist's suggestions read every kind of entry that answers each question, and
the table in docs/risk-checklist.md is the code's mapping."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from diary.models.choices import Behaviour
from diary.risk.questions import QUESTIONS, QUESTIONS_BY_CODE, feeds_table
from diary.risk.selectors import FREQUENT, REASONS, risk_suggestions
from tests.diary.test_risk import checked, text_of
from tests.factories import make_entry

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "risk-checklist.md"
START, END = "<!-- feeds-table:start -->\n", "<!-- feeds-table:end -->"


def days_ago(days: float) -> dict:
    return {"occurred_start": timezone.now() - timedelta(days=days)}


def test_seven_watching_entries_suggest_they_follow_or_hang_around(owner, owner_client):
    for n in range(7):
        make_entry(owner, behaviours=["watching"], **days_ago(10 * n))

    response = owner_client.get(reverse("diary:risk"))

    assert checked(response, "loitering") == "yes"
    assert (
        "Your diary suggests yes: 7 entries about them following you, watching you or "
        "hanging around" in text_of(response)
    )


def test_an_entry_of_two_kinds_that_answer_one_question_counts_once(owner):
    make_entry(owner, behaviours=["loitering", "watching"], **days_ago(20))
    make_entry(owner, behaviours=["watching"], **days_ago(10))

    suggestion = risk_suggestions(actor=owner)["loitering"]

    assert suggestion.count == 2
    assert suggestion.reason == (
        "2 entries about them following you, watching you or hanging around "
        "(Loitering: 1; Watching or spying: 2)"
    )


def test_kinds_that_are_not_turning_up_or_contact_are_not_visits(owner):
    for days in (6, 5, 4, 3):
        make_entry(owner, behaviours=["monitoring", "publishing"], **days_ago(days))
        make_entry(owner, behaviours=["approaching_others"], **days_ago(days + 0.5))
    assert "frequent_contact" not in risk_suggestions(actor=owner)

    for days in (6, 5, 4, 3):
        make_entry(owner, behaviours=["items"], **days_ago(days))
    suggestion = risk_suggestions(actor=owner)["frequent_contact"]
    assert suggestion.count == 4


def test_every_kind_named_in_the_mapping_is_a_kind_of_entry():
    kinds = set(Behaviour.values)
    for question in QUESTIONS:
        assert set(question.behaviours) <= kinds, question.code
    answered = {code for question in QUESTIONS for code in question.behaviours}
    assert {"loitering", "watching"} <= set(QUESTIONS_BY_CODE["loitering"].behaviours)
    assert answered == kinds - {"publishing", "monitoring"}


def test_every_question_a_kind_answers_has_its_own_reason():
    fed = {question.code for question in QUESTIONS if question.behaviours}
    assert set(REASONS) == fed - {FREQUENT}
    assert QUESTIONS_BY_CODE[FREQUENT].untagged


def test_the_docs_table_is_the_codes_mapping():
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text
    shown = text.split(START, 1)[1].split(END, 1)[0]
    assert shown == feeds_table(), "docs/risk-checklist.md should hold:\n" + feeds_table()


def test_the_docs_table_names_every_kind_and_every_question():
    table = feeds_table()
    for code, label in Behaviour.choices:
        assert f"| {label} | `{code}` |" in table
    for number, question in enumerate(QUESTIONS, start=1):
        assert f"| {number}. {question.text} |" in table
