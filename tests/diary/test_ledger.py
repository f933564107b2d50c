"""The ledger verifies, and fails after any single change to stored records, content or files."""

import io
import itertools

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from diary.core.hashing import GENESIS_HASH, canonical_json
from diary.evidence.services import evidence_attach
from diary.ledger.verify import ledger_verify
from diary.models import (
    Diary,
    EntryVersion,
    EntryWithdrawal,
    Evidence,
    ItemVersion,
    LedgerRecord,
)
from diary.records import services
from tests.factories import make_entry, make_item, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_diary(owner, other_owner):
    """One of everything the ledger records, beside another owner's diary."""
    entry = make_entry(owner, behaviours=["watching"], latitude="51.501364", longitude="-0.141890")
    services.entry_amend(
        entry=entry, actor=owner, content={**entry.current.content_values(), "location": "Park"}
    )
    evidence_attach(entry=entry, actor=owner, upload=upload())
    make_item(owner, entry=entry)
    gone = make_entry(owner)
    services.entry_withdraw(entry=gone, actor=owner, reason="Duplicate.")
    make_entry(other_owner)
    return owner.diary


def verify_command():
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    return out.getvalue()


def test_a_fresh_chain_verifies_and_prints_each_head(busy_diary):
    result = ledger_verify()
    assert result.ok, result.problem
    assert result.records == LedgerRecord.objects.count() == 9
    head = LedgerRecord.objects.filter(diary=busy_diary).order_by("-seq").first()
    assert result.heads[busy_diary.pk] == head.hash
    assert f"diary {busy_diary.pk}: head {head.hash}" in verify_command()


