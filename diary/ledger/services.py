"""Appending to a diary's hash-chained ledger (DESIGN invariant 7).

Every service that writes calls `ledger_append` inside its own transaction, so a record and
the write it describes commit together or not at all.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from django.db import IntegrityError, connection, models
from django.utils import timezone

from diary.core.hashing import canonical_sha256
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
    transactions already let only one writer in at a time. The lock's read brings the ledger's
    head with it, onto `diary` (returned), so the appends that follow need not ask for it."""
    diary.head_seq, diary.head_hash = (
        Diary.objects.select_for_update().filter(pk=diary.pk).values_list("head_seq", "head_hash")
    ).get()
    _heads()[diary.pk] = (diary.head_seq, diary.head_hash)
    return diary


def _heads() -> dict[int, tuple[int, str]]:
    """The head of each diary this connection has locked, as its lock read it and its appends
    moved it since: a `diary_locked=True` append chains from it whichever copy of the diary it
    is given (a service may lock one copy and a service it calls append through another).
    Every locked transaction starts with lock_diary, which sets it afresh; a head left from a
    transaction rolled back is caught by the compare-and-set, never written."""
    heads: dict[int, tuple[int, str]] | None = getattr(connection, "_sightline_heads", None)
    if heads is None:
        heads = {}
        connection._sightline_heads = heads  # type: ignore[attr-defined]
    return heads


def _head(diary: Diary) -> tuple[int, str]:
    return _heads().get(diary.pk, (diary.head_seq, diary.head_hash))


class HeadMoved(RuntimeError):
    """The diary's head was not the one these records chain from: something appended without
    the diary's lock, or from a copy of the diary read before another append. Nothing is
    written, and the transaction cannot commit what it did."""


def _record(
    diary: Diary, kind: str, obj: Recorded, actor: str, seq: int, prev: str
) -> LedgerRecord:
    record = LedgerRecord(
        diary=diary,
        seq=seq,
        kind=kind,
        object=object_label(obj),
        actor=actor,
        at=timezone.now(),
        content_sha256=canonical_sha256(obj.ledger_content()),
        prev_hash=prev,
    )
    record.hash = record.computed_hash()
    return record


def ledger_extend(
    *, diary: Diary, records: Sequence[LedgerRecord], batch_size: int | None = None
) -> list[LedgerRecord]:
    """Write records already chained from `diary`'s head (as its lock read it), and move the
    head to the last of them, in one transaction: the head never disagrees with the records.
    Raises HeadMoved if the head in the database is not the one they chain from."""
    if not records:
        return []
    first, last = records[0], records[-1]
    head_seq, head_hash = _head(diary)
    if (first.seq, first.prev_hash) != (head_seq + 1, head_hash):
        raise HeadMoved(f"diary {diary.pk}: records do not start at its head")
    if len(records) == 1 and connection.vendor == "postgresql":
        _insert_and_move(diary, first, head_seq)  # one round trip under the lock, not two
    else:
        moved = Diary.objects.filter(pk=diary.pk, head_seq=head_seq).update(
            head_seq=last.seq, head_hash=last.hash
        )
        if moved != 1:
            raise HeadMoved(f"diary {diary.pk}: its head moved")
        records = LedgerRecord.objects.bulk_create(records, batch_size=batch_size)
    diary.head_seq, diary.head_hash = _heads()[diary.pk] = (last.seq, last.hash)
    return list(records)


# The fields of a record's row, in order, for the one statement below.
_RECORD_FIELDS = [field for field in LedgerRecord._meta.concrete_fields if not field.primary_key]


def _insert_and_move(diary: Diary, record: LedgerRecord, head_seq: int) -> None:
    """On PostgreSQL, insert the record and move the diary's head in one statement: the head
    moves only from the seq the record chains from (else no row comes back: HeadMoved)."""
    quote = connection.ops.quote_name
    records, diaries = quote(LedgerRecord._meta.db_table), quote(Diary._meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in _RECORD_FIELDS)
    values = [
        field.get_db_prep_save(getattr(record, field.attname), connection)
        for field in _RECORD_FIELDS
    ]
    pk = quote("id")
    seq, head = quote("head_seq"), quote("head_hash")
    # Only names from the models' own metadata go into the text; every value is a parameter.
    sql = (
        f"WITH added AS (INSERT INTO {records} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(values))}) RETURNING {pk}) "
        f"UPDATE {diaries} SET {seq} = %s, {head} = %s "
        f"WHERE {pk} = %s AND {seq} = %s RETURNING (SELECT {pk} FROM added)"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*values, record.seq, record.hash, diary.pk, head_seq])
            row = cursor.fetchone()
    except IntegrityError as error:
        # The insert runs first: from a head read before another append, its seq is taken.
        diag = getattr(error.__cause__, "diag", None)
        if getattr(diag, "constraint_name", None) == "ledger_seq_unique":
            raise HeadMoved(f"diary {diary.pk}: its head moved") from error
        raise
    if row is None:
        raise HeadMoved(f"diary {diary.pk}: its head moved")
    record.pk = row[0]
    record._state.adding = False


def ledger_append(
    *, diary: Diary, kind: str, obj: Recorded, actor: Any, diary_locked: bool = False
) -> LedgerRecord:
    """Append one record naming `obj`. Call inside the transaction that wrote `obj`.
    `diary_locked=True` says this transaction already called lock_diary on this diary (on
    any copy of it), whose head that read brought: appends from a busy write path then spend
    one round trip less holding the lock (docs/performance.md)."""
    if not diary_locked:
        lock_diary(diary)
    seq, prev_hash = _head(diary)
    record = _record(diary, kind, obj, actor_label(actor), seq + 1, prev_hash)
    ledger_extend(diary=diary, records=[record])
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
    seq, prev_hash = _head(diary)
    label = actor_label(actor)
    records = []
    for obj in objs:
        seq += 1
        record = _record(diary, kind, obj, label, seq, prev_hash)
        prev_hash = record.hash
        records.append(record)
    return ledger_extend(diary=diary, records=records)


def ledger_head(diary: Diary) -> LedgerRecord | None:
    return LedgerRecord.objects.filter(diary=diary).order_by("-seq").first()
