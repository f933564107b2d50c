"""Each diary's ledger head is timestamped by outside authorities (RFC 3161): real ones here,
OpenSSL's own `ts -reply` on loopback (tests/tsa.py), never an imitation of the protocol."""

import hashlib
import itertools
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from diary.bundle.services import export_create, unzip_to
from diary.ledger import anchoring
from diary.ledger.selectors import timestamp_status
from diary.ledger.verify import ledger_verify
from diary.models import Export, HeadTimestamp, LedgerRecord, TimestampFailure
from tests.diary import tamper
from tests.diary.test_bundle_strict import run_verify
from tests.factories import make_entry
from tests.tsa import OPENSSL, make_authority

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_authority(settings, tsa):
    settings.TIMESTAMP_URLS = [tsa.url]
    settings.TIMESTAMP_CA_CERTS = [str(tsa.ca_pem)]
    return tsa


@pytest.fixture
def two_authorities(settings, tsa, tsa_ec):
    settings.TIMESTAMP_URLS = [tsa.url, tsa_ec.url]
    settings.TIMESTAMP_CA_CERTS = [str(tsa.ca_pem), str(tsa_ec.ca_pem)]
    return tsa, tsa_ec


def openssl_verify(token: Path, digest: str, ca: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            OPENSSL,
            "ts",
            "-verify",
            "-digest",
            digest,
            "-in",
            str(token),
            "-token_in",
            "-CAfile",
            str(ca),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_head_is_timestamped_with_its_own_hash(owner, one_authority, tmp_path):
    make_entry(owner)
    head = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
    (stamp,) = anchoring.anchor(owner.diary)
    stamp = HeadTimestamp.objects.get(pk=stamp.pk)
    assert (stamp.seq, stamp.hash, stamp.authority) == (head.seq, head.hash, one_authority.url)
    assert abs(stamp.gen_time - timezone.now()) < timedelta(minutes=1)
    # The token is the authority's, checkable by OpenSSL with nothing of ours.
    token = tmp_path / "head.tst"
    token.write_bytes(bytes(stamp.token))
    checked = openssl_verify(token, head.hash, str(one_authority.ca_pem))
    assert "Verification: OK" in checked.stdout, checked.stderr
    # Asking again for the same head adds nothing.
    assert anchoring.anchor(owner.diary) == []
    assert HeadTimestamp.objects.filter(diary=owner.diary).count() == 1


def test_a_failing_authority_is_recorded_shown_and_tried_again(owner, owner_client, one_authority):
    make_entry(owner)
    one_authority.failing = True
    assert anchoring.anchor(owner.diary) == []
    failure = TimestampFailure.objects.get(diary=owner.diary)
    assert failure.reason == "the authority answered 503"
    status = timestamp_status(actor=owner)
    assert status.failure == failure
    assert status.behind == status.head_seq
    page = owner_client.get(reverse("diary:exports")).content.decode()
    assert "The last try did not work" in page
    assert "the authority answered 503" in page

    one_authority.failing = False
    assert len(anchoring.anchor(owner.diary)) == 1
    status = timestamp_status(actor=owner)
    assert status.failure is None
    assert status.behind == 0
    page = owner_client.get(reverse("diary:exports")).content.decode()
    assert "Every record so far is timestamped." in page
    assert "The last try did not work" not in page


def test_an_unreachable_authority_is_named(owner, settings, tmp_path, tsa):
    settings.TIMESTAMP_URLS = ["http://127.0.0.1:9/tsr"]
    settings.TIMESTAMP_CA_CERTS = [str(tsa.ca_pem)]
    make_entry(owner)
    assert anchoring.anchor(owner.diary, timeout=2) == []
    reason = TimestampFailure.objects.get(diary=owner.diary).reason
    assert reason.startswith("the authority could not be reached")


def test_an_answer_for_another_hash_is_refused(one_authority):
    digest = hashlib.sha256(b"one head").digest()
    other = hashlib.sha256(b"another head").digest()
    answer = anchoring._post(one_authority.url, anchoring.timestamp_request(other, 7), timeout=5)
    with pytest.raises(anchoring.AnchorError, match="for another hash"):
        anchoring.token_from(answer, digest, 7)
    with pytest.raises(anchoring.AnchorError, match="another request"):
        anchoring.token_from(answer, other, 8)
    with pytest.raises(anchoring.AnchorError, match="not a timestamp"):
        anchoring.token_from(b"<html>busy</html>", digest, 7)


def test_without_authorities_the_owner_is_told_how_to_turn_it_on(owner, owner_client):
    make_entry(owner)
    page = owner_client.get(reverse("diary:exports")).content.decode()
    assert "not yet independently timestamped" in page
    assert "TIMESTAMP_URLS" in page
    assert anchoring.anchor_due() == 0


def test_the_background_round_stamps_moved_heads_at_most_every_few_minutes(
    owner, other_owner, settings, one_authority
):
    settings.TIMESTAMP_EVERY = 300
    make_entry(owner)
    make_entry(other_owner)
    assert anchoring.anchor_due() == 2
    assert anchoring.anchor_due() == 0  # nothing moved
    make_entry(owner)
    assert anchoring.anchor_due() == 0  # moved, but stamped a moment ago
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        assert list(anchoring.due()) == [owner.diary]
        assert anchoring.anchor_due() == 1
    head = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
    assert HeadTimestamp.objects.filter(diary=owner.diary).latest("seq").seq == head.seq


def test_the_command_runs_one_round(owner, one_authority, capsys):
    make_entry(owner)
    call_command("anchor_heads")
    assert capsys.readouterr().out == "1 timestamps received.\n"


def test_the_command_says_when_nothing_is_set(capsys, db):
    call_command("anchor_heads")
    assert "No timestamp authorities are set" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_making_a_bundle_from_the_page_timestamps_its_head(owner, owner_client, one_authority):
    make_entry(owner)
    head = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
    owner_client.post(reverse("diary:exports"), {"since": "", "until": ""})
    assert HeadTimestamp.objects.filter(diary=owner.diary, seq=head.seq).exists()
    # The bundle ends at that head, and its token is inside it.
    export = Export.objects.get(diary=owner.diary)
    assert export.head_seq == head.seq


@pytest.fixture
def stamped_bundle(owner, two_authorities, tmp_path):
    make_entry(owner, what_happened="Car outside the house at 21:03")
    assert len(anchoring.anchor(owner.diary)) == 2
    make_entry(owner, what_happened="Message from a new number")
    assert len(anchoring.anchor(owner.diary)) == 2
    make_entry(owner, what_happened="Flowers on the doorstep")  # not yet anchored
    return unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")


@pytest.fixture
def verifier(stamped_bundle, tmp_path):
    own = tmp_path / "verify.py"
    shutil.copy(stamped_bundle / "verify.py", own)
    return own


def test_a_bundle_carries_its_tokens_and_says_how_early_each_record_is_vouched_for(
    owner, stamped_bundle, verifier
):
    manifest = json.loads((stamped_bundle / "manifest.json").read_text())
    stamps = manifest["timestamps"]
    assert len(stamps) == 4
    first, second = sorted({stamp["seq"] for stamp in stamps})
    result = run_verify(verifier, stamped_bundle)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].startswith("OK: ")
    assert "4 timestamps checked" in lines[0]
    times = lines[1:]
    for name in ("Test Time Authority", "Second Time Authority"):
        mine = [line for line in times if f"per {name} (root " in line]
        # One line a stretch of records, together covering 1 to the last anchored; two tokens
        # given in the same second make one stretch (each authority's clock is to the second).
        stretches = [line.split(":")[0].split() for line in mine]
        assert stretches[0][1] == "1"
        assert stretches[-1][3] == str(second)
        for before, after in itertools.pairwise(stretches):
            assert int(after[1]) == int(before[3]) + 1
        assert {int(s[3]) for s in stretches} <= {first, second}
        assert all(" recorded no later than 20" in line for line in mine)
    last = manifest["ledger_head"]["seq"]
    assert times[-1] == (
        f"records {second + 1} to {last}: not yet anchored (no authority vouches for them)"
    )


