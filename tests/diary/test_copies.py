"""Copies held by other people count: `verify.py --earlier` takes an earlier bundle (zip or
folder) or a signed head someone kept, `--receipt` a contact's receipt, and a history rewritten
after that copy was made fails, naming where, even though the new bundle passes on its own.

Everything here is real: bundles from export_create, heads and receipts as the owner and the
contact download them, the rewrite done in the database as someone holding the server's keys
would, and the new bundle then signed by the server itself."""

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from diary.bundle.offline import verify as offline
from diary.bundle.services import export_create, unzip_to
from diary.core import filestore, signing
from diary.core.hashing import GENESIS_HASH
from diary.models import Export, LedgerRecord
from tests.factories import make_entry
from tests.witnesses.factories import device_of, make_submission, make_witness, witness_api_client

pytestmark = pytest.mark.django_db

VERIFY = Path(offline.__file__)


def run_verify(bundle: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", str(VERIFY), str(bundle), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def as_zip(export: Export, path: Path) -> Path:
    with filestore.decrypted_copy(export.bundle_file.name, export.bundle_key) as handle:
        path.write_bytes(handle.read())
    return path


def head_file(client: Client, folder: Path) -> Path:
    response = client.get(reverse("diary:head_download"))
    assert response.status_code == 200
    name = response["Content-Disposition"].split('"')[1]
    (folder / name).write_bytes(response.content)
    return folder / name


def rewrite_from(diary, seq: int, **changes) -> None:
    """Change record `seq` and re-hash every record after it, as someone with the database and
    the keys can: the chain is whole again, and so are the earlier exports' heads."""
    prev = LedgerRecord.objects.get(diary=diary, seq=seq - 1).hash if seq > 1 else GENESIS_HASH
    old_to_new = {}
    for record in LedgerRecord.objects.filter(diary=diary, seq__gte=seq).order_by("seq"):
        if record.seq == seq:
            for name, value in changes.items():
                setattr(record, name, value)
        record.prev_hash = prev
        new = record.computed_hash()
        old_to_new[record.hash] = new
        record.hash = prev = new
        LedgerRecord.objects.filter(pk=record.pk).update(
            prev_hash=record.prev_hash, hash=record.hash, **changes if record.seq == seq else {}
        )
    for export in Export.objects.filter(diary=diary, head_hash__in=old_to_new):
        Export.objects.filter(pk=export.pk).update(head_hash=old_to_new[export.head_hash])


def delete_and_renumber(diary, seq: int) -> None:
    """Take record `seq` out of the chain and close the gap, re-hashing all after it."""
    LedgerRecord.objects.filter(diary=diary, seq=seq).delete()
    for record in LedgerRecord.objects.filter(diary=diary, seq__gt=seq).order_by("seq"):
        LedgerRecord.objects.filter(pk=record.pk).update(seq=record.seq - 1)
    first = LedgerRecord.objects.get(diary=diary, seq=seq)
    rewrite_from(diary, seq, actor=first.actor)


@pytest.fixture
def first(owner, tmp_path):
    make_entry(owner, what_happened="The grey car outside at 21:03")
    make_entry(owner, what_happened="A message from a new number")
    export = export_create(diary=owner.diary, actor=owner)
    return export, unzip_to(export, tmp_path / "first"), as_zip(export, tmp_path / "first.zip")


def test_a_later_bundle_extends_the_earlier_one_as_a_folder_or_a_zip(owner, first, tmp_path):
    _, folder, zipped = first
    make_entry(owner, what_happened="Flowers left on the doorstep")
    second = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "second")
    for older in (folder, zipped):
        result = run_verify(second, "--earlier", str(older))
        assert result.returncode == 0, result.stdout
        verdict = result.stdout.splitlines()[0]
        assert verdict.endswith("; extends 1 earlier copies; 0 receipts found")
    both = run_verify(second, "--earlier", str(folder), "--earlier", str(zipped))
    assert "extends 2 earlier copies" in both.stdout


def test_a_history_rewritten_between_two_exports_fails_naming_the_first_record(
    owner, first, tmp_path
):
    _, folder, zipped = first
    make_entry(owner, what_happened="Flowers left on the doorstep")
    # Entry 1's record moved back 30 days, everything after re-hashed: the database is whole.
    record = LedgerRecord.objects.get(diary=owner.diary, kind="entry.create", seq=2)
    rewrite_from(owner.diary, 2, at=record.at - timedelta(days=30))
    second = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "second")
    alone = run_verify(second)
    assert alone.returncode == 0, alone.stdout  # on its own, and signed: nothing shows
    assert "1 earlier exports extended" in alone.stdout  # the server's own word, rewritten too
    for older in (folder, zipped):
        result = run_verify(second, "--earlier", str(older))
        assert result.returncode == 1
        assert result.stdout == (
            "FAILED: the history differs from the earlier bundle from record 2\n"
        )


