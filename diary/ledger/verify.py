"""Checking a ledger end to end: `ledger_verify` walks each chain and recomputes every hash, of
each record, of the content each record names, and of each file.
"""

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from diary.core import filestore
from diary.core.crypto import DecryptionError, UnknownKeyError
from diary.core.hashing import GENESIS_HASH, canonical_sha256
from diary.ledger.coverage import first_inconsistency
from diary.ledger.services import LEDGERED
from diary.models import (
    Diary,
    HeadTimestamp,
    LedgerRecord,
    record_body,
)

CHUNK = 2_000


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


def _rows(diary: Diary) -> Iterator[Row]:
    records = LedgerRecord.objects.filter(diary=diary).order_by("seq")
    for values in records.values_list(*Row._fields).iterator(CHUNK):
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
    """Fetch every object a chunk names with one query per model, not one per record."""
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
            rows = _related(model._default_manager.all(), model).in_bulk(pks)
        except UnknownKeyError:
            raise
        except DecryptionError:
            rows = _load_one_by_one(model, pks)
        for pk, obj in rows.items():
            found[f"{label}:{pk}"] = obj
    return found


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


def _check(
    record: Row, obj: Any, expected_seq: int, prev_hash: str, check_files: bool
) -> str | None:
    if record.seq != expected_seq:
        return f"sequence number {record.seq} where {expected_seq} was expected"
    if record.prev_hash != prev_hash:
        return "its previous hash does not match the record before it"
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


def ledger_verify(*, diary: Diary | None = None, check_files: bool = True) -> Verification:
    """Walk each diary's chain from the first record; stop at the first problem."""
    with _collector_paused():
        return _verify(diary, check_files)


def _verify(diary: Diary | None, check_files: bool) -> Verification:
    result = Verification()
    diaries = [diary] if diary is not None else Diary.objects.order_by("pk")
    for each in diaries:
        expected_seq, prev_hash = 1, GENESIS_HASH
        covered: dict[str, int] = {}
        vouched = _vouched_hashes(each)
        kept = kept_head(each.pk)
        for chunk in _chunks(_rows(each)):
            objects = _load_objects(chunk)
            for record in chunk:
                reason = _check(
                    record, objects.get(record.object), expected_seq, prev_hash, check_files
                ) or _untrue_to_its_timestamp(record, vouched)
                if reason:
                    result.problem = Problem(diary_id=each.pk, seq=record.seq, reason=reason)
                    return result
                result.records += 1
                covered[record.object] = record.seq
                expected_seq, prev_hash = record.seq + 1, record.hash
        gone = [seq for seq in vouched if seq >= expected_seq]
        if gone:
            result.problem = Problem(
                diary_id=each.pk,
                seq=min(gone),
                reason="an authority vouched for this record, and it is missing",
            )
            return result
        missing = _first_unrecorded(each, covered)
        if missing:
            result.problem = Problem(
                diary_id=each.pk, seq=expected_seq, reason=f"{missing} is not in the ledger"
            )
            return result
        inconsistent = first_inconsistency(each, covered)
        if inconsistent:
            seq, reason = inconsistent
            result.problem = Problem(diary_id=each.pk, seq=seq, reason=reason)
            return result
        wrong = kept_head_problem(each.pk, kept, last_seq=expected_seq - 1, last_hash=prev_hash)
        if wrong:
            result.problem = wrong
            return result
        result.heads[each.pk] = prev_hash
    return result


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
