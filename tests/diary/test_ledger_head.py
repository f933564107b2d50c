"""The ledger's head kept on the diary's row (docs/performance.md, "Submissions on PostgreSQL,
20 senders"): every append chains from it and moves it in the same transaction, it never
disagrees with the records, verify_ledger catches it changed, and the migration fills it."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from diary.core.hashing import GENESIS_HASH
from diary.ledger.services import (
    ENTRY_CREATE,
    HeadMoved,
    ledger_append,
    ledger_append_many,
    lock_diary,
)
from diary.ledger.verify import kept_head, kept_head_problem, ledger_verify
from diary.models import Diary, LedgerRecord
from diary.records import services
from tests.factories import make_entry

pytestmark = pytest.mark.django_db


def last_record(diary):
    return LedgerRecord.objects.filter(diary=diary).order_by("-seq").first()


def stored_head(diary):
    return Diary.objects.filter(pk=diary.pk).values_list("head_seq", "head_hash").get()


def test_a_new_diary_keeps_its_first_record_as_its_head(owner):
    first = last_record(owner.diary)
    assert first.seq == 1 and first.prev_hash == GENESIS_HASH
    assert stored_head(owner.diary) == (1, first.hash)


def test_every_append_moves_the_head_to_its_record(owner):
    entry = make_entry(owner)
    services.entry_amend(
        entry=entry, actor=owner, content={**entry.current.content_values(), "location": "Park"}
    )
    last = last_record(owner.diary)
    assert stored_head(owner.diary) == (last.seq, last.hash)
    diary = Diary.objects.get(pk=owner.diary.pk)
    with transaction.atomic():
        made = ledger_append_many(
            diary=diary, kind=ENTRY_CREATE, objs=[entry.current, entry.current], actor=owner
        )
    assert [record.seq for record in made] == [last.seq + 1, last.seq + 2]
    assert made[0].prev_hash == last.hash and made[1].prev_hash == made[0].hash
    assert all(record.pk for record in made)
    assert stored_head(owner.diary) == (made[1].seq, made[1].hash)
    assert (diary.head_seq, diary.head_hash) == stored_head(owner.diary)
    assert ledger_verify(diary=owner.diary, check_files=False).ok


def test_the_record_written_is_the_record_returned(owner):
    entry = make_entry(owner)
    with transaction.atomic():
        record = ledger_append(diary=owner.diary, kind=ENTRY_CREATE, obj=entry.current, actor=owner)
    stored = LedgerRecord.objects.get(pk=record.pk)
    assert (stored.seq, stored.hash, stored.at, stored.prev_hash) == (
        record.seq,
        record.hash,
        record.at,
        record.prev_hash,
    )
    assert stored.hash == stored.computed_hash()


def test_an_append_from_a_head_read_before_another_append_writes_nothing(owner):
    stale = Diary.objects.get(pk=owner.diary.pk)
    entry = make_entry(owner)  # moves the head on, through another copy of the diary
    # As in another process, whose connection never saw that append.
    connection._sightline_heads = {}
    count = LedgerRecord.objects.count()
    head = stored_head(owner.diary)
    with pytest.raises(HeadMoved), transaction.atomic():
        ledger_append(
            diary=stale, kind=ENTRY_CREATE, obj=entry.current, actor=owner, diary_locked=True
        )
    assert LedgerRecord.objects.count() == count
    assert stored_head(owner.diary) == head
    with transaction.atomic():
        lock_diary(stale)  # the lock's read brings the head as it is now
        ledger_append(
            diary=stale, kind=ENTRY_CREATE, obj=entry.current, actor=owner, diary_locked=True
        )
    assert ledger_verify(diary=owner.diary, check_files=False).ok


def test_appends_through_two_copies_in_one_locked_transaction_chain_on(owner):
    """A service may lock one copy of the diary and a service it calls append through
    another (a contact's recording kept as a submission inside the upload's finish)."""
    entry = make_entry(owner)
    one, other = Diary.objects.get(pk=owner.diary.pk), Diary.objects.get(pk=owner.diary.pk)
    with transaction.atomic():
        lock_diary(one)
        first = ledger_append(
            diary=other, kind=ENTRY_CREATE, obj=entry.current, actor=owner, diary_locked=True
        )
        second = ledger_append(
            diary=one, kind=ENTRY_CREATE, obj=entry.current, actor=owner, diary_locked=True
        )
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    assert stored_head(owner.diary) == (second.seq, second.hash)
    assert ledger_verify(diary=owner.diary, check_files=False).ok


def test_saving_a_copy_of_the_diary_read_earlier_leaves_the_head_alone(owner):
    stale = Diary.objects.get(pk=owner.diary.pk)
    make_entry(owner)
    head = stored_head(owner.diary)
    stale.title = "My notes"
    stale.save()
    assert stored_head(owner.diary) == head
    assert Diary.objects.get(pk=owner.diary.pk).title == "My notes"


def verify_fails_on_the_head(diary):
    result = ledger_verify()
    assert not result.ok
    assert result.problem.diary_id == diary.pk
    assert "the head kept on the diary" in result.problem.reason
    with pytest.raises(CommandError) as error:
        call_command("verify_ledger", stdout=io.StringIO())
    assert error.value.returncode == 1
    return result.problem


@pytest.mark.parametrize("change", ["back", "on", "hash"])
def test_a_head_changed_in_the_database_is_caught(owner, change):
    make_entry(owner)
    make_entry(owner)
    seq, hash_ = stored_head(owner.diary)
    before = LedgerRecord.objects.get(diary=owner.diary, seq=seq - 1)
    tampered = {
        # Moved back to the record before, with that record's own hash: the next append would
        # fork the chain there (and the unique seq refuses it).
        "back": {"head_seq": before.seq, "head_hash": before.hash},
        "on": {"head_seq": seq + 1},
        "hash": {"head_hash": hash_[:-1] + ("0" if hash_[-1] != "0" else "1")},
    }[change]
    assert ledger_verify().ok
    Diary.objects.filter(pk=owner.diary.pk).update(**tampered)
    problem = verify_fails_on_the_head(owner.diary)
    assert problem.seq == seq


def test_a_head_left_behind_by_a_send_during_the_check_is_not_a_problem(owner):
    """The head is read before the records: a send committed in between leaves the head read
    one behind the last record read, and the head as it is now caught up."""
    make_entry(owner)
    before = kept_head(owner.diary.pk)
    make_entry(owner)  # a send arriving while the check reads
    last = last_record(owner.diary)
    assert kept_head_problem(owner.diary.pk, before, last_seq=last.seq, last_hash=last.hash) is None
    # But a head read before that names no record of the chain is.
    wrong = (before[0], GENESIS_HASH)
    assert kept_head_problem(owner.diary.pk, wrong, last_seq=last.seq, last_hash=last.hash)


def test_the_migration_fills_each_diarys_head_from_its_last_record(owner, other_owner):
    make_entry(owner)
    empty = Diary.objects.create(owner=type(owner).objects.create(email="none@example.com"))
    Diary.objects.update(head_seq=0, head_hash="f" * 64)
    migration = importlib.import_module("diary.migrations.0029_diary_ledger_head")
    migration.fill_heads(apps, connection.schema_editor())
    for diary in (owner.diary, other_owner.diary):
        last = last_record(diary)
        assert stored_head(diary) == (last.seq, last.hash)
    assert stored_head(empty) == (0, GENESIS_HASH)
