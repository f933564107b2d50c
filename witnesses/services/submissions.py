"""What contacts send, kept exactly as sent, and the owner's decision about each: into the
timeline, credited to its sender, or kept aside with a reason.
"""

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists
from django.urls import reverse

from diary import messages as diary_messages
from diary.evidence.intake import StoredFile, evidence_check, stored_upload
from diary.evidence.services import evidence_adopt
from diary.ledger.services import ledger_append, lock_diary, object_label
from diary.models import AccessEvent, Account, Entry, User
from diary.models.choices import Behaviour, Channel
from diary.records.services import entry_create
from diary.safety.services import access_event_record
from diary.uploads.services import Joined, Kept, kept_recording
from witnesses import messages
from witnesses.live.events import submission_decided, submission_received
from witnesses.models import (
    Decision,
    FollowUp,
    Submission,
    SubmissionFile,
    SubmissionKind,
    WitnessDevice,
    WitnessLink,
)
from witnesses.services.links import witness_label

SUBMISSION_SUBMIT = "submission.submit"


SUBMISSION_FILE = "submission.file"


SUBMISSION_FOLLOW_UP = "submission.follow_up"


SUBMISSION_ACCEPT = "submission.accept"


SUBMISSION_KEEP_ASIDE = "submission.keep_aside"


MAX_FILES = 10


def _link_still_active(device: WitnessDevice) -> WitnessLink:
    """Lock the device's link (so a revoke cannot slip in) and check it still works, and that
    this device has not left the site meanwhile: one round trip, under the diary's lock."""
    left = WitnessDevice.objects.filter(pk=device.pk, left_at__isnull=False)
    link = (
        WitnessLink.objects.select_for_update(of=("self",))
        .annotate(device_left=Exists(left))
        .get(pk=device.link_id)
    )
    if not link.is_active or link.device_left:  # annotated
        raise LinkInactive
    return link


class LinkInactive(Exception):
    """The witness's link was revoked or expired: nothing is stored."""


def submission_create(
    *,
    device: WitnessDevice,
    content: Mapping[str, Any],
    uploads: Sequence[UploadedFile] = (),
    diary_locked: bool = False,
) -> Submission:
    """Keep what a witness sent, exactly as sent, with its files. Raises ValidationError (and
    stores nothing) for bad input, LinkInactive if the link ended while they were writing.

    Returns the submission as `witness_submissions` reads it (its ledger record, its files,
    no decision or notes yet), made from the rows just written: its receipt needs no read
    back under the diary's lock. `diary_locked=True`: the transaction this runs in has locked
    `device.link.witness.diary` already (a keyed send, `diary.web.idempotency.once`), and this
    is part of that transaction, not a savepoint in it."""
    witness = device.link.witness
    diary = witness.diary
    if len(uploads) > MAX_FILES:
        raise ValidationError({"files": messages.TOO_MANY_FILES % {"limit": MAX_FILES}})
    submission = Submission(
        diary=diary, witness=witness, link=device.link, device=device, **content
    )
    submission.full_clean(exclude=["diary", "witness", "link", "device", "reference"])
    for upload in uploads:
        evidence_check(upload, field="files")
    with ExitStack() as stack:
        stored = [
            stack.enter_context(
                stored_upload(upload, folder=f"witness/{diary.pk}", zone=diary.zone, field="files")
            )
            for upload in uploads
        ]
        # Inside the caller's locked transaction, this is part of it (no savepoint of its own:
        # two round trips fewer under the lock); whatever it raises rolls that back whole.
        with transaction.atomic(savepoint=not diary_locked):
            # Every submission to a diary queues for its lock: hold it no longer than needed.
            if not diary_locked:
                lock_diary(diary)
            _link_still_active(device)
            submission.save()
            actor = witness_label(witness)
            record = ledger_append(
                diary=diary, kind=SUBMISSION_SUBMIT, obj=submission, actor=actor, diary_locked=True
            )
            files = []
            for file in stored:
                row = file.keep(SubmissionFile(submission=submission))
                row.save()
                ledger_append(
                    diary=diary, kind=SUBMISSION_FILE, obj=row, actor=actor, diary_locked=True
                )
                files.append(row)
            submission_received(submission)
    return _as_read(submission, record, files)


def _as_read(submission: Submission, record: Any, files: list[SubmissionFile]) -> Submission:
    """A submission just written, as `witnesses.selectors.witness_submissions` would read it
    back: its ledger record's seq, hash and time, its files, and no decision or notes."""
    submission.ledger_seq = record.seq  # type: ignore[attr-defined]
    submission.ledger_hash = record.hash  # type: ignore[attr-defined]
    submission.ledger_at = record.at  # type: ignore[attr-defined]
    # As prefetch_related leaves them: querysets already holding their rows.
    cached = {}
    for name, rows in (("files", files), ("follow_ups", [])):
        rows_set = getattr(submission, name).get_queryset()
        rows_set._result_cache = rows
        rows_set._prefetch_done = True
        cached[name] = rows_set
    submission._prefetched_objects_cache = cached  # type: ignore[attr-defined]
    Submission.decision.related.set_cached_value(submission, None)
    return submission


