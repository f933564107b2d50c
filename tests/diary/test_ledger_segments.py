"""A long chain checked in segments, one process each, finds what one walk finds: the same
first problem (the lowest record), the same count, the same head.

The tests' database is SQLite's memory, which a check would not hand to other processes (their
own connections would open an empty database). Here the data is committed (transaction=True)
and a forked process's new connection opens the memory database its copy of this process
holds, so the segments run in processes of their own as they do over a file."""

import pytest
from django.db import connection, transaction

from diary.core.snapshot import read_snapshot
from diary.ledger import verify
from diary.ledger.verify import ledger_verify
from diary.models import EntryVersion, LedgerRecord
from tests.factories import make_entry

pytestmark = pytest.mark.django_db(transaction=True)

RECORDS = 25  # the diary's own record and 24 entries


@pytest.fixture
def segmented(monkeypatch):
    """Segments of five records or more, and forking allowed over the memory database."""
    monkeypatch.setattr(verify, "SEGMENT_MIN", 5)
    monkeypatch.setattr(verify, "CHUNK", 3)  # several chunks in each segment
    monkeypatch.setattr(verify, "_segments_can_run", lambda check_files: True)


@pytest.fixture
def long_diary(owner):
    for n in range(RECORDS - 1):
        make_entry(owner, what_happened=f"Seen outside, time {n}")
    assert LedgerRecord.objects.filter(diary=owner.diary).count() == RECORDS
    return owner.diary


def both(diary, workers=3):
    """The check in one walk and in segments, each as the caller sees it."""
    alone = ledger_verify(diary=diary, workers=1)
    split = ledger_verify(diary=diary, workers=workers)
    return alone, split


def record(diary, seq):
    return LedgerRecord.objects.get(diary=diary, seq=seq)


def version_of(diary, seq):
    return EntryVersion.objects.get(pk=record(diary, seq).object.partition(":")[2])


def test_a_sound_chain_checks_out_in_segments_with_the_same_head(
    long_diary, segmented, monkeypatch
):
    forks = []
    real_fork = verify._fork

    def fork(diary, low, high, *args):
        forks.append((low, high))
        return real_fork(diary, low, high, *args)

    walks = []
    real_walk = verify._walk

    def walk(records, vouched, check_files, start):
        walks.append(start)  # in this process only: a child's list is its own copy
        return real_walk(records, vouched, check_files, start)

    monkeypatch.setattr(verify, "_fork", fork)
    monkeypatch.setattr(verify, "_walk", walk)
    alone, split = both(long_diary)
    assert forks == [(10, 19), (19, 26)]  # 25 records in three: 1-9 here, 10-18 and 19-25
    assert walks == [(1, verify.GENESIS_HASH), None]  # the children's answers were taken
    assert alone.ok and split.ok
    assert split.records == alone.records == RECORDS
    assert split.heads == alone.heads == {long_diary.pk: record(long_diary, RECORDS).hash}


def test_a_changed_entry_in_a_later_segment_is_named(long_diary, segmented):
    EntryVersion.objects.filter(pk=version_of(long_diary, 20).pk).update(what_happened="Changed")
    alone, split = both(long_diary)
    assert split.problem == alone.problem
    assert (split.problem.seq, split.records) == (20, 19)
    assert "has changed" in split.problem.reason


def test_of_two_problems_the_lowest_is_named(long_diary, segmented):
    for seq in (22, 12):
        EntryVersion.objects.filter(pk=version_of(long_diary, seq).pk).update(words_used="x")
    alone, split = both(long_diary)
    assert split.problem == alone.problem
    assert split.problem.seq == 12 and split.records == alone.records == 11


@pytest.mark.parametrize(
    ("seq", "says"),
    [
        pytest.param(10, "sequence number 11 where 10 was expected", id="first-of-a-segment"),
        pytest.param(9, "sequence number 10 where 9 was expected", id="last-before-a-join"),
        pytest.param(RECORDS, None, id="the-head"),
    ],
)
def test_a_record_removed_at_a_join_is_named_as_one_walk_names_it(long_diary, segmented, seq, says):
    LedgerRecord.objects.filter(diary=long_diary, seq=seq)._raw_delete(connection.alias)
    alone, split = both(long_diary)
    assert split.problem == alone.problem
    assert split.records == alone.records
    if says:
        assert split.problem.reason == says
    else:  # the head gone: the chain holds, and its version has no record
        assert split.problem.seq == RECORDS and "is not in the ledger" in split.problem.reason


def test_a_broken_link_at_a_join_is_named(long_diary, segmented):
    LedgerRecord.objects.filter(diary=long_diary, seq=19).update(prev_hash="0" * 64)
    alone, split = both(long_diary)
    assert split.problem == alone.problem
    assert split.problem.seq == 19
    assert split.problem.reason == "its previous hash does not match the record before it"


def test_a_segment_whose_process_fails_is_checked_here(long_diary, segmented, monkeypatch):
    def fail() -> None:
        raise RuntimeError("no connection for this process")

    monkeypatch.setattr(verify, "_forget_connections", fail)  # each child ends at once
    EntryVersion.objects.filter(pk=version_of(long_diary, 23).pk).update(location="x")
    alone, split = both(long_diary)
    assert split.problem == alone.problem and split.problem.seq == 23


def test_a_short_chain_or_an_unsure_database_is_walked_here(long_diary, monkeypatch):
    monkeypatch.setattr(verify, "SEGMENT_MIN", 5)

    def no_fork(*args):
        raise AssertionError("forked")

    monkeypatch.setattr(verify, "_fork", no_fork)
    if connection.vendor == "sqlite":
        # The tests' memory database is never handed to another process ...
        assert ledger_verify(diary=long_diary, workers=3).ok
    # ... nor is a chain shorter than two segments.
    monkeypatch.setattr(verify, "_segments_can_run", lambda check_files: True)
    monkeypatch.setattr(verify, "SEGMENT_MIN", 13)
    assert ledger_verify(diary=long_diary, workers=3).ok


def test_another_connection_is_trusted_only_with_what_it_can_see(long_diary, settings):
    if connection.vendor == "sqlite":
        assert not verify._segments_can_run(check_files=False)  # the memory database
    connection.is_in_memory_db = lambda: False
    try:
        assert verify._segments_can_run(check_files=True)
        with transaction.atomic():  # what it writes there, another connection cannot see
            assert not verify._segments_can_run(check_files=False)
        with read_snapshot():  # a snapshot of its own has written nothing
            assert verify._segments_can_run(check_files=False)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        }
        assert not verify._segments_can_run(check_files=True)  # not files on this disk
        assert verify._segments_can_run(check_files=False)
    finally:
        del connection.is_in_memory_db