def test_an_earlier_bundle_longer_than_the_new_one_fails(owner, first, tmp_path):
    _, folder, _ = first
    make_entry(owner)
    second = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "second")
    result = run_verify(folder, "--earlier", str(second))
    assert result.returncode == 1
    assert result.stdout == (
        "FAILED: the history differs: the earlier bundle has records this one lacks\n"
    )


def test_an_earlier_bundle_that_does_not_verify_on_its_own_fails(owner, first, tmp_path):
    _, folder, _ = first
    second = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "second")
    (folder / "entries.csv").write_bytes(b"changed")
    result = run_verify(second, "--earlier", str(folder))
    assert result.returncode == 1
    assert result.stdout == (
        "FAILED: the earlier bundle first does not verify on its own: entries.csv has changed: "
        "its SHA-256 is not the manifest's\n"
    )


def test_a_signed_head_someone_kept_proves_the_history_up_to_it(owner, owner_client, tmp_path):
    make_entry(owner, what_happened="The grey car outside at 21:03")
    head = head_file(owner_client, tmp_path)
    make_entry(owner)
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    result = run_verify(bundle, "--earlier", str(head))
    assert result.returncode == 0, result.stdout
    assert "; extends 1 earlier copies; 0 receipts found" in result.stdout

    rewrite_from(owner.diary, 2, actor="owner:999")
    rewritten = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "rewritten")
    assert run_verify(rewritten).returncode == 0
    result = run_verify(rewritten, "--earlier", str(head))
    assert result.returncode == 1
    kept = json.loads(head.read_text())
    assert result.stdout == (
        f"FAILED: the history differs from the earlier copy {head.name} "
        f"at or before record {kept['seq']}\n"
    )


def test_a_head_changed_by_whoever_kept_it_is_refused(owner, owner_client, tmp_path):
    head = head_file(owner_client, tmp_path)
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    kept = json.loads(head.read_text())
    head.write_text(json.dumps({**kept, "seq": kept["seq"] - 1}))
    result = run_verify(bundle, "--earlier", str(head))
    assert result.stdout == f"FAILED: the earlier copy {head.name}: its signature is not valid\n"


def test_a_head_cut_from_the_tail_in_the_database_is_caught(owner, owner_client, tmp_path):
    make_entry(owner)
    export = export_create(diary=owner.diary, actor=owner)
    head = head_file(owner_client, tmp_path)  # at the export's own record
    seq = json.loads(head.read_text())["seq"]
    # The export and its record cut from the database: the chain that is left is whole.
    LedgerRecord.objects.filter(diary=owner.diary, seq=seq).delete()
    export.delete()
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    assert run_verify(bundle).returncode == 0
    result = run_verify(bundle, "--earlier", str(head))
    assert result.stdout == (
        f"FAILED: the earlier copy {head.name} holds records this bundle lacks "
        f"(it ends at record {seq})\n"
    )


def test_a_head_by_another_key_needs_that_key_trusted(owner, tmp_path):
    from diary.ledger.heads import head_signed

    record = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
    with override_settings(SIGNING_KEYS={"elsewhere": bytes(range(150, 182))}):
        other = head_signed(record=record)
        fingerprint = signing.current_key().fingerprint
    path = tmp_path / "head.json"
    path.write_text(json.dumps(other))
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    refused = run_verify(bundle, "--earlier", str(path))
    assert refused.returncode == 1
    assert f"signed by key {signing.grouped(fingerprint)}, not this bundle's" in refused.stdout
    grouped = signing.grouped(fingerprint)
    trusted = run_verify(bundle, "--earlier", str(path), "--trust-key", grouped)
    assert trusted.returncode == 0, trusted.stdout


# Receipts


@pytest.fixture
def contact(owner):
    return witness_api_client(make_witness(owner)[1])


def receipt_of(client, reference: str, folder: Path) -> Path:
    response = client.get(reverse("witness:receipt_file", args=[reference]))
    assert response.status_code == 200
    path = folder / f"receipt-{reference}.json"
    path.write_bytes(response.content)
    return path


