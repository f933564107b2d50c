"""A bundle is read strictly: exactly the members its signed manifest names, under safe names,
in JSON with one spelling; and verify.py takes the zip as the officer received it."""

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from diary.bundle.services import export_create, unzip_to
from diary.core import filestore
from diary.evidence.services import evidence_attach
from tests.diary.test_export import resign
from tests.factories import jpeg_bytes, make_entry, upload

pytestmark = pytest.mark.django_db


def run_verify(verifier: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", str(verifier), str(target)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def export(owner):
    entry = make_entry(owner, what_happened="Car outside the house at 21:03")
    evidence_attach(entry=entry, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
    return export_create(diary=owner.diary, actor=owner)


@pytest.fixture
def bundle(export, tmp_path):
    return unzip_to(export, tmp_path / "bundle")


@pytest.fixture
def verifier(bundle, tmp_path):
    # The examiner's own copy, outside the bundle being checked.
    own = tmp_path / "verify.py"
    shutil.copy(bundle / "verify.py", own)
    return own


def zipped(folder: Path, out: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out


def test_the_zip_as_downloaded_verifies_without_unzipping(export, verifier, tmp_path):
    download = tmp_path / "bundle.zip"
    with filestore.decrypted_copy(export.bundle_file.name, export.bundle_key) as handle:
        download.write_bytes(handle.read())
    result = run_verify(verifier, download)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("OK: ")


def test_a_file_planted_in_the_folder_is_refused(bundle, verifier):
    (bundle / "evidence" / "E009.jpg").write_bytes(jpeg_bytes())
    result = run_verify(verifier, bundle)
    assert result.returncode == 1
    assert result.stdout == "FAILED: evidence/E009.jpg is in the bundle but not in manifest.json\n"


def test_a_file_planted_in_the_zip_is_refused(bundle, verifier, tmp_path):
    archive = zipped(bundle, tmp_path / "b.zip", {"evidence/E009.jpg": jpeg_bytes()})
    result = run_verify(verifier, archive)
    assert result.stdout == "FAILED: evidence/E009.jpg is in the bundle but not in manifest.json\n"


def test_a_missing_listed_file_is_named(bundle, verifier):
    (bundle / "items.csv").unlink()
    result = run_verify(verifier, bundle)
    assert result.stdout == "FAILED: items.csv is missing\n"


def test_what_the_examiners_computer_adds_to_a_folder_is_passed_over(bundle, verifier):
    (bundle / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (bundle / "evidence" / "Thumbs.db").write_bytes(b"thumbs")
    assert run_verify(verifier, bundle).returncode == 0


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "evidence\\E001.jpg", "a//b"])
def test_an_unsafe_name_in_the_zip_is_refused(bundle, verifier, tmp_path, name):
    archive = zipped(bundle, tmp_path / "b.zip", {name: b"x"})
    result = run_verify(verifier, archive)
    assert result.stdout == f"FAILED: the zip has an unsafe or repeated name: {name}\n"


def test_a_repeated_name_in_the_zip_is_refused(bundle, verifier, tmp_path):
    archive = zipped(bundle, tmp_path / "b.zip")
    with pytest.warns(UserWarning), zipfile.ZipFile(archive, "a") as more:
        more.writestr("entries.csv", b"Reference\r\nE999\r\n")
    result = run_verify(verifier, archive)
    assert result.stdout == "FAILED: the zip has an unsafe or repeated name: entries.csv\n"


def test_not_a_zip_is_named(verifier, tmp_path):
    junk = tmp_path / "bundle.zip"
    junk.write_bytes(b"PK\3\4 not really")
    result = run_verify(verifier, junk)
    assert result.returncode == 1
    assert result.stdout.startswith("FAILED: bundle.zip is not a bundle's folder or zip")


def test_a_repeated_key_in_the_manifest_is_refused_even_when_re_signed(bundle, verifier):
    # Two readers of {"title": "A", "title": "B"} may see different titles: never allowed.
    path = bundle / "manifest.json"
    text = path.read_text()
    path.write_text(text.replace('"title": ', '"title": "Another title",\n    "title": ', 1))
    resign(bundle)
    result = run_verify(verifier, bundle)
    assert result.stdout == "FAILED: manifest.json is not strict JSON: a key is repeated\n"


def test_a_fraction_in_the_manifest_is_refused(bundle, verifier):
    path = bundle / "manifest.json"
    path.write_text(path.read_text().replace('"format_version": 2', '"format_version": 2.0'))
    resign(bundle)
    result = run_verify(verifier, bundle)
    assert (
        result.stdout
        == "FAILED: manifest.json is not strict JSON: a number is not a whole number\n"
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"seq": 1, "seq": 1}', "a key is repeated"),
        (b'{"seq": NaN}', "a number is not a whole number"),
        (b'{"seq": 1', "it is not valid JSON"),
        (b'{"seq": "\xff"}', "it is not UTF-8"),
    ],
)
def test_a_loose_ledger_line_is_refused(bundle, verifier, line, reason):
    ledger = bundle / "ledger.jsonl"
    lines = ledger.read_bytes().splitlines(keepends=True)
    ledger.write_bytes(b"".join([lines[0], line + b"\n", *lines[2:]]))
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for item in manifest["files"]:
        if item["path"] == "ledger.jsonl":
            item["sha256"] = hashlib.sha256(ledger.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    resign(bundle)
    result = run_verify(verifier, bundle)
    assert result.stdout == f"FAILED: ledger.jsonl line 2 is not strict JSON: {reason}\n"


def test_a_manifest_that_is_not_utf8_is_refused(bundle, verifier):
    path = bundle / "manifest.json"
    path.write_bytes(path.read_bytes().replace(b"{", b"{\xff", 1))
    result = run_verify(verifier, bundle)
    assert result.stdout == "FAILED: manifest.json is not strict JSON: it is not UTF-8\n"


def test_a_folder_without_a_manifest_is_named(verifier, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_verify(verifier, tmp_path / "empty")
    assert result.stdout == "FAILED: manifest.json is missing: is this a Sightline bundle?\n"
