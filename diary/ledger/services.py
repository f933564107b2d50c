"""Appending to a diary's hash-chained ledger (DESIGN invariant 7).

Every service that writes calls `ledger_append` inside its own transaction, so a record and
the write it describes commit together or not at all.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from django.db import models
from django.utils import timezone

from diary.core.hashing import GENESIS_HASH, canonical_sha256
from diary.models import (
    Diary,
    DiarySettingsChange,
    EntryVersion,
    EntryWithdrawal,
    Evidence,
    EvidenceKindChange,
    Export,
    ImportedMessage,
    ItemVersion,
    LedgerRecord,
    MessageImport,
    PersonVersion,
    RiskChecklist,
    UploadFinish,
)

if TYPE_CHECKING:
    from django.db.models.options import Options

DIARY_CREATE = "diary.create"


DIARY_SETTINGS = "diary.settings"


ENTRY_CREATE = "entry.create"


ENTRY_AMEND = "entry.amend"


ENTRY_WITHDRAW = "entry.withdraw"


EVIDENCE_ATTACH = "evidence.attach"


EVIDENCE_KIND = "evidence.kind"


ITEM_CREATE = "item.create"


ITEM_AMEND = "item.amend"


EXPORT_CREATE = "export.create"


RISK_CHECKLIST = "risk.checklist"


PERSON_UPDATE = "person.update"

# An export brought in (its file kept), and each of its messages that became an entry.
IMPORT_CREATE = "import.create"
IMPORT_MESSAGE = "import.message"

# A file or recording that arrived in pieces, joined: its hash with every piece's.
UPLOAD_FINISH = "upload.finish"


# Every model whose rows the ledger must name, with the path from it to its diary's id.
# Other apps add theirs with `register_ledgered` (diary never imports them).
LEDGERED: dict[type[models.Model], str] = {
    Diary: "pk",
    DiarySettingsChange: "diary_id",
    EntryVersion: "entry__diary_id",
    EntryWithdrawal: "entry__diary_id",
    Evidence: "diary_id",
    EvidenceKindChange: "diary_id",
    ItemVersion: "item__diary_id",
    Export: "diary_id",
    RiskChecklist: "diary_id",
    PersonVersion: "diary_id",
    MessageImport: "diary_id",
    ImportedMessage: "diary_id",
    UploadFinish: "diary_id",
}


def register_ledgered(model: type[models.Model], diary_path: str) -> None:
    LEDGERED[model] = diary_path


def actor_label(actor: Any) -> str:
    """Who did it, as the ledger names them: `owner:<id>`, or a label the caller made."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"owner:{actor.pk}"


class Named(Protocol):
    """A row as the ledger names it: its model's label and its primary key."""

    @property
    def pk(self) -> Any: ...
    @property
    def _meta(self) -> "Options[Any]": ...


class Recorded(Named, Protocol):
    """A row the ledger records: named, and with the content its record hashes."""

    def ledger_content(self) -> dict[str, Any]: ...


def object_label(obj: Named) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def lock_diary(diary: Diary) -> Diary:
    """Serialise writers on one diary: a row lock on PostgreSQL; SQLite's IMMEDIATE
    transactions already let only one writer in at a time."""
    return Diary.objects.select_for_update().get(pk=diary.pk)


def ledger_append(
    *, diary: Diary, kind: str, obj: Recorded, actor: Any, diary_locked: bool = False
) -> LedgerRecord:
    """Append one record naming `obj`. Call inside the transaction that wrote `obj`.
    `diary_locked=True` says this transaction already called lock_diary: appends from a busy
    write path then spend one round trip less holding the lock (docs/performance.md)."""
    if not diary_locked:
        lock_diary(diary)
    last = LedgerRecord.objects.filter(diary=diary).order_by("-seq").only("seq", "hash").first()
    record = LedgerRecord(
        diary=diary,
        seq=(last.seq + 1) if last else 1,
        kind=kind,
        object=object_label(obj),
        actor=actor_label(actor),
        at=timezone.now(),
        content_sha256=canonical_sha256(obj.ledger_content()),
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    record.hash = record.computed_hash()
    record.save(force_insert=True)
    return record


def ledger_append_many(
    *,
    diary: Diary,
    kind: str,
    objs: Sequence[Recorded],
    actor: Any,
    diary_locked: bool = False,
) -> list[LedgerRecord]:
    """Append one record for each of `objs`, in their order: the same records, chained the same
    way, as `ledger_append` called for each in turn, but hashed in memory from the head and
    written in one insert. For a batch of rows written together (an import's messages)."""
    if not objs:
        return []
    if not diary_locked:
        lock_diary(diary)
    last = LedgerRecord.objects.filter(diary=diary).order_by("-seq").only("seq", "hash").first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS_HASH)
    label = actor_label(actor)
    records = []
    for obj in objs:
        seq += 1
        record = LedgerRecord(
            diary=diary,
            seq=seq,
            kind=kind,
            object=object_label(obj),
            actor=label,
            at=timezone.now(),
            content_sha256=canonical_sha256(obj.ledger_content()),
            prev_hash=prev_hash,
        )
        record.hash = prev_hash = record.computed_hash()
        records.append(record)
    return LedgerRecord.objects.bulk_create(records)


def ledger_head(diary: Diary) -> LedgerRecord | None:
    return LedgerRecord.objects.filter(diary=diary).order_by("-seq").first()
