"""The witnesses' pages of the chronology PDF: who they are and what was kept aside."""

from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from diary.models import Diary
from witnesses.models import Decision, Submission, Witness


def witnesses_section(diary: Diary, filters: dict[str, Any]) -> str:
    # Names are encrypted: sorted here rather than by the database.
    witnesses = sorted(
        Witness.objects.filter(diary=diary).order_by("pk"), key=lambda w: w.name.casefold()
    )
    statements = {}
    for witness_id, statement in (
        Submission.objects.filter(diary=diary)
        .exclude(statement="")
        .order_by("received_at")
        .values_list("witness_id", "statement")
    ):
        statements[witness_id] = statement  # the latest answer wins
    kept_aside = (
        Submission.objects.filter(diary=diary, decision__outcome=Decision.Outcome.KEPT_ASIDE)
        .select_related("witness", "decision")
        .order_by("received_at")
    )
    return render_to_string(
        "witnesses/chronology_section.html",
        {
            "witnesses": [(w, statements.get(w.pk, "")) for w in witnesses],
            "kept_aside": kept_aside,
            "include_contacts": filters.get("include_contacts", False),
            "include_reasons": filters.get("include_reasons", False),
        },
    )


def witnesses_count(diary: Diary) -> tuple[str, int]:
    return str(_("Witnesses (trusted contacts)")), Witness.objects.filter(diary=diary).count()