def test_a_bundled_token_checks_with_openssl_as_the_readme_says(stamped_bundle):
    manifest = json.loads((stamped_bundle / "manifest.json").read_text())
    for stamp in manifest["timestamps"]:
        line = (stamped_bundle / "ledger.jsonl").read_text().splitlines()[stamp["seq"] - 1]
        digest = json.loads(line)["hash"]
        ca = str(stamped_bundle / stamp["ca_path"])
        checked = openssl_verify(stamped_bundle / stamp["path"], digest, ca)
        assert "Verification: OK" in checked.stdout, checked.stderr


def first_token(bundle: Path) -> tuple[dict, Path]:
    manifest = json.loads((bundle / "manifest.json").read_text())
    stamp = manifest["timestamps"][0]
    return stamp, bundle / stamp["path"]


def test_a_changed_token_fails_even_with_the_servers_keys(stamped_bundle, verifier):
    stamp, token = first_token(stamped_bundle)
    data = bytearray(token.read_bytes())
    at = data.find(b"\x18\x0f20")  # the authority's time, GeneralizedTime: move it a year
    data[at + 5] = data[at + 5] - 1
    token.write_bytes(bytes(data))
    # Fixed up and signed again, as only someone holding this server's keys could: what is
    # left to catch it is the authority's own signature.
    tamper.refreshed(stamped_bundle, keys=True)
    result = run_verify(verifier, stamped_bundle)
    assert result.returncode == 1
    assert result.stdout == (
        f"FAILED: {stamp['path']}: its content has changed since the authority signed it\n"
    )


