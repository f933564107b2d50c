"""Screenshots are filed as screenshots, and the owner can say what a file really is: an
appended correction, in the ledger and in the bundle, with the kind it came in as kept."""

import csv
import io
import shutil
import subprocess
import sys

import pytest
from django.urls import reverse

from diary import messages
from diary.bundle.services import export_create, unzip_to
from diary.evidence.services import evidence_attach
from diary.ledger.verify import ledger_verify
from diary.models import Evidence, EvidenceKindChange, LedgerRecord
from tests.factories import jpeg_bytes, make_entry, png_bytes, screenshot_png, upload

pytestmark = pytest.mark.django_db


def attach(owner, name, content, content_type="image/png"):
    entry = make_entry(owner)
    return evidence_attach(entry=entry, actor=owner, upload=upload(name, content, content_type))


def test_a_tall_png_without_camera_exif_is_a_screenshot(owner):
    evidence = attach(owner, "texts.png", screenshot_png())
    assert Evidence.objects.get(pk=evidence.pk).kind == "screenshot"


def test_a_png_the_size_of_a_computer_screen_is_a_screenshot(owner):
    evidence = attach(owner, "page.png", screenshot_png(size=(1920, 1080)))
    assert Evidence.objects.get(pk=evidence.pk).kind == "screenshot"


def test_a_png_named_like_a_screenshot_is_one_whatever_its_shape(owner):
    for name in ("Screenshot_20261203-101500.png", "Screen Shot 2026-12-03 at 10.15.png"):
        evidence = attach(owner, name, png_bytes())
        assert Evidence.objects.get(pk=evidence.pk).kind == "screenshot", name
    iphone = attach(owner, "IMG_0042.PNG", png_bytes())
    assert Evidence.objects.get(pk=iphone.pk).kind == "screenshot"


def test_a_small_square_png_stays_a_photo(owner):
    evidence = attach(owner, "drawing.png", png_bytes())
    assert Evidence.objects.get(pk=evidence.pk).kind == "photo"


def test_a_camera_jpeg_is_a_photo_even_when_tall(owner):
    tall = jpeg_bytes(exif_time="2026:11:02 18:42:00", size=(540, 1170))
    evidence = attach(owner, "Screenshot_but_a_camera.jpg", tall, "image/jpeg")
    assert Evidence.objects.get(pk=evidence.pk).kind == "photo"


def test_what_the_owner_chose_wins_over_the_guess(owner):
    entry = make_entry(owner)
    evidence = evidence_attach(
        entry=entry, actor=owner, upload=upload("texts.png", screenshot_png()), kind="photo"
    )
    assert Evidence.objects.get(pk=evidence.pk).kind == "photo"


def test_the_owner_corrects_a_kind_from_the_entry_page(owner, owner_client):
    evidence = attach(owner, "IMG_2041.jpg", jpeg_bytes(), "image/jpeg")
    records = LedgerRecord.objects.count()
    page = owner_client.get(reverse("diary:entry", args=[evidence.entry_id])).content.decode()
    assert reverse("diary:evidence_kind", args=[evidence.pk]) in page

    response = owner_client.post(
        reverse("diary:evidence_kind", args=[evidence.pk]), {"kind": "screenshot"}
    )

    assert response.status_code == 302
    change = EvidenceKindChange.objects.get(evidence=evidence)
    assert (change.was, change.kind, change.changed_by_id) == ("photo", "screenshot", owner.pk)
    # The file's own row is as it came in; the correction is a record of its own.
    assert Evidence.objects.get(pk=evidence.pk).kind == "photo"
    record = LedgerRecord.objects.order_by("-seq").first()
    assert LedgerRecord.objects.count() == records + 1
    assert (record.kind, record.object) == (
        "evidence.kind",
        f"diary.evidencekindchange:{change.pk}",
    )
    assert ledger_verify(diary=owner.diary).ok
    page = owner_client.get(response.url).content.decode()
    assert "Screenshot" in page and "corrected from Photo" in page


def test_a_kind_the_content_cannot_be_is_refused_and_nothing_recorded(owner, owner_client):
    evidence = attach(owner, "IMG_2041.jpg", jpeg_bytes(), "image/jpeg")
    records = LedgerRecord.objects.count()
    response = owner_client.post(
        reverse("diary:evidence_kind", args=[evidence.pk]), {"kind": "audio"}, follow=True
    )
    mismatch = messages.FILE_KIND_MISMATCH % {"actual": "a photo", "chosen": "audio"}
    assert f"E001: {mismatch}" in response.content.decode()
    assert not EvidenceKindChange.objects.exists()
    assert LedgerRecord.objects.count() == records


def test_the_same_kind_again_records_nothing(owner, owner_client):
    evidence = attach(owner, "IMG_2041.jpg", jpeg_bytes(), "image/jpeg")
    owner_client.post(reverse("diary:evidence_kind", args=[evidence.pk]), {"kind": "photo"})
    assert not EvidenceKindChange.objects.exists()


def test_another_owner_cannot_correct_her_file(owner, other_client):
    evidence = attach(owner, "IMG_2041.jpg", jpeg_bytes(), "image/jpeg")
    response = other_client.post(
        reverse("diary:evidence_kind", args=[evidence.pk]), {"kind": "screenshot"}
    )
    assert response.status_code == 404
    assert not EvidenceKindChange.objects.exists()


def test_the_api_corrects_a_kind_and_says_both(owner, api):
    evidence = attach(owner, "IMG_2041.jpg", jpeg_bytes(), "image/jpeg")
    response = api.post(
        reverse("api:evidence_kind", args=[evidence.pk]), {"kind": "screenshot"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "screenshot"
    assert response.json()["kind_received"] == "photo"
    assert response.json()["kind_corrected_at"]
    assert EvidenceKindChange.objects.get(evidence=evidence).kind == "screenshot"
    refused = api.post(reverse("api:evidence_kind", args=[evidence.pk]), {"kind": "x"})
    assert refused.status_code == 400 and "kind" in refused.json()
    assert EvidenceKindChange.objects.count() == 1


def test_the_bundle_shows_the_corrected_kind_and_says_it_was_corrected(
    owner, owner_client, tmp_path
):
    evidence = attach(owner, "IMG_2041.jpg", jpeg_bytes(), "image/jpeg")
    owner_client.post(reverse("diary:evidence_kind", args=[evidence.pk]), {"kind": "screenshot"})
    folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")

    rows = list(csv.DictReader(io.StringIO((folder / "entries.csv").read_text("utf-8-sig"))))
    assert rows[0]["Evidence"] == "E001 (Screenshot, corrected from Photo)"
    verified = subprocess.run(
        [sys.executable, str(folder / "verify.py")], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stdout
    if shutil.which("pdftotext"):
        text = subprocess.run(
            [shutil.which("pdftotext"), "-layout", str(folder / "chronology.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        index = text[text.index("Evidence index") :]
        # The narrow column wraps the words: each piece is there, in order.
        pieces = ["E001", "Screenshot", "(corrected from", "Photo on"]
        places = [index.index(piece) for piece in pieces]
        assert places == sorted(places)