def test_records_chain_from_genesis(busy_diary):
    records = list(LedgerRecord.objects.filter(diary=busy_diary).order_by("seq"))
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert records[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(records):
        assert after.prev_hash == before.hash


def test_records_hold_hashes_not_content(busy_diary):
    dumped = canonical_json([r.body() | {"hash": r.hash} for r in LedgerRecord.objects.all()])
    assert b"Park" not in dumped
    assert b"grey car" not in dumped


def expect_failure(seq=None, words=""):
    result = ledger_verify()
    assert not result.ok
    if seq is not None:
        assert result.problem.seq == seq
    assert words in result.problem.reason
    with pytest.raises(CommandError) as error:
        verify_command()
    assert error.value.returncode == 1
    assert f"record {result.problem.seq}" in str(error.value)


def record(diary, seq):
    return LedgerRecord.objects.filter(diary=diary, seq=seq)


@pytest.mark.parametrize(
    "field", ["kind", "object", "actor", "content_sha256", "prev_hash", "hash"]
)
def test_changing_one_character_of_a_record_fails(busy_diary, field):
    rec = record(busy_diary, 3).get()
    value = getattr(rec, field)
    flipped = value[:-1] + ("0" if value[-1] != "0" else "1")
    record(busy_diary, 3).update(**{field: flipped})
    expect_failure()


def test_changing_a_records_time_fails(busy_diary):
    rec = record(busy_diary, 2).get()
    record(busy_diary, 2).update(at=rec.at.replace(microsecond=(rec.at.microsecond + 1) % 10**6))
    expect_failure(seq=2, words="hash")


def test_changing_a_sequence_number_fails(busy_diary):
    last = LedgerRecord.objects.filter(diary=busy_diary).order_by("-seq").first()
    record(busy_diary, last.seq).update(seq=last.seq + 5)
    expect_failure(seq=last.seq + 5, words="sequence")


def test_deleting_a_record_in_the_middle_fails(busy_diary):
    record(busy_diary, 4).delete()
    expect_failure(seq=5, words="sequence")


def test_deleting_the_last_record_fails(busy_diary):
    last = LedgerRecord.objects.filter(diary=busy_diary).order_by("-seq").first()
    last.delete()
    expect_failure(words="not in the ledger")


def test_changing_what_an_entry_said_fails(busy_diary):
    EntryVersion.objects.filter(entry__diary=busy_diary, number=1).update(
        what_happened="Something else entirely."
    )
    expect_failure(words="has changed")


def test_changing_a_version_time_by_one_second_fails(busy_diary):
    version = EntryVersion.objects.filter(entry__diary=busy_diary).first()
    EntryVersion.objects.filter(pk=version.pk).update(
        occurred_start=version.occurred_start.replace(
            second=(version.occurred_start.second + 1) % 60
        )
    )
    expect_failure(words="has changed")


def test_changing_a_withdrawal_reason_fails(busy_diary):
    EntryWithdrawal.objects.update(reason="Different.")
    expect_failure(words="has changed")


def test_changing_an_item_fails(busy_diary):
    ItemVersion.objects.update(found_where="Somewhere else")
    expect_failure(words="has changed")


def test_changing_a_stored_hash_of_a_file_fails(busy_diary):
    Evidence.objects.update(sha256="0" * 64)
    expect_failure(words="has changed")


def test_changing_one_byte_of_a_file_fails(busy_diary):
    evidence = Evidence.objects.get()
    path = default_storage.path(evidence.original.name)
    with open(path, "r+b") as handle:
        handle.seek(20)
        byte = handle.read(1)
        handle.seek(20)
        handle.write(bytes([byte[0] ^ 1]))
    expect_failure(words="file")


def test_a_missing_file_fails(busy_diary):
    default_storage.delete(Evidence.objects.get().original.name)
    expect_failure(words="file")


def test_files_can_be_skipped_for_a_quick_check(busy_diary):
    default_storage.delete(Evidence.objects.get().original.name)
    assert ledger_verify(check_files=False).ok


def test_another_diarys_tampering_is_named(busy_diary, other_owner):
    EntryVersion.objects.filter(entry__diary=other_owner.diary).update(what_happened="Changed")
    result = ledger_verify()
    assert result.problem.diary_id == other_owner.diary.pk
    assert ledger_verify(diary=busy_diary).ok


def test_verify_for_one_diary_by_id(busy_diary):
    out = io.StringIO()
    call_command("verify_ledger", "--diary", str(busy_diary.pk), stdout=out)
    assert f"diary {busy_diary.pk}:" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--diary", "999999")


def _chain(diary) -> list[tuple]:
    return list(
        LedgerRecord.objects.filter(diary=diary)
        .order_by("seq")
        .values_list("seq", "kind", "object", "actor", "at", "content_sha256", "prev_hash", "hash")
    )


def test_appending_many_at_once_makes_exactly_the_chain_appending_one_by_one_makes(owner):
    import time_machine
    from django.db import transaction
    from django.utils import timezone

    from diary.ledger.services import ENTRY_CREATE, ledger_append, ledger_append_many

    versions = [make_entry(owner).current for _ in range(3)]
    before = _chain(owner.diary)
    with time_machine.travel(timezone.now(), tick=False):
        with transaction.atomic():
            for version in versions:
                ledger_append(diary=owner.diary, kind=ENTRY_CREATE, obj=version, actor=owner)
            one_by_one = _chain(owner.diary)
            transaction.set_rollback(True)
        assert _chain(owner.diary) == before
        made = ledger_append_many(diary=owner.diary, kind=ENTRY_CREATE, objs=versions, actor=owner)
    at_once = _chain(owner.diary)
    assert at_once == one_by_one and len(at_once) == len(before) + 3
    assert [record.hash for record in made] == [row[-1] for row in at_once[-3:]]
    assert at_once[-3][-2] == before[-1][-1]  # chained on from the head
    assert ledger_verify(diary=owner.diary).ok


def test_appending_many_to_an_empty_ledger_starts_from_genesis_and_nothing_appends_nothing(owner):
    from diary.ledger.services import ENTRY_CREATE, ledger_append_many

    version = make_entry(owner).current
    LedgerRecord.objects.filter(diary=owner.diary).delete()
    # An empty ledger: no records, and the head kept on the diary back at the genesis hash.
    Diary.objects.filter(pk=owner.diary.pk).update(head_seq=0, head_hash=GENESIS_HASH)
    assert ledger_append_many(diary=owner.diary, kind=ENTRY_CREATE, objs=[], actor=owner) == []
    made = ledger_append_many(
        diary=owner.diary, kind=ENTRY_CREATE, objs=[version, version], actor=owner
    )
    assert [record.seq for record in made] == [1, 2]
    assert made[0].prev_hash == GENESIS_HASH and made[1].prev_hash == made[0].hash