def sent(client) -> str:
    response = client.post(
        reverse("witnesses_api:witness_submissions"),
        {"kind": "saw", "what_happened": "The grey car again"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["reference"]


def test_a_contacts_receipts_are_found_in_the_bundle(owner, contact, tmp_path):
    make_entry(owner)
    one = receipt_of(contact, sent(contact), tmp_path)
    make_entry(owner)
    two = receipt_of(contact, sent(contact), tmp_path)
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    result = run_verify(bundle, "--receipt", str(one), "--receipt", str(two))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[0].endswith("; extends 0 earlier copies; 2 receipts found")


def test_a_bundle_missing_a_receipts_record_fails_naming_the_receipt(owner, contact, tmp_path):
    make_entry(owner)
    reference = sent(contact)
    receipt = receipt_of(contact, reference, tmp_path)
    seq = json.loads(receipt.read_text())["seq"]
    # The send and all after it cut from the database: the chain that is left is whole.
    LedgerRecord.objects.filter(diary=owner.diary, seq__gte=seq).delete()
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    assert run_verify(bundle).returncode == 0
    result = run_verify(bundle, "--receipt", str(receipt))
    assert result.returncode == 1
    assert result.stdout == (
        f"FAILED: the receipt {reference} holds records this bundle lacks "
        f"(it ends at record {seq})\n"
    )


def test_a_send_deleted_from_the_middle_and_renumbered_fails_naming_the_receipt(
    owner, contact, tmp_path
):
    reference = sent(contact)
    receipt = receipt_of(contact, reference, tmp_path)
    seq = json.loads(receipt.read_text())["seq"]
    make_entry(owner)
    make_entry(owner)
    delete_and_renumber(owner.diary, seq)
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    assert run_verify(bundle).returncode == 0
    result = run_verify(bundle, "--receipt", str(receipt))
    assert result.stdout == (
        f"FAILED: the history differs from the receipt {reference} at or before record {seq}\n"
    )


def test_a_receipt_whose_hash_of_what_was_sent_is_changed_fails(owner, contact, tmp_path):
    reference = sent(contact)
    receipt = receipt_of(contact, reference, tmp_path)
    kept = json.loads(receipt.read_text())
    receipt.write_text(json.dumps({**kept, "content_sha256": "0" * 64}))
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    result = run_verify(bundle, "--receipt", str(receipt))
    assert result.stdout == (
        f"FAILED: the receipt {reference}: record {kept['seq']} does not hold what was sent\n"
    )


def test_a_receipt_and_an_earlier_bundle_together(owner, contact, first, tmp_path):
    _, folder, _ = first
    receipt = receipt_of(contact, sent(contact), tmp_path)
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    result = run_verify(bundle, "--earlier", str(folder), "--receipt", str(receipt))
    assert result.returncode == 0, result.stdout
    assert "; extends 1 earlier copies; 1 receipts found" in result.stdout


def test_a_receipt_of_another_diary_is_refused(owner, other_owner, tmp_path):
    theirs = witness_api_client(make_witness(other_owner)[1])
    make_submission(device_of(theirs))
    reference = theirs.get(reverse("witnesses_api:witness_submissions")).json()
    reference = (reference["results"] if isinstance(reference, dict) else reference)[0]
    receipt = receipt_of(theirs, reference["reference"], tmp_path)
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    result = run_verify(bundle, "--receipt", str(receipt))
    assert result.stdout == f"FAILED: the receipt {reference['reference']} is of another diary\n"


def test_heads_and_receipts_are_checked_well_under_a_second_at_100000_records(
    owner, contact, tmp_path
):
    """The checks of copies look records up by number: the size of the ledger costs nothing."""
    receipt = json.loads(receipt_of(contact, sent(contact), tmp_path).read_text())
    record = LedgerRecord.objects.get(diary=owner.diary, seq=receipt["seq"])
    records = [{"seq": n, "hash": f"{n:064x}", "content_sha256": ""} for n in range(1, 100_001)]
    records[record.seq - 1] = {**record.body(), "hash": record.hash}
    manifest = {"diary": {"id": owner.diary.pk}}
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    head = tmp_path / "head.json"
    head.write_text(json.dumps(receipt["head"]))
    keys = {signing.current_key().fingerprint}
    started = time.perf_counter()
    assert offline.check_copies(manifest, records, [head], [path], keys) == (1, 1)
    assert time.perf_counter() - started < 0.5


def test_the_options_need_their_values(owner, first):
    _, folder, _ = first
    result = run_verify(folder, "--receipt")
    assert result.stdout == "FAILED: --receipt needs a value\n"
    nowhere = run_verify(folder, "--earlier", str(folder / "nowhere"))
    assert nowhere.returncode == 1
    assert nowhere.stdout.startswith("FAILED: the earlier bundle nowhere does not verify")
