"""Every read about witnesses, for the owner and for a witness. Each takes the actor and answers
404 (Http404) to anyone else.

The owner's gate is `diary.gate.diary_for`. A witness's gate is their device (the session
their link opened), found from the cookie by `witness_actor` only while the link is active; every
witness selector starts from it, so a witness reaches only their own diary's brief, their own
submissions, and the entries that diary's owner shares with them.
"""

from datetime import datetime
from typing import Any

from django.db.models import (
    CharField,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.http import Http404
from django.utils import timezone

from diary.gate import diary_for
from diary.ledger.heads import head_signed
from diary.models import Entry, LedgerRecord, Upload
from witnesses.models import (
    BriefVersion,
    Decision,
    SharedEntry,
    Sharing,
    Submission,
    SubmissionFile,
    Witness,
    WitnessDevice,
    WitnessLink,
)
from witnesses.services.links import token_sha256
from witnesses.services.submissions import SUBMISSION_SUBMIT

RECEIPT_FORMAT = "sightline-receipt/1"


def witness_actor(key: str | None) -> WitnessDevice | None:
    """The witness session a cookie names, with its link, witness and diary, if the link is
    still active (not revoked, not expired). Anything else is None: the neutral page."""
    if not key:
        return None
    device = (
        WitnessDevice.objects.select_related("link__witness__diary")
        .filter(
            key_sha256=token_sha256(key),
            left_at__isnull=True,
            link__revoked_at__isnull=True,
            link__expires_at__gt=timezone.now(),
        )
        .first()
    )
    return device


def _require(device: Any) -> WitnessDevice:
    if not isinstance(device, WitnessDevice):
        raise Http404
    return device


# The owner's side


def witness_list(*, actor: Any) -> list[Witness]:
    """The diary's witnesses by name. Names are encrypted, so they are sorted here, not by
    the database (a diary has a handful of witnesses, not thousands)."""
    diary = diary_for(actor)
    now = timezone.now()
    witnesses = (
        Witness.objects.filter(diary=diary)
        .annotate(
            has_active_link=Exists(
                WitnessLink.objects.filter(
                    witness=OuterRef("pk"), revoked_at__isnull=True, expires_at__gt=now
                )
            ),
            # Phones or browsers still on an active link: more than one is worth a look.
            open_devices=Subquery(
                WitnessDevice.objects.filter(
                    link__witness=OuterRef("pk"),
                    link__revoked_at__isnull=True,
                    link__expires_at__gt=now,
                    left_at__isnull=True,
                )
                .values("link__witness")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            newest_device=Max("links__devices__first_seen"),
        )
        .order_by("pk")
    )
    return sorted(witnesses, key=lambda witness: witness.name.casefold())


def witness_get(*, actor: Any, witness_id: int) -> Witness:
    diary = diary_for(actor)
    try:
        return (
            Witness.objects.select_related("diary")
            .prefetch_related(
                Prefetch("links", queryset=WitnessLink.objects.order_by("-created_at")),
                "links__devices",
                "events",
            )
            .get(diary=diary, pk=witness_id)
        )
    except (Witness.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def brief_latest(diary: Any) -> BriefVersion | None:
    return BriefVersion.objects.filter(diary=diary).order_by("-number").first()


def brief_for_owner(*, actor: Any) -> BriefVersion | None:
    return brief_latest(diary_for(actor))


def _inbox(diary: Any) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(diary=diary)
        .select_related("witness", "decision")
        .prefetch_related("files", "follow_ups")
        .order_by("-received_at", "-pk")
    )


INBOX_STATUSES = ("pending", "accepted", "kept_aside", "all")


def inbox_list(*, actor: Any, status: str = "pending") -> QuerySet[Submission]:
    """The owner's inbox: pending (undecided) by default, newest first."""
    submissions = _inbox(diary_for(actor))
    if status == "pending":
        return submissions.filter(decision__isnull=True)
    if status in (Decision.Outcome.ACCEPTED, Decision.Outcome.KEPT_ASIDE):
        return submissions.filter(decision__outcome=status)
    return submissions


def inbox_pending_count(*, actor: Any) -> int:
    try:
        diary = diary_for(actor)
    except Http404:
        return 0
    return Submission.objects.filter(diary=diary, decision__isnull=True).count()


def submission_get(*, actor: Any, submission_id: int) -> Submission:
    try:
        return _inbox(diary_for(actor)).select_related("diary").get(pk=submission_id)
    except (Submission.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def submission_file_get(*, actor: Any, file_id: int) -> SubmissionFile:
    diary = diary_for(actor)
    try:
        return SubmissionFile.objects.get(submission__diary=diary, pk=file_id)
    except (SubmissionFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def shared_entry_ids(*, actor: Any, entry_ids: list[int]) -> set[int]:
    diary = diary_for(actor)
    return set(
        SharedEntry.objects.filter(
            entry__diary=diary, entry_id__in=entry_ids, unshared_at__isnull=True
        ).values_list("entry_id", flat=True)
    )


def entry_for_sharing(*, actor: Any, entry_id: int) -> Entry:
    diary = diary_for(actor)
    try:
        return Entry.objects.get(diary=diary, pk=entry_id, withdrawal__isnull=True)
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# A witness's side


def witness_brief(*, device: Any) -> BriefVersion | None:
    return brief_latest(_require(device).link.witness.diary_id)


def _with_ledger_record(submissions: QuerySet[Submission]) -> QuerySet[Submission]:
    """Each send with its ledger record's `ledger_seq`, `ledger_hash` and `ledger_at`: what its
    receipt names (by the index on the object a record names, in the same query)."""
    record = LedgerRecord.objects.filter(
        diary_id=OuterRef("diary_id"),
        kind=SUBMISSION_SUBMIT,
        object=Concat(
            Value(f"{Submission._meta.label_lower}:"),
            Cast(OuterRef("pk"), output_field=CharField()),
        ),
    )
    return submissions.annotate(
        ledger_seq=Subquery(record.values("seq")[:1]),
        ledger_hash=Subquery(record.values("hash")[:1]),
        ledger_at=Subquery(record.values("at")[:1]),
    )


def witness_submissions(*, device: Any) -> QuerySet[Submission]:
    """What was sent from this device. A link forwarded to someone else, or opened on a
    borrowed phone, shows nothing sent before from the contact's other devices."""
    return _with_ledger_record(
        Submission.objects.filter(device=_require(device))
        .select_related("decision")
        .prefetch_related("files", "follow_ups")
        .order_by("-received_at", "-pk")
    )


def witness_earlier_sends(*, device: Any) -> list[datetime]:
    """When this contact sent something from another device (or an older link): the times
    only, never what was sent."""
    device = _require(device)
    return list(
        Submission.objects.filter(witness_id=device.link.witness_id)
        .exclude(device=device)
        .order_by("-received_at", "-pk")
        .values_list("received_at", flat=True)
    )


def witness_submission_get(*, device: Any, reference: str) -> Submission:
    try:
        return witness_submissions(device=device).get(reference=reference)
    except Submission.DoesNotExist:
        raise Http404 from None


def receipt_document(submission: Submission) -> dict[str, Any] | None:
    """A send's receipt as a file (docs/export-format.md, "Receipts"): its reference and the
    hash of what was sent, the ledger record of the send, and the head at that record signed
    by the instance's key. `submission` comes from witness_submissions (its ledger record)."""
    seq = getattr(submission, "ledger_seq", None)
    if seq is None:
        return None
    record = LedgerRecord(
        diary_id=submission.diary_id,
        seq=seq,
        hash=submission.ledger_hash,  # type: ignore[attr-defined]  # annotated
        at=submission.ledger_at,  # type: ignore[attr-defined]  # annotated
    )
    return {
        "format": RECEIPT_FORMAT,
        "reference": submission.reference,
        "content_sha256": submission.content_sha256,
        "seq": seq,
        "hash": record.hash,
        "head": head_signed(record=record),
    }


def witness_timeline(*, device: Any) -> QuerySet[Entry]:
    """Entries the owner shares with this witness: none, the marked ones, or all (withdrawn
    entries never). Latest versions only; no files, no other witness's name."""
    witness = _require(device).link.witness
    entries = (
        Entry.objects.filter(diary_id=witness.diary_id, withdrawal__isnull=True)
        .select_related("current")
        .order_by("-current_start", "-number")
    )
    if witness.sharing == Sharing.ALL:
        return entries
    if witness.sharing == Sharing.MARKED:
        return entries.filter(
            Exists(SharedEntry.objects.filter(entry=OuterRef("pk"), unshared_at__isnull=True))
        )
    return entries.none()


def live_links(*, actor: Any) -> list[WitnessLink]:
    """Every contact's link that works now, with the session that made it: for the owner's
    lockout check. Oldest first."""
    diary = diary_for(actor)
    return list(
        WitnessLink.objects.filter(
            witness__diary=diary, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("witness", "made_in_session")
        .annotate(device_count=Count("devices"))
        .order_by("created_at", "pk")
    )


def witness_upload_get(*, device: WitnessDevice, upload_id: Any) -> Upload:
    """An upload this very device started (never another's, nor the owner's), or 404. The
    device reached here only while its link works (witness_actor)."""
    device = _require(device)
    try:
        return Upload.objects.select_related("diary").get(
            pk=upload_id,
            party=Upload.Party.CONTACT,
            contact_device=device.pk,
            diary_id=device.link.witness.diary_id,
        )
    except (Upload.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
