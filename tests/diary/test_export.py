"""The bundle: it verifies offline, and any single change to it is found and named."""

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from diary.bundle.services import export_create, unzip_to
from diary.bundle.writer import neutralise, signature_json
from diary.evidence.services import evidence_attach
from diary.ledger.verify import ledger_verify
from diary.models import Export, Job, LedgerRecord
from diary.records import services
from tests.conftest import confirmed
from tests.factories import jpeg_bytes, make_entry, make_item, upload

pytestmark = pytest.mark.django_db


def run_verify(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(folder / "verify.py")], capture_output=True, text=True, check=False
    )


@pytest.fixture
def bundle(owner, tmp_path):
    entry = make_entry(owner, what_happened="Car outside", behaviours=["watching"])
    services.entry_amend(
        entry=entry, actor=owner, content={**entry.current.content_values(), "location": "Elm Rd"}
    )
    evidence_attach(entry=entry, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
    make_entry(owner, what_happened='=HYPERLINK("http://evil")', words_used="+44 7700")
    make_item(owner, entry=entry)
    export = export_create(diary=owner.diary, actor=owner)
    return unzip_to(export, tmp_path / "bundle")


def test_a_fresh_bundle_verifies_offline(bundle):
    result = run_verify(bundle)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("OK: ")
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert {
        "manifest.json",
        "ledger.jsonl",
        "entries.csv",
        "verify.py",
        "VERIFY.txt",
        "evidence/E001.jpg",
    } <= names


def test_the_export_is_in_the_ledger_and_the_ledger_still_verifies(owner, bundle):
    assert LedgerRecord.objects.filter(diary=owner.diary).last().kind == "export.create"
    assert ledger_verify().ok


def test_the_original_file_is_byte_exact(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    evidence = next(o for o in manifest["objects"] if o.get("path"))
    import hashlib

    assert (
        hashlib.sha256((bundle / evidence["path"]).read_bytes()).hexdigest()
        == evidence["content"]["sha256"]
    )


def resign(folder: Path) -> None:
    """Sign the edited manifest again with the instance's key, as only someone holding the
    keys could: the checks behind the signature must still catch what was changed."""
    digest = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    (folder / "signature.json").write_bytes(signature_json(digest))


def flip_byte(path: Path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["evidence/E001.jpg", "entries.csv", "ledger.jsonl"])
def test_changing_one_byte_of_any_file_fails_naming_it(bundle, name):
    flip_byte(bundle / name)
    result = run_verify(bundle)
    assert result.returncode == 1
    assert name in result.stdout


def test_changing_an_entry_in_the_manifest_fails_naming_it(bundle):
    path = bundle / "manifest.json"
    manifest = json.loads(path.read_text())
    version = next(o for o in manifest["objects"] if o["reference"] == "#1 v1")
    version["content"]["what_happened"] = "Nothing happened"
    path.write_text(json.dumps(manifest))
    assert "manifest.json has changed since it was signed" in run_verify(bundle).stdout
    resign(bundle)
    result = run_verify(bundle)
    assert result.returncode == 1
    assert "#1 v1" in result.stdout


def test_a_rewritten_ledger_line_fails_even_with_matching_file_hashes(bundle):
    ledger = bundle / "ledger.jsonl"
    lines = ledger.read_text().splitlines()
    record = json.loads(lines[1])
    record["actor"] = "owner:999"
    lines[1] = json.dumps(record)
    ledger.write_text("\n".join(lines) + "\n")
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for item in manifest["files"]:
        if item["path"] == "ledger.jsonl":
            item["sha256"] = hashlib.sha256(ledger.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    assert "manifest.json has changed since it was signed" in run_verify(bundle).stdout
    resign(bundle)
    result = run_verify(bundle)
    assert result.returncode == 1
    assert "ledger record 2" in result.stdout


def test_a_later_export_proves_it_extends_the_earlier_one(owner, bundle, tmp_path):
    first = Export.objects.get()
    make_entry(owner, what_happened="Later")
    second = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "second")
    manifest = json.loads((second / "manifest.json").read_text())
    assert manifest["earlier_exports"] == [
        {
            "export": 1,
            "created_at": manifest["earlier_exports"][0]["created_at"],
            "head_seq": first.head_seq,
            "head_hash": first.head_hash,
        }
    ]
    assert run_verify(second).returncode == 0
    # A chain that no longer holds the earlier head is caught.
    manifest["earlier_exports"][0]["head_hash"] = "f" * 64
    (second / "manifest.json").write_text(json.dumps(manifest))
    assert "manifest.json has changed since it was signed" in run_verify(second).stdout
    resign(second)
    result = run_verify(second)
    assert result.returncode == 1
    assert "export 1" in result.stdout


def test_the_csv_parses_and_neutralises_formulas(bundle):
    raw = (bundle / "entries.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [row["Reference"] for row in rows] == ["#1", "#2"]
    formula = next(row for row in rows if "HYPERLINK" in row["What happened"])
    assert formula["What happened"].startswith("'=")
    assert formula["Exact words"] == "'+44 7700"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("-1") == "'-1"
    assert neutralise("plain") == "plain"


def test_an_empty_diary_exports_cleanly(owner, tmp_path):
    folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "empty")
    result = run_verify(folder)
    assert result.returncode == 0, result.stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["entries"] == []


def test_filters_choose_what_the_bundle_covers(owner, tmp_path):
    make_entry(owner, what_happened="Watching", behaviours=["watching"])
    make_entry(owner, what_happened="Calls", behaviours=["contact"])
    export = export_create(diary=owner.diary, actor=owner, behaviours=["contact"])
    folder = unzip_to(export, tmp_path / "filtered")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["entries"] == ["#2"]
    assert manifest["filters"]["behaviours"] == ["contact"]
    assert run_verify(folder).returncode == 0


@pytest.mark.django_db(transaction=True)
def test_the_owner_exports_from_the_page_and_downloads_it(owner, owner_client, tmp_path):
    make_entry(owner, what_happened="Page export")
    confirmed(owner_client)
    response = owner_client.post(reverse("diary:exports"), {"since": "", "until": ""})
    job = Job.objects.get(diary=owner.diary, kind=Job.Kind.BUNDLE)
    assert response.url == reverse("diary:job", args=[job.pk])
    export = Export.objects.get(diary=owner.diary)
    assert (job.state, job.export, job.attempts) == (Job.State.DONE, export, 1)
    page = owner_client.get(response.url).content.decode()
    assert "Bundle 1 is ready." in page
    assert reverse("diary:export_download", args=[export.pk]) in page
    page = owner_client.get(reverse("diary:exports")).content.decode()
    assert export.head_hash in page
    download = owner_client.get(reverse("diary:export_download", args=[export.pk]))
    assert download["Content-Disposition"].startswith("attachment;")
    zipped = tmp_path / "page.zip"
    zipped.write_bytes(b"".join(download.streaming_content))
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(tmp_path / "page")
    assert run_verify(tmp_path / "page").returncode == 0


def test_a_reversed_range_is_refused_on_the_page_and_the_api(owner, owner_client):
    response = owner_client.post(
        reverse("diary:exports"), {"since": "2026-02-01", "until": "2026-01-01"}
    )
    assert response.status_code == 200
    api = APIClient()
    api.force_authenticate(owner)
    response = api.post(
        "/api/exports/",
        {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert "until" in response.json()
    assert not Export.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_api_asks_for_a_bundle_and_its_job_names_it_once_made(owner):
    api = APIClient()
    api.force_login(owner)
    confirmed(api)
    response = api.post("/api/exports/", {"behaviours": ["watching"]}, format="json")
    assert response.status_code == 202, response.json()
    job = response.json()
    assert response["Location"] == job["url"] == f"/api/jobs/{job['id']}"
    # The immediate backend has run it already: what a worker would have said by now.
    status = api.get(job["url"]).json()
    assert (status["kind"], status["state"], status["percent"]) == ("bundle", "done", 100)
    export = Export.objects.get(diary=owner.diary)
    assert status["export"] == {
        "id": export.pk,
        "number": 1,
        "download": f"/api/exports/{export.pk}/download",
    }
    assert export.behaviours == ["watching"]
    listed = api.get("/api/exports/").json()["results"][0]
    assert (listed["head_hash"], listed["behaviours"]) == (export.head_hash, ["watching"])
    download = api.get(status["export"]["download"])
    assert download["Content-Type"] == "application/zip"


def test_the_command_writes_a_bundle(owner, tmp_path):
    make_entry(owner)
    out = io.StringIO()
    call_command(
        "export_diary",
        "--diary",
        str(owner.diary.pk),
        "--out",
        str(tmp_path / "c.zip"),
        "--since",
        "2000-01-01",
        stdout=out,
    )
    assert "written to" in out.getvalue()
    with zipfile.ZipFile(tmp_path / "c.zip") as archive:
        archive.extractall(tmp_path / "c")
    assert run_verify(tmp_path / "c").returncode == 0
    with pytest.raises(CommandError):
        call_command("export_diary", "--diary", "99999", "--out", str(tmp_path / "x.zip"))
    with pytest.raises(CommandError):
        call_command(
            "export_diary",
            "--diary",
            str(owner.diary.pk),
            "--out",
            str(tmp_path / "y.zip"),
            "--since",
            "soon",
        )


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_chronology_pdf_has_every_entry_and_the_head(owner, bundle):
    text = subprocess.run(
        [shutil.which("pdftotext"), str(bundle / "chronology.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    manifest = json.loads((bundle / "manifest.json").read_text())
    for reference in manifest["entries"]:
        assert reference in text
    assert manifest["ledger_head"]["hash"] in text.replace("\n", "")
    assert "Evidence index" in text and "E001" in text
    assert "Page 1 of" in text
    assert "Witnesses" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_cover_gives_the_period_and_the_number_of_witnesses(owner, tmp_path):
    from witnesses.services.links import witness_invite

    for name in ("Pat", "Sam"):
        witness_invite(diary=owner.diary, actor=owner, name=name, relationship="friend")
    make_entry(owner, occurred_start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    make_entry(owner, occurred_start=datetime(2026, 5, 20, 9, 0, tzinfo=UTC))

    def cover(**filters):
        folder = unzip_to(export_create(diary=owner.diary, actor=owner, **filters), tmp_path / "b")
        text = subprocess.run(
            [shutil.which("pdftotext"), "-l", "1", str(folder / "chronology.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        shutil.rmtree(folder)
        return " ".join(text.split())

    everything = cover()
    assert "Everything (first entry 2 March 2026) — the latest (20 May 2026)" in everything
    assert "Witnesses (trusted contacts) 2" in everything
    some = cover(since=datetime(2026, 4, 1, tzinfo=UTC), until=datetime(2026, 6, 1, tzinfo=UTC))
    assert "1 April 2026 — 1 June 2026" in some


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_reasons_and_contacts_only_when_the_owner_asks(owner, tmp_path):
    from witnesses.services.links import witness_invite

    witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="friend", contact="07700 900999"
    )
    gone = make_entry(owner)
    services.entry_withdraw(entry=gone, actor=owner, reason="A private reason")

    def pdf_text(export):
        folder = unzip_to(export, tmp_path / f"b{export.number}")
        pdf = folder / "chronology.pdf"
        return subprocess.run(
            [shutil.which("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout

    plain = pdf_text(export_create(diary=owner.diary, actor=owner))
    assert "07700 900999" not in plain and "A private reason" not in plain
    full = pdf_text(
        export_create(diary=owner.diary, actor=owner, include_contacts=True, include_reasons=True)
    )
    assert "07700 900999" in full and "A private reason" in full
