"""The mutation campaign: every class of change a tamperer can make, to a bundle and to the
server's database, and the check that catches each (docs/trust-model.md, "The attacks").

A bundle is made the way an owner's would be: entries (one amended), an original file, an
item, "About the person", a contact's report accepted, an earlier bundle, and heads
timestamped by two independent authorities (real ones: OpenSSL's, tests/tsa.py).
"""

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from diary.bundle.offline import verify as offline
from diary.bundle.services import export_create, unzip_to
from diary.core.hashing import GENESIS_HASH
from diary.evidence.services import evidence_attach
from diary.ledger import anchoring
from diary.ledger.verify import ledger_verify
from diary.models import Diary, Entry, EntryVersion, Export, HeadTimestamp, LedgerRecord
from diary.person.services import person_update
from diary.records import services as records
from tests.diary import tamper
from tests.factories import jpeg_bytes, make_entry, make_item, upload
from tests.witnesses.factories import device_of, make_submission, make_witness, witness_api_client
from witnesses.services.submissions import submission_accept

pytestmark = pytest.mark.django_db


def verdict(folder: Path) -> str:
    """What verify.py says, its first line: "OK: …" or "FAILED: …"."""
    try:
        return offline.verify(folder).splitlines()[0]
    except (offline.Failed, KeyError, TypeError) as problem:
        return f"FAILED: {problem}"


@pytest.fixture
def diary_with_history(owner, settings, tsa, tsa_ec, tmp_path):
    settings.TIMESTAMP_URLS = [tsa.url, tsa_ec.url]
    settings.TIMESTAMP_CA_CERTS = [str(tsa.ca_pem), str(tsa_ec.ca_pem)]
    first = make_entry(owner, what_happened="Car outside the house at 21:03")
    records.entry_amend(
        entry=first,
        actor=owner,
        content={**first.current.content_values(), "location": "Elm Road"},
    )
    evidence_attach(entry=first, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
    make_item(owner, entry=first)
    person_update(diary=owner.diary, actor=owner, content={"name": "J. Smith"})
    _witness, token = make_witness(owner)
    sent = make_submission(device_of(witness_api_client(token)))
    submission_accept(submission=sent, actor=owner)
    anchoring.anchor(owner.diary)
    earlier = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "earlier")
    make_entry(owner, what_happened="Message from a new number")
    anchoring.anchor(owner.diary)
    make_entry(owner, what_happened="Flowers on the doorstep")
    anchoring.anchor(owner.diary)
    return owner.diary, earlier


@pytest.fixture
def bundle(diary_with_history, tmp_path):
    diary, _earlier = diary_with_history
    folder = unzip_to(export_create(diary=diary, actor=diary.owner), tmp_path / "bundle")
    assert verdict(folder).startswith("OK: ")
    return folder


def test_every_change_to_a_bundle_is_caught_by_the_check_that_claims_it(bundle, tmp_path):
    mutations = tamper.bundle_mutations(bundle)
    # Every member is flipped, and fixed up in the manifest, and every ledger-wide class is in.
    assert len([m for m in mutations if m.name.startswith("flip ")]) == len(tamper.members(bundle))
    missed = []
    for number, mutation in enumerate(mutations):
        copy = shutil.copytree(bundle, tmp_path / f"m{number}")
        mutation.apply(copy)
        said = verdict(copy)
        if not said.startswith("FAILED: ") or not any(words in said for words in mutation.says):
            missed.append(f"{mutation.name} ({mutation.caught_by}): {said}")
    assert missed == []


@pytest.fixture
def anchored_diary(owner, settings, tsa):
    """Four entries, each timestamped as it was written, and no bundle made yet."""
    settings.TIMESTAMP_URLS = [tsa.url]
    settings.TIMESTAMP_CA_CERTS = [str(tsa.ca_pem)]
    entries = []
    for words in ("Car outside", "Call from a withheld number", "Flowers left", "Seen at work"):
        entries.append(make_entry(owner, what_happened=words))
        anchoring.anchor(owner.diary)
    return owner.diary, entries


def _erase(entry: Entry) -> None:
    """An entry's rows gone from the database, as a tamperer with it could remove them."""
    EntryVersion.objects.filter(entry=entry)._raw_delete(connection.alias)
    Entry.objects.filter(pk=entry.pk)._raw_delete(connection.alias)


def _rechain_in_place(diary: Diary, keep: Callable[[list[LedgerRecord]], list[LedgerRecord]]):
    """Rewrite the diary's ledger rows as someone with the database would: keep the records
    `keep` returns, renumber them, and recompute every hash, so the chain holds again."""
    rows = list(LedgerRecord.objects.filter(diary=diary).order_by("seq"))
    kept = keep(rows)
    LedgerRecord.objects.filter(diary=diary).delete()
    prev = GENESIS_HASH
    for seq, row in enumerate(kept, start=1):
        row.pk, row.seq, row.prev_hash = None, seq, prev
        row.hash = row.computed_hash()
        prev = row.hash
        row.save(force_insert=True)


def _backdated(rows: list[LedgerRecord]) -> list[LedgerRecord]:
    for row in rows:
        row.at -= timedelta(days=30)
    return rows


def _without(entry: Entry) -> Callable[[list[LedgerRecord]], list[LedgerRecord]]:
    label = f"diary.entryversion:{entry.current_id}"
    return lambda rows: [row for row in rows if row.object != label]


