"""Completed risk checklists, each kept as answered."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from diary.core.fields import EncryptedJSONField
from diary.core.hashing import iso
from diary.models.diaries import Diary
from diary.models.ledgered import Ledgered


class RiskChecklist(Ledgered):
    """One completed risk checklist: the owner's answers as they gave them, dated and kept.
    A new checklist never replaces an earlier one. There is no score."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="risk_checklists")
    number = models.PositiveIntegerField()
    completed_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The wording the questions had when answered (diary.risk.questions.QUESTIONS_VERSION).
    questions_version = models.PositiveSmallIntegerField(default=1)
    # {question_code: {"answer": code, "note": text}}, as diary.risk validated it.
    answers = EncryptedJSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["diary", "number"], name="risk_checklist_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"risk checklist {self.number} of diary {self.diary_id}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "risk_checklist": self.number,
            "completed_at": iso(self.completed_at),
            "completed_by": self.completed_by_id,
            "questions_version": self.questions_version,
            "answers": self.answers,
        }
