"""Keeping an evidence file on an entry, in one transaction with its ledger record."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.core.numbering import next_number
from diary.evidence.intake import A_KIND, KINDS_FOR, StoredFile, stored_upload
from diary.ledger.services import EVIDENCE_ATTACH, ledger_append, lock_diary
from diary.live.events import entry_changed
from diary.models import Entry, Evidence, User
from diary.models.choices import EvidenceKind


def evidence_attach(
    *,
    entry: Entry,
    actor: User | None,
    upload: UploadedFile,
    kind: str = "",
    description: str = "",
    ledger_actor: str | None = None,
) -> Evidence:
    """Keep one file as evidence on an entry. Raises ValidationError and stores nothing if the
    file is not acceptable."""
    if kind and kind not in EvidenceKind.values:
        raise ValidationError({"kind": messages.UNKNOWN_CHOICE}, code="invalid_choice")
    limit = Evidence._meta.get_field("description").max_length
    if limit is not None and len(description) > limit:
        raise ValidationError({"description": _("Keep the description under 300 characters.")})
    folder = f"evidence/{entry.diary_id}"
    with stored_upload(upload, folder=folder, zone=entry.diary.zone) as stored:
        if kind and kind not in KINDS_FOR[stored.kind]:
            mismatch = {"actual": A_KIND[stored.kind], "chosen": A_KIND[kind]}
            raise ValidationError({"kind": messages.FILE_KIND_MISMATCH % mismatch})
        return evidence_adopt(
            entry=entry,
            actor=actor,
            stored=stored,
            kind=kind,
            description=description,
            ledger_actor=ledger_actor,
        )


@transaction.atomic
def evidence_adopt(
    *,
    entry: Entry,
    actor: User | None,
    stored: StoredFile,
    kind: str = "",
    description: str = "",
    received_at: datetime | None = None,
    ledger_actor: str | None = None,
) -> Evidence:
    """Record a file that is already stored (just uploaded, or sent earlier by a witness) as
    evidence on an entry, with its ledger record."""
    lock_diary(entry.diary)
    evidence = stored.keep(
        Evidence(
            diary_id=entry.diary_id,
            entry=entry,
            number=next_number(Evidence.objects.filter(diary_id=entry.diary_id)),
            uploaded_by=actor,
            description=description.strip(),
        )
    )
    evidence.kind = kind or stored.kind
    if received_at is not None:
        evidence.received_at = received_at
    evidence.save()
    ledger_append(
        diary=entry.diary, kind=EVIDENCE_ATTACH, obj=evidence, actor=ledger_actor or actor
    )
    entry_changed(entry, "files")
    return evidence
