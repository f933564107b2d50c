"""The one part of a demo diary not written by the services: entries inserted in bulk to make a
ledger far longer than the services could write in good time (build_demo's `ledger_records`).

The benchmark checks a 100,000-record ledger. Through the services each record costs a lock,
the next number, two inserts, the ledger append and a live event: measured on the 2-core
development machine, 18 ms a record in one transaction and 29 ms committed one by one, so 30 to
48 minutes for 100,000. Here the entries and their versions are bulk-inserted, and each
version's ledger record is hashed from the row as the database gives it back — exactly as
verify_ledger reads it — in under a millisecond a record (20,000 in 12 s, the story included;
docs/performance.md). Whether that stays valid is checked wherever it is used: verify_ledger
must pass over the diary.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Max

from diary.core.hashing import canonical_sha256
from diary.ledger.services import (
    ENTRY_AMEND,
    ENTRY_CREATE,
    actor_label,
    ledger_extend,
    ledger_head,
    lock_diary,
    object_label,
)
from diary.models import Diary, Entry, EntryVersion, LedgerRecord, User

VERSIONS = 3  # each entry is written, then amended twice
BATCH = 2_000


def ledger_pad(
    *,
    diary: Diary,
    owner: User,
    records: int,
    content: Callable[[int], list[dict[str, Any]]],
) -> None:
    """Add entries (their content from `content(count)`) until the diary's ledger holds exactly
    `records` records. Call it inside a transaction, after every other write to the diary."""
    lock_diary(diary)
    head = ledger_head(diary)
    assert head is not None  # a diary's first record is its own creation
    missing = records - head.seq
    if missing < 0:
        raise ValueError(f"ledger_records={records}: the diary's ledger already has {head.seq}")
    count = -(-missing // VERSIONS)
    first = (Entry.objects.filter(diary=diary).aggregate(last=Max("number"))["last"] or 0) + 1
    entries = Entry.objects.bulk_create(
        [Entry(diary=diary, number=first + n) for n in range(count)], batch_size=BATCH
    )
    versions = []
    for n, (entry, told) in enumerate(zip(entries, content(count), strict=True)):
        written = VERSIONS if n < count - 1 else missing - (count - 1) * VERSIONS
        versions += [
            EntryVersion(entry=entry, number=number, recorded_by=owner, **_fields(told))
            for number in range(1, written + 1)
        ]
    versions = EntryVersion.objects.bulk_create(versions, batch_size=BATCH)
    last: dict[int, EntryVersion] = {version.entry_id: version for version in versions}
    for entry in entries:
        entry.current = last[entry.pk]
        entry.current_start = entry.current.occurred_start
    Entry.objects.bulk_update(entries, ["current", "current_start"], batch_size=BATCH)

    seq, prev_hash = head.seq, head.hash
    actor = actor_label(owner)
    added = []
    stored = EntryVersion.objects.filter(entry__diary=diary, entry__number__gte=first)
    stored = stored.select_related("entry").order_by("entry_id", "number")
    for version in stored.iterator(chunk_size=BATCH):
        seq += 1
        record = LedgerRecord(
            diary=diary,
            seq=seq,
            kind=ENTRY_CREATE if version.number == 1 else ENTRY_AMEND,
            object=object_label(version),
            actor=actor,
            at=version.recorded_at,
            content_sha256=canonical_sha256(version.ledger_content()),
            prev_hash=prev_hash,
        )
        record.hash = prev_hash = record.computed_hash()
        added.append(record)
    ledger_extend(diary=diary, records=added, batch_size=BATCH)


def _fields(content: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in content.items() if name in EntryVersion.CONTENT_FIELDS}