@pytest.mark.usefixtures("server_check_removed")
@pytest.mark.parametrize(
    ("attack", "which"),
    [
        pytest.param("every time moved back 30 days", None, id="backdated"),
        pytest.param("an entry and its record deleted, the rest renumbered", 1, id="middle"),
        pytest.param("the last entry and its record deleted", 3, id="tail"),
    ],
)
def test_a_rewrite_in_the_database_is_caught_by_the_authorities_tokens(
    anchored_diary, tmp_path, attack, which
):
    diary, entries = anchored_diary
    if which is None:
        _rechain_in_place(diary, _backdated)
    else:
        keep = _without(entries[which])
        _erase(entries[which])
        _rechain_in_place(diary, keep)
    # The server's own check sees the authorities' word broken ...
    problem = ledger_verify(diary=diary, check_files=False).problem
    assert problem is not None
    assert "an authority vouched for" in problem.reason
    # ... and so does anyone with the next bundle, which carries every token.
    folder = unzip_to(export_create(diary=diary, actor=diary.owner), tmp_path / "after")
    said = verdict(folder)
    assert said.startswith("FAILED: timestamps/"), said
    assert "the ledger has no record" in said


def test_a_rewrite_that_also_drops_the_tokens_leaves_its_records_unanchored(
    anchored_diary, tmp_path
):
    diary, _entries = anchored_diary
    _rechain_in_place(diary, _backdated)
    HeadTimestamp.objects.filter(diary=diary).delete()
    folder = unzip_to(export_create(diary=diary, actor=diary.owner), tmp_path / "after")
    said = offline.verify(folder).splitlines()
    # The bundle holds together on its own: only what someone else holds can show the
    # rewrite. Here it says that no authority vouches for any of it.
    assert said[0].startswith("OK: ")
    assert said[1:] == [
        f"records 1 to {len(read_lines(folder))}: not yet anchored (no authority vouches for them)"
    ]


def read_lines(folder: Path) -> list[str]:
    return (folder / "ledger.jsonl").read_text().splitlines()


def _forgetting(labels: set[str]) -> Callable[[list[LedgerRecord]], list[LedgerRecord]]:
    return lambda rows: [row for row in rows if row.object not in labels]


@pytest.fixture
def copies_held_outside(anchored_diary, owner_client, tmp_path):
    """Before any rewrite: the police hold a bundle, a friend a signed head, and a contact the
    receipt of what they sent last."""
    diary, _entries = anchored_diary
    _witness, token = make_witness(diary.owner)
    contact = witness_api_client(token)
    sent = make_submission(device_of(contact))
    held = tmp_path / "held"
    held.mkdir()
    police = unzip_to(export_create(diary=diary, actor=diary.owner), held / "police-bundle")
    head = owner_client.get(reverse("diary:head_download"))
    (held / "head.json").write_bytes(head.content)
    receipt = contact.get(reverse("witness:receipt_file", args=[sent.reference]))
    assert receipt.status_code == 200
    (held / "receipt.json").write_bytes(receipt.content)
    return {
        "police": police,
        "head": held / "head.json",
        "receipt": held / "receipt.json",
    }


@pytest.mark.parametrize(
    "which",
    [
        pytest.param(None, id="every time moved back 30 days"),
        pytest.param(1, id="an entry deleted, the rest renumbered"),
        pytest.param(3, id="the last entry deleted"),
    ],
)
def test_a_rewrite_that_also_drops_the_tokens_is_caught_by_each_copy_held_outside(
    anchored_diary, copies_held_outside, tmp_path, which
):
    diary, entries = anchored_diary
    # A thorough rewriter leaves nothing of the old history on the server: not the tokens,
    # and not the bundle the police were given (its row and its record).
    exports = list(Export.objects.filter(diary=diary).values_list("pk", flat=True))
    Export.objects.filter(pk__in=exports)._raw_delete(connection.alias)
    labels = {f"diary.export:{pk}" for pk in exports}
    forget = _forgetting(labels)
    if which is None:
        _rechain_in_place(diary, lambda rows: _backdated(forget(rows)))
    else:
        keep = _without(entries[which])
        _erase(entries[which])
        _rechain_in_place(diary, lambda rows: keep(forget(rows)))
    HeadTimestamp.objects.filter(diary=diary).delete()
    folder = unzip_to(export_create(diary=diary, actor=diary.owner), tmp_path / "after")
    # On its own, the rewritten bundle holds together ...
    assert offline.verify(folder).startswith("OK: ")
    # ... but not against what other people kept.
    police, head, receipt = (copies_held_outside[k] for k in ("police", "head", "receipt"))
    for copy, says in (
        ({"earlier": [police]}, "the history differs"),
        ({"earlier": [head]}, "the earlier copy head.json"),
        ({"receipts": [receipt]}, "the receipt "),
    ):
        with pytest.raises(offline.Failed, match=says):
            offline.verify(folder, **copy)


def test_the_copies_held_outside_agree_with_a_bundle_nobody_rewrote(
    anchored_diary, copies_held_outside, tmp_path
):
    diary, _entries = anchored_diary
    make_entry(diary.owner, what_happened="Seen again at the station")
    folder = unzip_to(export_create(diary=diary, actor=diary.owner), tmp_path / "later")
    held = copies_held_outside
    said = offline.verify(
        folder, earlier=[held["police"], held["head"]], receipts=[held["receipt"]]
    ).splitlines()
    assert said[0].startswith("OK: ")
    assert said[0].endswith("; extends 2 earlier copies; 1 receipts found")
