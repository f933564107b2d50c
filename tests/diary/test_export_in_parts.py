"""A bundle is written a chunk at a time (docs/performance.md): the chronology in parts joined
into one PDF, the CSV and the manifest as they are made. What comes out must be what writing
it all at once made: every entry, one page numbering, the same bytes of JSON."""

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diary.bundle import chronology, writer
from diary.bundle.services import export_create, unzip_to
from diary.bundle.writer import (
    each_entry,
    entries_csv,
    entries_csv_chunks,
    entries_for_export,
    json_chunks,
)
from diary.evidence.services import evidence_attach
from diary.records import services
from tests.factories import jpeg_bytes, make_entry, upload

PDFTOTEXT = shutil.which("pdftotext")

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


def dumped(document: dict) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True).encode()


@given(st.dictionaries(st.text(max_size=8), JSON, max_size=5), st.lists(JSON, max_size=4))
def test_the_manifest_written_as_it_is_made_is_what_json_dumps_writes(document, streamed):
    expected = dumped({**document, "objects": streamed})
    written = b"".join(json_chunks({**document, "objects": iter(streamed)}))
    assert written == expected


def test_an_empty_stream_is_an_empty_list_and_an_empty_document_is_braces():
    assert b"".join(json_chunks({"a": iter(()), "b": 1})) == dumped({"a": [], "b": 1})
    assert b"".join(json_chunks({})) == b"{}"


def test_a_long_stream_is_written_in_several_pieces(monkeypatch):
    monkeypatch.setattr(writer, "WRITE_BYTES", 100)
    items = [{"n": n, "text": "x" * 40} for n in range(20)]
    pieces = list(json_chunks({"objects": iter(items)}))
    assert len(pieces) > 5
    assert b"".join(pieces) == dumped({"objects": items})


@pytest.mark.django_db
def test_the_csv_written_in_pieces_is_the_csv(owner, monkeypatch):
    for n in range(7):
        make_entry(owner, what_happened=f"Entry {n}, with a comma")
    entries = entries_for_export(owner.diary)
    whole = entries_csv(list(entries), diary=owner.diary)
    monkeypatch.setattr(writer, "WRITE_BYTES", 50)
    monkeypatch.setattr(writer, "ENTRIES_CHUNK", 2)
    pieces = list(entries_csv_chunks(each_entry(entries), diary=owner.diary))
    assert len(pieces) > 3
    assert b"".join(pieces) == whole
    assert whole.startswith("\ufeff".encode())


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of two or three rows, so a handful of entries makes several of each kind."""
    monkeypatch.setattr(chronology, "ENTRIES_PER_PART", 2)
    monkeypatch.setattr(chronology, "EVIDENCE_PER_PART", 2)
    monkeypatch.setattr(chronology, "AMENDED_PER_PART", 2)
    monkeypatch.setattr(chronology, "FOOTERS_PER_PART", 3)
    monkeypatch.setattr(writer, "ENTRIES_CHUNK", 2)


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


@pytest.mark.skipif(PDFTOTEXT is None, reason="needs pdftotext (poppler-utils)")
@pytest.mark.django_db
def test_a_chronology_in_parts_has_every_entry_file_and_amendment_once(
    owner, small_parts, tmp_path
):
    entries = [make_entry(owner, what_happened=f"Happening number {n}.") for n in range(5)]
    for entry in entries[:3]:
        services.entry_amend(
            entry=entry, actor=owner, content={**entry.current.content_values(), "location": "Elm"}
        )
        evidence_attach(entry=entry, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
    export = export_create(diary=owner.diary, actor=owner)
    bundle = unzip_to(export, tmp_path / "bundle")
    pages = pdf_pages(bundle / "chronology.pdf")
    text = " ".join(" ".join(pages).split())

    for n in range(5):
        # Once in the table; amended ones once more as first written, their amendment giving
        # only what it changed.
        assert text.count(f"Happening number {n}.") == (2 if n < 3 else 1)
    assert text.count("Where: (blank) → Elm") == 3
    for reference in ("E001", "E002", "E003"):
        assert reference in text
    # Each heading once, however many parts its table took (the cover names two of them too).
    for heading, times in (
        ("Chronology", 2),
        ("Evidence index", 1),
        ("Physical items", 2),
        ("Schedule of amendments", 1),
    ):
        assert text.count(heading) == times, heading
    assert "Withdrawn entries" in text and "Witnesses" in text

    manifest = json.loads((bundle / "manifest.json").read_text())
    head = manifest["ledger_head"]["hash"]
    for number, page in enumerate(pages, start=1):
        folio = " ".join(page.split())
        assert f"Page {number} of {len(pages)}" in folio
        assert re.search(f"Ledger head {head[:20]}", folio)
    # Two entries a part, three rows of evidence and amendments: more pages than one document
    # would take, every one numbered in a single run.
    assert len(pages) >= 8


@pytest.mark.skipif(PDFTOTEXT is None, reason="needs pdftotext (poppler-utils)")
@pytest.mark.django_db
def test_an_empty_chronology_says_so(owner, small_parts, tmp_path):
    export = export_create(diary=owner.diary, actor=owner)
    text = " ".join(
        " ".join(pdf_pages(unzip_to(export, tmp_path / "b") / "chronology.pdf")).split()
    )
    assert "No entries in this period." in text
    assert "No files." in text and "No entry has been amended." in text


@pytest.mark.django_db
def test_the_manifest_lists_objects_and_entries_in_the_order_of_the_chronology(
    owner, small_parts, tmp_path
):
    made = [make_entry(owner, what_happened=f"Entry {n}") for n in range(5)]
    evidence_attach(entry=made[1], actor=owner, upload=upload("a.jpg", jpeg_bytes()))
    export = export_create(diary=owner.diary, actor=owner)
    bundle = unzip_to(export, tmp_path / "bundle")
    manifest_bytes = (bundle / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    assert manifest_bytes == dumped(manifest)
    ordered = list(entries_for_export(owner.diary))
    assert manifest["entries"] == [entry.reference for entry in ordered]
    labels = [obj["object"] for obj in manifest["objects"]]
    expected = [f"diary.diary:{owner.diary.pk}"]  # the diary as made, then the entries
    for entry in ordered:
        expected += [f"diary.entryversion:{v.pk}" for v in entry.versions.all()]
        expected += [f"diary.evidence:{e.pk}" for e in entry.evidence.all()]
    assert labels == expected

    assert export.manifest_sha256 == hashlib.sha256(manifest_bytes).hexdigest()
    verified = subprocess.run([sys.executable, str(bundle / "verify.py")], check=False)
    assert verified.returncode == 0