@transaction.atomic
def follow_up_add(*, device: WitnessDevice, submission: Submission, text: str) -> FollowUp:
    if submission.device_id is None or submission.device_id != device.pk:
        raise PermissionDenied  # only the device it was sent from may add to it
    lock_diary(submission.diary)
    _link_still_active(device)
    follow_up = FollowUp(submission=submission, text=text.strip())
    follow_up.full_clean(exclude=["submission"])
    follow_up.save()
    ledger_append(
        diary=submission.diary,
        kind=SUBMISSION_FOLLOW_UP,
        obj=follow_up,
        actor=witness_label(submission.witness),
    )
    submission_received(submission, change="follow_up")
    return follow_up


KIND_TO_ENTRY: dict[str, tuple[list[str], str]] = {
    SubmissionKind.SAW: ([Behaviour.WATCHING], ""),
    SubmissionKind.APPROACHED: ([Behaviour.APPROACHING_OTHERS], Channel.IN_PERSON),
    SubmissionKind.CONTACTED: ([Behaviour.APPROACHING_OTHERS], ""),
    SubmissionKind.FOUND: ([Behaviour.ITEMS], Channel.ITEM_LEFT),
    SubmissionKind.OTHER: ([], ""),
}


CARRIED_OVER = Account.ACCOUNT_FIELDS


def _undecided(submission: Submission) -> None:
    if Decision.objects.filter(submission=submission).exists():
        raise ValidationError(messages.ALREADY_DECIDED, code="decided")


@transaction.atomic
def submission_accept(*, submission: Submission, actor: User) -> Entry:
    """Put a submission into the timeline as an entry attributed to its witness, with its
    times and files. The submission itself stays exactly as sent."""
    diary = submission.diary
    lock_diary(diary)
    _undecided(submission)
    behaviours, channel = KIND_TO_ENTRY[submission.kind]
    content = {name: getattr(submission, name) for name in CARRIED_OVER}
    # The contact's device's claimed clock goes with their words onto the entry's version.
    content.update(behaviours=behaviours, channel=channel, device_time=submission.device_time)
    entry = entry_create(
        diary=diary,
        actor=actor,
        content=content,
        source=Entry.Source.WITNESS,
        reported_by=submission.witness.attribution,
        origin=f"witnesses.submission:{submission.pk}",
        received_at=submission.received_at,
    )
    for file in submission.files.all():
        evidence_adopt(
            entry=entry, actor=actor, stored=StoredFile.of(file), received_at=file.received_at
        )
    decision = Decision.objects.create(
        submission=submission, outcome=Decision.Outcome.ACCEPTED, entry=entry, decided_by=actor
    )
    ledger_append(diary=diary, kind=SUBMISSION_ACCEPT, obj=decision, actor=actor)
    submission_decided(submission, Decision.Outcome.ACCEPTED)
    return entry


@transaction.atomic
def submission_keep_aside(*, submission: Submission, actor: User, reason: str) -> Decision:
    """Keep a submission out of the timeline. It stays, counted, with a private reason."""
    lock_diary(submission.diary)
    _undecided(submission)
    decision = Decision(
        submission=submission,
        outcome=Decision.Outcome.KEPT_ASIDE,
        reason=reason.strip(),
        decided_by=actor,
    )
    decision.full_clean(exclude=["submission", "entry"])
    if not decision.reason:
        raise ValidationError({"reason": messages.REASON_NEEDED})
    decision.save()
    ledger_append(diary=submission.diary, kind=SUBMISSION_KEEP_ASIDE, obj=decision, actor=actor)
    access_event_record(
        user_id=actor.pk,
        kind=AccessEvent.Kind.REPORT_KEPT_ASIDE,
        detail=f"{submission.witness.attribution} · {submission.reference}",
    )
    submission_decided(submission, Decision.Outcome.KEPT_ASIDE)
    return decision


def submission_from_upload(joined: Joined) -> Kept:
    """A recording or photo a contact made on their page, kept as a submission of its own
    (dated when it started), for the owner to add to her timeline or keep aside as any other.
    A recording cut off (the phone taken, or flat) says so. If the link stopped working
    meanwhile, nothing is kept."""
    upload = joined.upload
    if upload.contact_device is None:
        raise ValidationError({"file": messages.LINK_NOT_ACTIVE})
    device = WitnessDevice.objects.select_related("link__witness__diary").get(
        pk=upload.contact_device
    )
    try:
        _link_still_active(device)
    except LinkInactive:
        raise ValidationError({"file": messages.LINK_NOT_ACTIVE}) from None
    witness = device.link.witness
    diary = witness.diary
    made_here = str(diary_messages.RECORDING_MADE_HERE.get(upload.media, ""))
    submission = Submission(
        diary=diary,
        witness=witness,
        link=device.link,
        device=device,
        kind=SubmissionKind.OTHER,
        what_happened=" ".join(filter(None, [made_here, joined.note])),
        occurred_start=upload.created_at,
    )
    submission.full_clean(exclude=["diary", "witness", "link", "device", "reference"])
    with kept_recording(joined, folder=f"witness/{diary.pk}") as stored:
        submission.received_at = joined.first_received
        submission.save()
        actor = witness_label(witness)
        ledger_append(
            diary=diary, kind=SUBMISSION_SUBMIT, obj=submission, actor=actor, diary_locked=True
        )
        row = stored.keep(SubmissionFile(submission=submission))
        row.received_at = joined.first_received
        row.save()
        ledger_append(diary=diary, kind=SUBMISSION_FILE, obj=row, actor=actor, diary_locked=True)
        submission_received(submission)
    return Kept(object_label(row), reverse("witness:receipt", args=[submission.reference]))
