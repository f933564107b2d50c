"""Evidence files: checked by content, kept byte-exact, hashed at ingest, previews stripped."""

import hashlib
import io
import os

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from diary import messages
from diary.evidence.services import evidence_attach
from diary.models import Evidence, LedgerRecord
from tests.factories import PDF_BYTES, jpeg_bytes, make_entry, png_bytes, upload

pytestmark = pytest.mark.django_db


def stored_files(settings):
    root = settings.MEDIA_ROOT
    found = []
    for folder, _dirs, files in os.walk(root):
        found += [os.path.join(folder, name) for name in files]
    return found


def test_the_original_is_kept_byte_exact_with_its_hash(owner):
    entry = make_entry(owner)
    data = jpeg_bytes(exif_time="2026:11:02 18:42:00")
    evidence = evidence_attach(entry=entry, actor=owner, upload=upload("IMG_2041.JPG", data))
    with evidence.original_file.open() as handle:
        assert handle.read() == data
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.size == len(data)
    assert evidence.kind == "photo"
    assert evidence.mime_type == "image/jpeg"
    assert evidence.original_name == "IMG_2041.JPG"
    assert evidence.reference == "E001"
    assert LedgerRecord.objects.filter(kind="evidence.attach").count() == 1


def test_the_stored_name_is_made_by_the_server(owner):
    entry = make_entry(owner)
    evidence = evidence_attach(entry=entry, actor=owner, upload=upload("../../etc/passwd.jpg"))
    assert "passwd" not in evidence.original.name
    assert evidence.original.name.startswith(f"evidence/{owner.diary.pk}/")
    # Kept encrypted, under a name that does not even say what kind of file it is.
    assert evidence.original.name.endswith(".enc")
    assert evidence.download_name == "E001.jpg"


def test_the_device_time_is_read_from_exif_in_the_owners_zone(owner):
    entry = make_entry(owner)
    evidence = evidence_attach(
        entry=entry, actor=owner, upload=upload(content=jpeg_bytes(exif_time="2026:07:02 18:42:00"))
    )
    # London is on summer time in July: 18:42 there is 17:42 UTC.
    assert evidence.device_time.isoformat() == "2026-07-02T17:42:00+00:00"


def test_no_exif_means_no_device_time(owner):
    evidence = evidence_attach(entry=make_entry(owner), actor=owner, upload=upload())
    assert evidence.device_time is None


def test_the_preview_is_reencoded_without_metadata(owner):
    data = jpeg_bytes(exif_time="2026:11:02 18:42:00", size=(2400, 1800))
    evidence = evidence_attach(entry=make_entry(owner), actor=owner, upload=upload(content=data))
    assert evidence.preview
    with evidence.preview_file.open() as handle:
        preview = handle.read()
    assert b"PhoneMaker" not in preview
    assert b"PhoneMaker" in data
    image = Image.open(io.BytesIO(preview))
    assert not image.getexif()
    assert max(image.size) == 1600


def test_png_screenshots_can_be_marked_as_such(owner):
    evidence = evidence_attach(
        entry=make_entry(owner),
        actor=owner,
        upload=upload("Screenshot.png", png_bytes(), "image/png"),
        kind="screenshot",
        description="Message on Instagram",
    )
    assert evidence.kind == "screenshot"
    assert evidence.description == "Message on Instagram"


def test_pdfs_are_documents_without_previews(owner):
    evidence = evidence_attach(
        entry=make_entry(owner),
        actor=owner,
        upload=upload("letter.pdf", PDF_BYTES, "application/pdf"),
    )
    assert evidence.kind == "document"
    assert not evidence.preview


def test_a_file_without_an_extension_is_judged_by_its_content(owner):
    evidence = evidence_attach(entry=make_entry(owner), actor=owner, upload=upload("photo"))
    assert evidence.extension == ".jpg"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"just some text", messages.FILE_TYPE_NOT_ALLOWED),
        ("run.exe", b"MZ\x90\x00" + b"\x00" * 200, messages.FILE_TYPE_NOT_ALLOWED),
        ("page.html", b"<html><script>alert(1)</script></html>", messages.FILE_TYPE_NOT_ALLOWED),
        ("empty.jpg", b"", messages.FILE_EMPTY),
    ],
)
def test_disallowed_files_are_refused_and_nothing_is_kept(owner, settings, name, content, message):
    entry = make_entry(owner)
    with pytest.raises(ValidationError) as error:
        evidence_attach(entry=entry, actor=owner, upload=upload(name, content, "image/jpeg"))
    assert error.value.message_dict["file"] == [str(message)]
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_a_file_whose_extension_lies_is_refused(owner, settings):
    with pytest.raises(ValidationError) as error:
        evidence_attach(
            entry=make_entry(owner), actor=owner, upload=upload("holiday.jpg", PDF_BYTES)
        )
    assert error.value.message_dict["file"] == [
        "This file's name ends in “.jpg” but its content is a PDF. Choose the original file."
    ]
    assert stored_files(settings) == []


def test_an_oversized_file_is_refused(owner, settings):
    settings.EVIDENCE_MAX_BYTES = 1_000
    with pytest.raises(ValidationError) as error:
        evidence_attach(
            entry=make_entry(owner), actor=owner, upload=upload(content=jpeg_bytes(size=(400, 400)))
        )
    assert error.value.message_dict["file"] == [
        "That file is larger than 1000\xa0bytes. Choose a smaller file."
    ]
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_a_failure_while_saving_the_row_removes_the_stored_files(owner, settings, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("diary.evidence.services.ledger_append", broken)
    with pytest.raises(RuntimeError):
        evidence_attach(
            entry=make_entry(owner), actor=owner, upload=upload(content=jpeg_bytes(size=(300, 200)))
        )
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_evidence_numbers_count_up_per_diary(owner, other_owner):
    evidence_attach(entry=make_entry(other_owner), actor=other_owner, upload=upload())
    entry = make_entry(owner)
    evidence_attach(entry=entry, actor=owner, upload=upload())
    second = evidence_attach(entry=entry, actor=owner, upload=upload())
    assert second.reference == "E002"


def test_a_bad_kind_is_refused(owner, settings):
    with pytest.raises(ValidationError) as error:
        evidence_attach(entry=make_entry(owner), actor=owner, upload=upload(), kind="hologram")
    assert "kind" in error.value.message_dict
    assert stored_files(settings) == []
