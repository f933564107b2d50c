"""Completing a risk checklist: kept as answered, dated, and recorded in the ledger."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from diary.core.numbering import next_number
from diary.ledger.services import RISK_CHECKLIST, ledger_append, lock_diary
from diary.models import Diary, RiskChecklist, User
from diary.risk.questions import QUESTIONS_VERSION, clean_answers


@transaction.atomic
def risk_checklist_complete(
    *, diary: Diary, actor: User, answers: Mapping[str, Any]
) -> RiskChecklist:
    """Keep a completed checklist, dated, with its ledger record. Earlier ones stay."""
    cleaned = clean_answers(answers)  # validate before writing anything
    lock_diary(diary)
    checklist = RiskChecklist(
        diary=diary,
        number=next_number(RiskChecklist.objects.filter(diary=diary)),
        completed_by=actor,
        questions_version=QUESTIONS_VERSION,
        answers=cleaned,
    )
    checklist.save()
    ledger_append(diary=diary, kind=RISK_CHECKLIST, obj=checklist, actor=actor)
    return checklist
