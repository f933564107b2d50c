"""Checking a ledger end to end: `ledger_verify` walks each chain and recomputes every hash, of
each record, of the content each record names, and of each file.

A long chain is checked in segments, one process a core (docs/performance.md): each record's
hash needs only its own row and the hash stored before it, so each segment checks its own
records and their links inside it, and this process then checks the joins (each segment's
first record against the last of the one before), in order, as one walk would have: the first
problem named is the one with the lowest number. What needs the whole chain (rows no record
names, the pointers and copies of coverage.py, records an authority vouched for) is checked
here once every segment has come back.
"""

import functools
import gc
import os
import pickle
import select
import signal
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, connections, models
from django.db.models import Count, Max, Min, Q, signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

from diary.core import filestore
from diary.core.crypto import DecryptionError, UnknownKeyError
from diary.core.fields import SearchIndexField
from diary.core.hashing import GENESIS_HASH, canonical_sha256
from diary.core.snapshot import in_own_snapshot, read_snapshot
from diary.ledger.coverage import first_inconsistency
from diary.ledger.services import LEDGERED
from diary.models import (
    Diary,
    HeadTimestamp,
    LedgerRecord,
    record_body,
)

CHUNK = 2_000
# A chain shorter than this is checked in this process alone: a process of its own costs a
# few milliseconds to start, and a segment a query per chunk and model more.
SEGMENT_MIN = 5_000


@dataclass
class Problem:
    diary_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"diary {self.diary_id}, record {self.seq}: {self.reason}"


@dataclass
class Verification:
    records: int = 0
    heads: dict[int, str] = field(default_factory=dict)
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class Row(NamedTuple):
    """A ledger record as verify reads it: the stored fields, without a model instance each
    (a third less time over 100,000 records; docs/performance.md)."""

    seq: int
    kind: str
    object: str
    actor: str
    at: Any
    content_sha256: str
    prev_hash: str
    hash: str