def test_a_token_of_another_record_fails(stamped_bundle, verifier):
    manifest = json.loads((stamped_bundle / "manifest.json").read_text())
    early = manifest["timestamps"][0]
    late = next(
        stamp
        for stamp in reversed(manifest["timestamps"])
        if stamp["ca_path"] == early["ca_path"]  # the same authority's, for a later head
    )
    shutil.copy(stamped_bundle / late["path"], stamped_bundle / early["path"])
    tamper.refreshed(stamped_bundle, keys=True)
    result = run_verify(verifier, stamped_bundle)
    assert result.stdout == (
        f"FAILED: {early['path']}: the token is for another hash than record {early['seq']}'s\n"
    )


def test_a_token_from_an_authority_of_the_forgers_own_fails(stamped_bundle, verifier, tmp_path):
    # He makes his own "authority", and puts its root where the real one was.
    forged = make_authority(tmp_path / "forged", name="Test Time Authority")
    stamp, _token = first_token(stamped_bundle)
    shutil.copy(forged / "ca.pem", stamped_bundle / stamp["ca_path"])
    tamper.refreshed(stamped_bundle, keys=True)
    result = run_verify(verifier, stamped_bundle)
    assert result.stdout == (
        f"FAILED: {stamp['path']}: its signer's certificate was not issued by the "
        "authority's certificate\n"
    )


@pytest.mark.usefixtures("server_check_removed")
def test_a_record_dated_after_the_authority_saw_it_fails(owner, one_authority, tmp_path):
    # The server's clock a day fast when the entry was written: the authority's own clock
    # (OpenSSL's, which no test can move) says the head existed a day earlier than it claims.
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        make_entry(owner)
    anchoring.anchor(owner.diary)
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    result = run_verify(bundle / "verify.py", bundle)
    assert result.returncode == 1
    assert "says it was written at" in result.stdout
    assert "after Test Time Authority (root " in result.stdout


def test_a_dropped_token_is_caught_as_an_unlisted_or_missing_member(stamped_bundle, verifier):
    stamp, token = first_token(stamped_bundle)
    token.unlink()
    result = run_verify(verifier, stamped_bundle)
    assert result.stdout == f"FAILED: {stamp['path']} is missing\n"


def test_verify_ledger_finds_a_record_rewritten_or_cut_after_an_authority_vouched_for_it(
    owner, one_authority
):
    make_entry(owner)
    make_entry(owner)
    anchoring.anchor(owner.diary)
    head = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
    assert ledger_verify(diary=owner.diary).ok
    # Re-hashed consistently from a changed time, as someone with the database would:
    # the chain holds, but not the authority's word.
    records = list(LedgerRecord.objects.filter(diary=owner.diary).order_by("seq"))
    prev = records[0].prev_hash
    for record in records:
        record.at -= timedelta(days=30)
        record.prev_hash = prev
        record.hash = record.computed_hash()
        prev = record.hash
        record.save()
    problem = ledger_verify(diary=owner.diary).problem
    assert problem is not None
    assert problem.seq == head.seq
    assert problem.reason.startswith("it is not the record an authority vouched for")
    # And cut off: the authority still vouches for a record that is no longer there.
    LedgerRecord.objects.filter(diary=owner.diary, seq=head.seq).delete()
    problem = ledger_verify(diary=owner.diary, check_files=False).problem
    assert (problem.seq, problem.reason) == (
        head.seq,
        "an authority vouched for this record, and it is missing",
    )


def test_the_loop_keeps_going_until_ctrl_c_and_then_ends_quietly(
    owner, one_authority, monkeypatch, capsys
):
    from diary.management.commands import anchor_heads

    rounds = []

    def pause(seconds):
        rounds.append(seconds)
        if len(rounds) == 1:
            make_entry(owner)  # a new record between two rounds
            HeadTimestamp.objects.update(received_at=timezone.now() - timedelta(hours=1))
            return
        raise KeyboardInterrupt

    make_entry(owner)
    monkeypatch.setattr(anchor_heads.time, "sleep", pause)
    call_command("anchor_heads", "--loop", "--every", "30")
    assert rounds == [30, 30]
    assert capsys.readouterr().out == "1 timestamps received.\n1 timestamps received.\n"
    assert HeadTimestamp.objects.filter(diary=owner.diary).count() == 2
