"""The witnesses' pages of the chronology PDF (who they are, what they reported that is in the
chronology, what was kept aside) and their columns in entries.csv."""

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from diary.bundle.writer import entries_for_export, local_text, utc_text
from diary.models import Diary, Entry
from witnesses.models import Decision, FollowUp, Submission, Witness


def _accepted(entries: Any) -> QuerySet[Submission]:
    """The reports behind these entries, with their later notes."""
    return (
        Submission.objects.filter(
            decision__outcome=Decision.Outcome.ACCEPTED, decision__entry__in=entries
        )
        .select_related("witness", "decision", "decision__entry")
        .prefetch_related(Prefetch("follow_ups", queryset=FollowUp.objects.order_by("pk")))
        .order_by("received_at", "pk")
    )


def _in_bundle(diary: Diary, filters: dict[str, Any]) -> QuerySet[Entry]:
    def moment(name: str) -> datetime | None:
        value = filters.get(name)
        return datetime.fromisoformat(value) if value else None

    return entries_for_export(
        diary,
        since=moment("since"),
        until=moment("until"),
        behaviours=filters.get("behaviours") or (),
    )


def _notes(submission: Submission) -> str:
    """Each later note after its time, as entries.csv gives every time: in the diary's zone
    with its offset, then UTC, to the second."""
    zone = submission.diary.zone
    return "\n".join(
        f"{local_text(note.received_at, zone)} ({utc_text(note.received_at)}): {note.text}"
        for note in submission.follow_ups.all()
    )


CSV_TITLES = (
    "Contact's receipt",
    "Contact's kind of report",
    "Contact would give a statement",
    "How the police can reach the contact",
    "Contact's later notes",
)


def witnesses_csv_cells(entries: list[Entry], filters: dict[str, Any]) -> dict[int, list[str]]:
    """entries.csv's cells for entries accepted from a contact: what they chose on their form
    that the entry does not hold. Their contact details only when the owner asked for them."""
    include_contacts = filters.get("include_contacts", False)
    cells = {}
    for submission in _accepted([entry.pk for entry in entries]).select_related("diary"):
        assert submission.decision.entry_id is not None  # accepted
        cells[submission.decision.entry_id] = [
            submission.reference,
            submission.get_kind_display(),
            submission.get_statement_display(),
            submission.statement_contact if include_contacts else "",
            _notes(submission),
        ]
    return cells


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
            "accepted": _accepted(_in_bundle(diary, filters).values("pk")),
            "kept_aside": kept_aside,
            "include_contacts": filters.get("include_contacts", False),
            "include_reasons": filters.get("include_reasons", False),
        },
    )


def witnesses_count(diary: Diary) -> tuple[str, int]:
    return str(_("Witnesses (trusted contacts)")), Witness.objects.filter(diary=diary).count()