def _rows(diary: Diary, low: int | None = None, high: int | None = None) -> Iterator[Row]:
    """The diary's records in order; with `low`/`high`, only those numbered low ≤ seq < high."""
    records = LedgerRecord.objects.filter(diary=diary)
    if low is not None:
        records = records.filter(seq__gte=low)
    if high is not None:
        records = records.filter(seq__lt=high)
    for values in records.order_by("seq").values_list(*Row._fields).iterator(CHUNK):
        yield Row._make(values)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Verifying makes and drops a model instance for every record's object; the collector's
    full passes over everything Django has loaded took a quarter of the time, and nothing
    here makes reference cycles for it to find."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _chunks(records: Iterable[Row]) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _load_objects(chunk: list[Row]) -> dict[str, Any]:
    """Fetch every object a chunk names with one query per model (and one per related model
    its content reads), not one per record."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for record in chunk:
        label, _, pk = record.object.partition(":")
        if pk.isdigit():
            wanted[label].append(int(pk))
    found: dict[str, Any] = {}
    for label, pks in wanted.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        try:
            rows = _in_bulk(model, pks)
        except UnknownKeyError:
            raise
        except DecryptionError:
            rows = _load_one_by_one(model, pks)
        for key, obj in rows.items():
            found[f"{label}:{key}"] = obj
    return found


def _unhashed(model: type[models.Model]) -> list[str]:
    """Columns no ledger content reads: the blind index is made from the row's own text, and
    is the largest column of a version (about 1.1 KB)."""
    return [f.name for f in model._meta.concrete_fields if isinstance(f, SearchIndexField)]


@functools.cache
def _columns(model: type[models.Model]) -> tuple[str, ...] | None:
    """The columns to read for a model's ledger content, if its instances can be made from
    them directly: every field a plain attribute (no descriptor that does more than store the
    value, as a file or an image field's does), and nothing listening for instances made."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return None
    unhashed = _unhashed(model)
    names = []
    for column in model._meta.concrete_fields:
        if column.name in unhashed:
            continue
        if type(getattr(model, column.attname, None)) not in _PLAIN:
            return None
        names.append(column.attname)
    return tuple(names)


_PLAIN = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _read(model: type[models.Model], pks: Iterable[int]) -> dict[int, Any]:
    """The rows by pk, each a model instance of the columns its ledger content reads.

    Each value is what the ORM reads (values_list: every field's own conversion from the
    database, the decryption among them), and the instance is made as Model.from_db makes one
    from them, less the work that does nothing here: a third of the time of reading a
    version. What the instance computes, its ledger_content() above all, is its own code."""
    names = _columns(model)
    rows = model._default_manager.filter(pk__in=pks)
    if names is None:
        return rows.defer(*_unhashed(model)).in_bulk()
    found: dict[int, Any] = {}
    db, new, pk = rows.db, model.__new__, model._meta.pk.attname
    for values in rows.values_list(*names):
        obj = new(model)
        obj.__dict__.update(zip(names, values, strict=True))
        obj._state = state = ModelState()
        state.adding, state.db = False, db
        found[obj.__dict__[pk]] = obj
    return found


def _in_bulk(model: type[models.Model], pks: list[int]) -> dict[int, Any]:
    """The rows, with the related rows their ledger content reads (Ledgered.LEDGER_RELATED)
    read once each: an entry's three versions share one entry, which a join would read, open
    and make into an instance three times."""
    rows = _read(model, pks)
    for name in getattr(model, "LEDGER_RELATED", ()):
        relation = model._meta.get_field(name)
        assert isinstance(relation, models.ForeignKey)  # LEDGER_RELATED names foreign keys
        target = relation.related_model
        assert not isinstance(target, str)  # resolved once the apps are loaded
        related = _read(target, {getattr(row, relation.attname) for row in rows.values()} - {None})
        for pk, row in list(rows.items()):
            other = related.get(getattr(row, relation.attname))
            if other is None and not relation.null:
                del rows[pk]  # as the join would: a row whose related row is gone is missing
                continue
            relation.set_cached_value(row, other)
    return rows


def _related(rows: models.QuerySet[Any], model: type[models.Model]) -> models.QuerySet[Any]:
    """With the related rows a model's ledger content reads (Ledgered.LEDGER_RELATED)."""
    related = getattr(model, "LEDGER_RELATED", ())
    return rows.select_related(*related) if related else rows


# A row whose encrypted fields no longer open: someone changed its ciphertext.
UNREADABLE = object()


def _load_one_by_one(model: type[models.Model], pks: list[int]) -> dict[int, Any]:
    """Only after a chunk failed to decrypt: find which rows, so the report can name one."""
    rows: dict[int, Any] = {}
    for pk in pks:
        try:
            rows[pk] = _related(model._default_manager.all(), model).get(pk=pk)
        except ObjectDoesNotExist:
            continue
        except UnknownKeyError:
            raise
        except DecryptionError:
            rows[pk] = UNREADABLE
    return rows


def _file_sha256(stored: filestore.Ref) -> str | None:
    """The plaintext's SHA-256, or None if the file is missing or does not decrypt."""
    try:
        return filestore.sha256_of(stored.name, stored.key)
    except UnknownKeyError:
        raise
    except (FileNotFoundError, ValueError, DecryptionError):
        return None


def _link_problem(seq: int, names: str, expected_seq: int, prev_hash: str) -> str | None:
    """Whether a record follows the one before it: its number, and the hash it names."""
    if seq != expected_seq:
        return f"sequence number {seq} where {expected_seq} was expected"
    if names != prev_hash:
        return "its previous hash does not match the record before it"
    return None


def _check(
    record: Row, obj: Any, expected_seq: int, prev_hash: str, check_files: bool
) -> str | None:
    linked = _link_problem(record.seq, record.prev_hash, expected_seq, prev_hash)
    if linked:
        return linked
    if canonical_sha256(record_body(record)) != record.hash:
        return "its hash does not match its contents"
    if obj is None:
        return f"{record.object} is missing"
    if obj is UNREADABLE:
        return f"the content of {record.object} has changed (it no longer decrypts)"
    if canonical_sha256(obj.ledger_content()) != record.content_sha256:
        return f"the content of {record.object} has changed"
    stored = getattr(obj, "ledger_file", None)
    if check_files and stored is not None and _file_sha256(stored) != obj.sha256:
        return f"the file of {record.object} is missing or has changed"
    return _preview_problem(record, obj) if check_files else None


def _preview_problem(record: Row, obj: Any) -> str | None:
    """A preview is the one made from its original (ledger content version 2)."""
    preview = getattr(obj, "ledger_preview", None)
    if preview is not None and _file_sha256(preview) != obj.preview_sha256:
        return f"the preview of {record.object} is missing or is not the one made from it"
    return None


def ledger_verify(
    *, diary: Diary | None = None, check_files: bool = True, workers: int | None = 1
) -> Verification:
    """Walk each diary's chain from the first record; stop at the first problem.

    workers: processes to check a long chain with, this one included; None is one a core this
    process may use. The default, 1, checks every chain here alone: forking copies a process
    whose other threads (a server's requests, a job's heartbeat) may hold locks, so only a
    process of its own asks for more (the verify_ledger command, the bench)."""
    with _collector_paused():
        return _verify(diary, check_files, workers)


def _verify(diary: Diary | None, check_files: bool, workers: int | None) -> Verification:
    result = Verification()
    diaries = [diary] if diary is not None else Diary.objects.order_by("pk")
    for each in diaries:
        # One moment of the database for the chain and what it covers: a row written while
        # the chain is walked has its record after the head walked, and is for the next check.
        with read_snapshot():
            problem = _verify_diary(each, check_files, workers, result)
        if problem:
            result.problem = problem
            return result
    return result


def _verify_diary(
    diary: Diary, check_files: bool, workers: int | None, result: Verification
) -> Problem | None:
    """The diary's first problem; or None, with its head in `result.heads`. Its records that
    checked out are counted in `result.records`."""
    vouched = _vouched_hashes(diary)
    kept = kept_head(diary.pk)
    walked = _walk_chain(diary, vouched, check_files, workers)
    result.records += walked.records
    if walked.problem:
        seq, reason = walked.problem
        return Problem(diary_id=diary.pk, seq=seq, reason=reason)
    expected_seq = walked.last_seq + 1
    gone = [seq for seq in vouched if seq >= expected_seq]
    if gone:
        return Problem(
            diary_id=diary.pk,
            seq=min(gone),
            reason="an authority vouched for this record, and it is missing",
        )
    missing = _first_unrecorded(diary, walked.covered)
    if missing:
        return Problem(
            diary_id=diary.pk, seq=expected_seq, reason=f"{missing} is not in the ledger"
        )
    inconsistent = first_inconsistency(diary, walked.covered)
    if inconsistent:
        seq, reason = inconsistent
        return Problem(diary_id=diary.pk, seq=seq, reason=reason)
    wrong = kept_head_problem(diary.pk, kept, last_seq=walked.last_seq, last_hash=walked.last_hash)
    if wrong:
        return wrong
    result.heads[diary.pk] = walked.last_hash
    return None


@dataclass
class Walked:
    """What walking a stretch of a chain found: its first record's number and the hash it
    names, its last record's number and hash, how many records checked out, the first problem
    (seq, why) and which record last named each object."""

    first_seq: int | None = None
    first_prev: str = ""
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    records: int = 0
    problem: tuple[int, str] | None = None
    covered: dict[str, int] = field(default_factory=dict)


def _walk(
    records: Iterable[Row],
    vouched: dict[int, set[str]],
    check_files: bool,
    start: tuple[int, str] | None,
) -> Walked:
    """Check each record in turn. `start` is the number and previous hash the first record
    must have; None for a segment, whose first link the caller checks (`_join`)."""
    walked = Walked()
    expected_seq, prev_hash = start if start else (0, "")
    for chunk in _chunks(records):
        objects = _load_objects(chunk)
        for record in chunk:
            if walked.first_seq is None:
                walked.first_seq, walked.first_prev = record.seq, record.prev_hash
                if start is None:
                    expected_seq, prev_hash = record.seq, record.prev_hash
            reason = _check(
                record, objects.get(record.object), expected_seq, prev_hash, check_files
            ) or _untrue_to_its_timestamp(record, vouched)
            if reason:
                walked.problem = (record.seq, reason)
                return walked
            walked.records += 1
            walked.covered[record.object] = record.seq
            expected_seq, prev_hash = record.seq + 1, record.hash
            walked.last_seq, walked.last_hash = record.seq, record.hash
    return walked


def _walk_chain(
    diary: Diary, vouched: dict[int, set[str]], check_files: bool, workers: int | None
) -> Walked:
    """The whole chain, walked here alone or in segments (when it is long, and another
    connection sees what this one sees), joined as one walk."""
    count = workers if workers is not None else _cores()
    if count < 2 or not _segments_can_run(check_files):
        return _walk(_rows(diary), vouched, check_files, start=(1, GENESIS_HASH))
    bounds = LedgerRecord.objects.filter(diary=diary).aggregate(low=Min("seq"), high=Max("seq"))
    low, high = bounds["low"], bounds["high"]
    if low is not None:
        count = min(count, (high - low + 1) // SEGMENT_MIN)
    if low is None or count < 2:
        return _walk(_rows(diary), vouched, check_files, start=(1, GENESIS_HASH))
    # Split by number: the first segment takes any record below, the last stops at the head
    # this connection sees (a record appended since is for the next check).
    size = -(-(high - low + 1) // count)
    starts = [low + size * n for n in range(count)]
    ends = [*starts[1:], high + 1]
    segments = [
        (None if n == 0 else s, e) for n, (s, e) in enumerate(zip(starts, ends, strict=True))
    ]
    return _join(_walk_segments(diary, segments, vouched, check_files))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _segments_can_run(check_files: bool) -> bool:
    """Another process sees the rows this one sees: the database is not a test's memory and
    nothing here is written but not committed (outside a transaction, or inside a snapshot
    read_snapshot began); and the files it reads are on this machine's disk (an object
    store's client and its open connections are not to be shared with a copy of it)."""
    if not hasattr(os, "fork") or connection.vendor not in ("sqlite", "postgresql"):
        return False
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        return False
    if connection.in_atomic_block and not in_own_snapshot():
        return False
    return not check_files or isinstance(default_storage, FileSystemStorage)


# What a forked process was handed with this one's memory: the connections (and a pool's),
# never used or closed there: closing one would end this process's session, or drop its
# SQLite locks.
_INHERITED: list[Any] = []


@dataclass
class _Child:
    pid: int
    reader: int
    reaped: bool = False


def _walk_segments(
    diary: Diary,
    segments: list[tuple[int | None, int]],
    vouched: dict[int, set[str]],
    check_files: bool,
) -> list[Walked]:
    """The first segment here, each other in a process of its own. A process that fails,
    or has not answered by the time this one could have walked its segment three times over,
    has its segment walked here instead: its answer is only ever a shortcut."""
    expected = _extents(diary, segments)
    started = time.monotonic()
    children: list[_Child] = []
    try:
        for low, high in segments[1:]:
            children.append(_fork(diary, low, high, vouched, check_files))
        low, high = segments[0]
        parts = [_walk(_rows(diary, low, high), vouched, check_files, start=None)]
        patience = max(30.0, 3 * (time.monotonic() - started))
        for (low, high), child, extent in zip(segments[1:], children, expected[1:], strict=True):
            walked = _answer(child, deadline=time.monotonic() + patience)
            if walked is None or not _saw(walked, *extent):
                walked = _walk(_rows(diary, low, high), vouched, check_files, start=None)
            parts.append(walked)
        return parts
    finally:
        for child in children:
            _end(child)


def _extents(diary: Diary, segments: list[tuple[int | None, int]]) -> list[tuple[Any, ...]]:
    """(first seq, last seq, records) of each segment as this connection sees it, in one
    query: what a segment's process must have seen for its answer to count."""
    aggregates: dict[str, Any] = {}
    for n, (low, high) in enumerate(segments):
        inside = Q(seq__lt=high) if low is None else Q(seq__gte=low, seq__lt=high)
        aggregates |= {
            f"first{n}": Min("seq", filter=inside),
            f"last{n}": Max("seq", filter=inside),
            f"count{n}": Count("seq", filter=inside),
        }
    found = LedgerRecord.objects.filter(diary=diary).aggregate(**aggregates)
    return [
        (found[f"first{n}"], found[f"last{n}"], found[f"count{n}"]) for n in range(len(segments))
    ]


def _saw(walked: Walked, first: int | None, last: int | None, count: int) -> bool:
    """Whether a segment's walk began where this connection's records do, and, unless it
    stopped at a problem, ended where they do, having checked each one."""
    if walked.first_seq != first:
        return False
    return walked.problem is not None or (walked.last_seq, walked.records) == (last or 0, count)


def _fork(
    diary: Diary, low: int | None, high: int, vouched: dict[int, set[str]], check_files: bool
) -> _Child:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return _Child(pid, reader)
    # The child: its own connection, one moment of the database, its answer down the pipe.
    status = 1
    try:
        os.close(reader)
        _forget_connections()
        with read_snapshot():
            walked = _walk(_rows(diary, low, high), vouched, check_files, start=None)
        with os.fdopen(writer, "wb") as out:
            pickle.dump(walked, out, protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    finally:
        os._exit(status)  # no exit handlers: nothing of the parent's is closed on its behalf


def _forget_connections() -> None:
    """In a forked process: the next query opens a connection of its own."""
    for wrapper in connections.all(initialized_only=True):
        _INHERITED.append(wrapper)
        pools = getattr(type(wrapper), "_connection_pools", None)  # PostgreSQL's pool
        if isinstance(pools, dict) and wrapper.alias in pools:
            _INHERITED.append(pools.pop(wrapper.alias))
        del connections[wrapper.alias]


def _answer(child: _Child, deadline: float) -> Walked | None:
    """What the child found, or None if it failed or is too late."""
    data = bytearray()
    while True:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([child.reader], [], [], wait)[0]:
            return None
        block = os.read(child.reader, 1 << 20)
        if not block:
            break
        data += block
    _pid, status = os.waitpid(child.pid, 0)
    child.reaped = True
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    # From this process's own fork, down its own pipe.
    walked = pickle.loads(bytes(data))  # noqa: S301
    return walked if isinstance(walked, Walked) else None


def _end(child: _Child) -> None:
    os.close(child.reader)
    if not child.reaped:
        with suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
        os.waitpid(child.pid, 0)


def _join(parts: list[Walked]) -> Walked:
    """The segments as one walk: each joined to the one before (its first record's number and
    previous hash, checked as a walk would have checked them), stopping at the first problem."""
    whole = Walked(first_seq=None, last_seq=0, last_hash=GENESIS_HASH)
    expected_seq, prev_hash = 1, GENESIS_HASH
    for part in parts:
        if part.first_seq is None:
            continue  # no records in its range
        linked = _link_problem(part.first_seq, part.first_prev, expected_seq, prev_hash)
        if linked:
            whole.problem = (part.first_seq, linked)
            return whole
        whole.records += part.records
        if part.problem:
            whole.problem = part.problem
            return whole
        whole.covered.update(part.covered)
        expected_seq, prev_hash = part.last_seq + 1, part.last_hash
        whole.last_seq, whole.last_hash = part.last_seq, part.last_hash
    return whole


def kept_head(diary_id: int) -> tuple[int, str]:
    """The head kept on the diary's row (what the next append chains from). Read before its
    records, so that the records read after it hold at least that far."""
    return Diary.objects.filter(pk=diary_id).values_list("head_seq", "head_hash").get()


def kept_head_problem(
    diary_id: int, kept: tuple[int, str], *, last_seq: int, last_hash: str
) -> Problem | None:
    """The head kept on the diary must be its last record: moved back, the next append would
    fork the chain; moved on, it would leave a gap. `kept` was read before the records, so a
    send that arrived during the check leaves it behind the last record read; then it must
    name a record of the chain, and the diary's head read now must have caught up."""
    seq, hash_ = kept
    if seq == last_seq and hash_ == last_hash:
        return None
    if seq < last_seq:
        at_seq = (
            LedgerRecord.objects.filter(diary_id=diary_id, seq=seq)
            .values_list("hash", flat=True)
            .first()
            if seq
            else GENESIS_HASH
        )
        if at_seq == hash_ and kept_head(diary_id)[0] >= last_seq:
            return None
    return Problem(
        diary_id=diary_id,
        seq=last_seq,
        reason=f"the head kept on the diary (record {seq}, hash {hash_[:12]}…) is not "
        "its last record",
    )


def _vouched_hashes(diary: Diary) -> dict[int, set[str]]:
    """The hash each timestamped record had when an outside authority signed it."""
    vouched: dict[int, set[str]] = defaultdict(set)
    for seq, hash_ in HeadTimestamp.objects.filter(diary=diary).values_list("seq", "hash"):
        vouched[seq].add(hash_)
    return vouched


def _untrue_to_its_timestamp(record: Row, vouched: dict[int, set[str]]) -> str | None:
    hashes = vouched.get(record.seq)
    if hashes and hashes != {record.hash}:
        return "it is not the record an authority vouched for: it was rewritten after that"
    return None


def _first_unrecorded(diary: Diary, covered: dict[str, int]) -> str | None:
    """A row with no record means a record was removed (or a write skipped the ledger)."""
    for model, diary_path in LEDGERED.items():
        label = model._meta.label_lower
        pks = model._default_manager.filter(**{diary_path: diary.pk}).values_list("pk", flat=True)
        for pk in pks.order_by("pk").iterator(CHUNK):
            if f"{label}:{pk}" not in covered:
                return f"{label}:{pk}"
    return None
