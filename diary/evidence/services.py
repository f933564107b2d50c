"""Keeping an evidence file on an entry, in one transaction with its ledger record; and reading
files kept before intake looked for files that call home."""

import os
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.core import filestore
from diary.core.numbering import next_number
from diary.evidence import callhome
from diary.evidence.intake import A_KIND, ALLOWED, KINDS_FOR, StoredFile, stored_upload
from diary.ledger.services import EVIDENCE_ATTACH, EVIDENCE_KIND, ledger_append, lock_diary
from diary.live.events import entry_changed
from diary.models import Entry, Evidence, EvidenceKindChange, KeptFile, User
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
        _check_kind(stored, kind)
        return evidence_adopt(
            entry=entry,
            actor=actor,
            stored=stored,
            kind=kind,
            description=description,
            ledger_actor=ledger_actor,
        )


@dataclass(frozen=True)
class FileSent:
    """A file sent to be kept on an entry, with what the owner said it is."""

    upload: UploadedFile
    kind: str = ""
    description: str = ""


def _naming(error: ValidationError, name: str) -> ValidationError:
    """A file's error as one of several: each message says which file it is about."""
    named = {
        field: [messages.FILE_NAMED % {"name": name, "problem": text} for text in texts]
        for field, texts in error.message_dict.items()
    }
    named.setdefault("file", []).append(str(messages.NONE_OF_THE_FILES_KEPT))
    return ValidationError(named)


def evidence_attach_all(
    *, entry: Entry, actor: User | None, files: Sequence[FileSent]
) -> list[Evidence]:
    """Keep several files on an entry, all or none: each is checked as a single file is; if
    any is refused (the error names it), none is kept and every stored one is removed again.
    Call inside the transaction that should hold them all."""
    if len(files) > settings.EVIDENCE_MAX_FILES:
        raise ValidationError(
            {"file": messages.TOO_MANY_FILES_AT_ONCE % {"limit": settings.EVIDENCE_MAX_FILES}}
        )
    if len(files) == 1:
        only = files[0]
        return [
            evidence_attach(
                entry=entry,
                actor=actor,
                upload=only.upload,
                kind=only.kind,
                description=only.description,
            )
        ]
    folder = f"evidence/{entry.diary_id}"
    with ExitStack() as stack:
        stored: list[tuple[StoredFile, FileSent]] = []
        for sent in files:
            name = os.path.basename(sent.upload.name or "") or "?"
            try:
                kept = stack.enter_context(
                    stored_upload(sent.upload, folder=folder, zone=entry.diary.zone)
                )
                _check_kind(kept, sent.kind)
            except ValidationError as error:
                raise _naming(error, name) from None
            stored.append((kept, sent))
        return [
            evidence_adopt(
                entry=entry,
                actor=actor,
                stored=kept,
                kind=sent.kind,
                description=sent.description,
            )
            for kept, sent in stored
        ]


def _check_kind(stored: StoredFile, kind: str) -> None:
    if kind and kind not in KINDS_FOR[stored.kind]:
        mismatch = {"actual": A_KIND[stored.kind], "chosen": A_KIND[kind]}
        raise ValidationError({"kind": messages.FILE_KIND_MISMATCH % mismatch})


@transaction.atomic
def evidence_kind_correct(*, evidence: Evidence, actor: User, kind: str) -> EvidenceKindChange:
    """The owner says what a file is, when it was taken for something else. Appends a
    correction with its ledger record; the file's own row, and its record, stay as received."""
    if kind not in EvidenceKind.values:
        raise ValidationError({"kind": messages.UNKNOWN_CHOICE}, code="invalid_choice")
    allowed = ALLOWED.get(evidence.mime_type)
    content_kind = allowed.kind if allowed else evidence.kind
    if kind not in KINDS_FOR[content_kind]:
        mismatch = {"actual": A_KIND[content_kind], "chosen": A_KIND[kind]}
        raise ValidationError({"kind": messages.FILE_KIND_MISMATCH % mismatch})
    lock_diary(evidence.diary)
    was = evidence.shown_kind
    if kind == was:
        raise ValidationError({"kind": messages.FILE_KIND_UNCHANGED}, code="unchanged")
    change = EvidenceKindChange.objects.create(
        diary_id=evidence.diary_id, evidence=evidence, kind=kind, was=was, changed_by=actor
    )
    ledger_append(diary=evidence.diary, kind=EVIDENCE_KIND, obj=change, actor=actor)
    entry_changed(evidence.entry, "files")
    return change


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


@dataclass
class CallHomeSweep:
    checked: int = 0
    marked: int = 0
    unreadable: int = 0


def kept_files_check_call_home(*, batch_size: int = 100) -> CallHomeSweep:
    """Look for files that could call home among the files kept before intake looked (rows
    whose `call_home_checked_at` is null), in every model that keeps files, a batch of rows at
    a time and one file in memory at most (it is read from a temporary file, not held whole).
    A file that cannot be read is marked as "could not be checked", never as safe. Running it
    again reads only rows not yet read, so it can be stopped and started."""
    sweep = CallHomeSweep()
    kept_models = [m for m in apps.get_models() if issubclass(m, KeptFile)]
    for model in kept_models:
        last = 0
        while True:
            batch = list(
                model._default_manager.filter(call_home_checked_at__isnull=True, pk__gt=last)
                .order_by("pk")
                .only("pk", "original", "original_key", "mime_type")[:batch_size]
            )
            if not batch:
                break
            for kept in batch:
                reasons = _call_home_of(kept, sweep)
                # Only a row still unread is written, so two runs at once agree.
                model._default_manager.filter(pk=kept.pk, call_home_checked_at__isnull=True).update(
                    call_home=reasons, call_home_checked_at=timezone.now()
                )
                sweep.checked += 1
                sweep.marked += bool(reasons)
            last = batch[-1].pk
    return sweep


def _call_home_of(kept: KeptFile, sweep: CallHomeSweep) -> str:
    if not callhome.checked_type(kept.mime_type):
        return ""
    try:
        with filestore.decrypted_copy(kept.original.name or "", kept.original_key) as copy:
            return callhome.check(copy, kept.mime_type).stored
    except (OSError, filestore.DecryptionError):
        sweep.unreadable += 1
        return callhome.UNCHECKED
