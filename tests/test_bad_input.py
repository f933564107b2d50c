"""A catalogue of bad input, against the API and the pages that take the same thing. Each bad
send gets a clear 4xx (field errors where there are fields) and saves nothing: the database and
MEDIA_ROOT are read back. Unusual but good input (right-to-left text, emoji, odd time-zone
offsets) is accepted and kept exactly."""

import io
import re
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client

from diary import messages
from diary.models import Entry, EntryVersion, Evidence, Item, LedgerRecord
from tests.factories import PDF_BYTES, jpeg_bytes, make_entry, png_bytes, upload
from tests.witnesses.factories import make_witness, witness_api_client
from witnesses.models import BriefVersion, Submission, SubmissionFile

pytestmark = pytest.mark.django_db


# What "saves nothing" reads back


def snapshot(settings):
    root = Path(settings.MEDIA_ROOT)
    return {
        "entries": Entry.objects.count(),
        "versions": EntryVersion.objects.count(),
        "evidence": Evidence.objects.count(),
        "items": Item.objects.count(),
        "submissions": Submission.objects.count(),
        "submission_files": SubmissionFile.objects.count(),
        "briefs": BriefVersion.objects.count(),
        "ledger": LedgerRecord.objects.count(),
        "files": sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else [],
    }


@pytest.fixture
def unchanged(settings):
    """Call after the bad send: asserts nothing was saved since the fixture was set up."""
    state = {}

    def check():
        assert snapshot(settings) == state["before"]

    def start():
        state["before"] = snapshot(settings)

    check.start = start
    return check


@pytest.fixture
def entry(owner):
    return make_entry(owner)


# Files that are bad in one way each


def png_with_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 50).convert("RGB").save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    return data[: len(data) // 2]


BAD_FILES = {
    "zero bytes": (lambda: upload("empty.jpg", b""), None),
    "decompression bomb": (
        lambda: upload("bomb.png", png_with_size(40_000, 40_000), "image/png"),
        messages.IMAGE_TOO_LARGE,
    ),
    "huge but under the hard limit": (
        lambda: upload("big.png", png_with_size(10_000, 9_500), "image/png"),
        messages.IMAGE_TOO_LARGE,
    ),
    "truncated image": (lambda: upload("cut.jpg", truncated_jpeg()), messages.IMAGE_DAMAGED),
    "extension lies (pdf called jpg)": (
        lambda: upload("photo.jpg", PDF_BYTES, "image/jpeg"),
        messages.FILE_EXTENSION_LIES % {"extension": ".jpg", "actual": "a PDF"},
    ),
    "extension lies (jpeg called pdf)": (
        lambda: upload("letter.pdf", jpeg_bytes(), "application/pdf"),
        messages.FILE_EXTENSION_LIES % {"extension": ".pdf", "actual": "a JPEG photo"},
    ),
    "not a kind kept": (
        lambda: upload("notes.txt", b"just some words\n", "text/plain"),
        messages.FILE_TYPE_NOT_ALLOWED,
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_evidence_file_by_the_api_gets_400_and_saves_nothing(api, entry, unchanged, case):
    make_file, message = BAD_FILES[case]
    unchanged.start()
    response = api.post(
        f"/api/entries/{entry.pk}/evidence/", {"file": make_file()}, format="multipart"
    )
    assert response.status_code == 400
    errors = response.json()["file"]
    if message is not None:
        assert errors == [str(message)]
    unchanged()


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_evidence_file_on_the_page_gets_a_form_error_and_saves_nothing(
    owner_client, entry, unchanged, case
):
    make_file, message = BAD_FILES[case]
    unchanged.start()
    response = owner_client.post(f"/diary/entries/{entry.pk}/evidence/", {"file": make_file()})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    if message is not None:
        assert str(message) in response.context["form"].errors["file"]
    unchanged()


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_with_a_new_entry_keeps_neither(owner_client, unchanged, case):
    make_file, _ = BAD_FILES[case]
    unchanged.start()
    response = owner_client.post(
        "/diary/capture/",
        {
            "what_happened": "With a bad file",
            "occurred_start": "2026-11-20T09:00",
            "precision": "exact",
            "file": make_file(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    unchanged()


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_from_a_witness_keeps_nothing_they_sent(pat_api, unchanged, case):
    make_file, message = BAD_FILES[case]
    unchanged.start()
    response = pat_api.post(
        "/api/witness/submissions/",
        {"kind": "saw", "what_happened": "With a bad file", "files": [make_file()]},
        format="multipart",
    )
    assert response.status_code == 400
    if message is not None:
        assert response.json()["files"] == [str(message)]
    else:
        assert response.json()["files"]
    unchanged()


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_on_the_witness_page_keeps_nothing(owner, unchanged, case):
    client = witness_api_client(make_witness(owner)[1])
    make_file, _ = BAD_FILES[case]
    unchanged.start()
    response = client.post(
        "/w/",
        {
            "kind": "saw",
            "what_happened": "With a bad file",
            "precision": "exact",
            "occurred_start": "2026-11-20T09:00",
            "files": [make_file()],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["files"]
    unchanged()


@pytest.mark.parametrize("case", ["decompression bomb", "truncated image", "zero bytes"])
def test_a_bad_brief_photo_gets_400(api, unchanged, case):
    make_file, _ = BAD_FILES[case]
    unchanged.start()
    response = api.put("/api/brief/", {"photo": make_file()}, format="multipart")
    assert response.status_code == 400
    assert response.json()["photo"]
    unchanged()


@pytest.mark.parametrize("name", ["../../../../etc/evil.jpg", "..\\..\\evil.jpg", "/tmp/evil.jpg"])
def test_a_file_name_with_a_path_keeps_only_its_last_part_inside_media(
    api, entry, settings, tmp_path, name
):
    response = api.post(
        f"/api/entries/{entry.pk}/evidence/", {"file": upload(name)}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["original_name"] == "evil.jpg"
    kept = Evidence.objects.get()
    path = Path(settings.MEDIA_ROOT, kept.original.name).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not Path("/etc/evil.jpg").exists()
    assert re.fullmatch(rf"evidence/{entry.diary_id}/[0-9a-f]{{32}}\.enc", kept.original.name)


@pytest.mark.parametrize("name", ["..", "../", "."])
def test_a_file_called_only_dots_is_no_file(api, entry, unchanged, name):
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + jpeg_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    unchanged.start()
    response = api.generic(
        "POST",
        f"/api/entries/{entry.pk}/evidence/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert response.json()["file"]
    unchanged()


# Entries and submissions: bodies, types, times and text

GOOD_ENTRY = {"what_happened": "Seen at the corner.", "occurred_start": "2026-11-20T09:00:00Z"}
GOOD_SUBMISSION = {"kind": "saw", "what_happened": "Seen at the corner."}

BAD_FIELDS = {
    "year 1": ({"occurred_start": "0001-01-01T00:00:00Z"}, "occurred_start"),
    "year 9999": ({"occurred_start": "9999-12-31T23:59:59Z"}, "occurred_start"),
    "year 1 at +20:03": ({"occurred_start": "0001-01-01T00:00:00+20:03"}, "occurred_start"),
    "year 9999 at -23:59": ({"occurred_start": "9999-12-31T23:59:59-23:59"}, "occurred_start"),
    "an offset past a day": ({"occurred_start": "2026-11-20T09:00:00+24:00"}, "occurred_start"),
    "not a time": ({"occurred_start": "last Tuesday"}, "occurred_start"),
    "end before start": (
        {
            "precision": "range",
            "occurred_start": "2026-11-20T10:00:00Z",
            "occurred_end": "2026-11-20T09:59:59Z",
        },
        "occurred_end",
    ),
    "a 1 MB string": ({"what_happened": "x" * 1_000_000}, "what_happened"),
    "a NUL byte": ({"what_happened": "before\x00after"}, "what_happened"),
    "a wrong type": ({"what_happened": ["a", "list"]}, "what_happened"),
    "a number for text": ({"location": {"nested": True}}, "location"),
}


@pytest.mark.parametrize("case", BAD_FIELDS)
def test_a_bad_entry_by_the_api_gets_400_on_its_field(api, unchanged, case):
    data, field = BAD_FIELDS[case]
    unchanged.start()
    response = api.post("/api/entries/", {**GOOD_ENTRY, **data}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()[field]
    unchanged()


@pytest.mark.parametrize("case", BAD_FIELDS)
def test_a_bad_submission_by_the_api_gets_400_on_its_field(pat_api, unchanged, case):
    data, field = BAD_FIELDS[case]
    unchanged.start()
    response = pat_api.post("/api/witness/submissions/", {**GOOD_SUBMISSION, **data}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()[field]
    unchanged()


def test_a_bad_item_time_gets_400(api, unchanged):
    unchanged.start()
    response = api.post(
        "/api/items/",
        {"kind": "gift", "description": "Flowers", "found_at": "9999-12-31T23:59:59-23:59"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["found_at"]
    unchanged()


@pytest.mark.parametrize(
    ("since", "until"),
    [("0001-01-01T00:00:00+20:03", None), (None, "9999-12-31T23:59:59-23:59")],
)
def test_a_bad_export_period_gets_400(api, unchanged, since, until):
    unchanged.start()
    response = api.post("/api/exports/", {"since": since, "until": until}, format="json")
    assert response.status_code == 400
    assert response.json()["since" if since else "until"] == [str(messages.YEAR_OUT_OF_RANGE)]
    unchanged()


PAGE_BAD_FIELDS = {
    "year 1": ({"occurred_start": "0001-01-01T00:00"}, "occurred_start"),
    "year 9999": ({"occurred_start": "9999-12-31T23:59"}, "occurred_start"),
    "year 9999 at -23:59": ({"occurred_start": "9999-12-31T23:59:59-23:59"}, "occurred_start"),
    "not a time": ({"occurred_start": "last Tuesday"}, "occurred_start"),
    "a 1 MB string": ({"what_happened": "x" * 1_000_000}, "what_happened"),
    "a NUL byte": ({"what_happened": "before\x00after"}, "what_happened"),
}


@pytest.mark.parametrize("case", PAGE_BAD_FIELDS)
@pytest.mark.parametrize("path", ["/diary/capture/", "/diary/entries/new/"])
def test_a_bad_entry_on_a_page_gets_a_form_error(owner_client, unchanged, path, case):
    data, field = PAGE_BAD_FIELDS[case]
    unchanged.start()
    fields = {
        "what_happened": "Seen at the corner.",
        "occurred_start": "2026-11-20T09:00",
        "precision": "exact",
        **data,
    }
    response = owner_client.post(path, fields)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    unchanged()


def test_end_before_start_on_the_full_form(owner_client, unchanged):
    unchanged.start()
    response = owner_client.post(
        "/diary/entries/new/",
        {
            "what_happened": "Waited outside.",
            "precision": "range",
            "occurred_start": "2026-11-20T10:00",
            "occurred_end": "2026-11-20T09:00",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["occurred_end"] == [str(messages.END_BEFORE_START)]
    unchanged()


@pytest.mark.parametrize("case", PAGE_BAD_FIELDS)
def test_a_bad_send_on_the_witness_page_gets_a_form_error(owner, unchanged, case):
    client = witness_api_client(make_witness(owner)[1])
    data, field = PAGE_BAD_FIELDS[case]
    unchanged.start()
    fields = {
        "kind": "saw",
        "what_happened": "Seen at the corner.",
        "precision": "exact",
        "occurred_start": "2026-11-20T09:00",
        **data,
    }
    response = client.post("/w/", fields)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    unchanged()


@pytest.mark.parametrize("path", ["/api/entries/", "/api/witness/submissions/"])
def test_a_lone_surrogate_gets_400(api, pat_api, unchanged, path):
    client = pat_api if path.startswith("/api/witness/") else api
    # Escaped, as a client's JSON encoder would send it: half of a UTF-16 pair, alone.
    body = '{"kind": "saw", "what_happened": "half a pair \\ud800"}'
    unchanged.start()
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["what_happened"]
    unchanged()


# Bodies that are not what they say


@pytest.mark.parametrize(
    "path", ["/api/entries/", "/api/witness/submissions/", "/api/items/", "/api/exports/"]
)
def test_malformed_json_gets_400_with_a_message(api, pat_api, unchanged, path):
    client = pat_api if path.startswith("/api/witness/") else api
    unchanged.start()
    response = client.post(path, '{"what_happened": "unfinished', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    unchanged()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/entries/", "text/plain"),
        ("/api/entries/", "application/xml"),
        ("/api/witness/submissions/", "text/csv"),
        ("/api/entries/{entry}/evidence/", "application/json"),
    ],
)
def test_a_content_type_not_taken_gets_415(api, pat_api, entry, unchanged, path, content_type):
    client = pat_api if path.startswith("/api/witness/") else api
    unchanged.start()
    response = client.post(
        path.format(entry=entry.pk), b"what_happened=hello", content_type=content_type
    )
    assert response.status_code == 415
    assert response.json()["detail"] == f'Unsupported media type "{content_type}" in request.'
    unchanged()


def test_a_body_larger_than_the_request_limit_gets_4xx(api, unchanged):
    unchanged.start()
    response = api.post(
        "/api/entries/", {**GOOD_ENTRY, "what_happened": "x" * 3_000_000}, format="json"
    )
    assert 400 <= response.status_code < 500
    unchanged()


def test_a_form_larger_than_the_request_limit_gets_4xx(owner, unchanged):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    unchanged.start()
    response = client.post(
        "/diary/capture/",
        {"what_happened": "x" * 3_000_000, "occurred_start": "2026-11-20T09:00"},
    )
    assert 400 <= response.status_code < 500
    unchanged()


# Unusual but good: kept exactly

EXACT_TEXTS = {
    "arabic": "رأيته عند الباب مرة أخرى",
    "hebrew with an embedded number": "הוא חיכה ליד הבית 3 שעות",
    "mixed direction with marks": "He said \u202bاخرج الآن\u202c then left \u200f!",  # noqa: RUF001
    "emoji with joiners and skin tones": "He left 🌹🌹 and a note 👩🏽\u200d🦰 😟🚗💨",
    "combining accents": "Cafe\u0301 — Zoë — Ångström",
}


@pytest.mark.parametrize("case", EXACT_TEXTS)
def test_unusual_text_by_the_api_is_kept_exactly(api, owner, case):
    text = EXACT_TEXTS[case]
    response = api.post(
        "/api/entries/", {**GOOD_ENTRY, "what_happened": text, "words_used": text}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["latest"]["what_happened"] == text
    version = EntryVersion.objects.get(entry__diary=owner.diary)
    assert version.what_happened == text
    assert version.words_used == text


@pytest.mark.parametrize("case", EXACT_TEXTS)
def test_unusual_text_from_a_witness_is_kept_exactly(pat_api, case):
    text = EXACT_TEXTS[case]
    response = pat_api.post(
        "/api/witness/submissions/", {**GOOD_SUBMISSION, "what_happened": text}, format="json"
    )
    assert response.status_code == 201
    assert Submission.objects.get().what_happened == text


@pytest.mark.parametrize("case", EXACT_TEXTS)
def test_unusual_text_on_the_page_is_kept_exactly(owner_client, owner, case):
    text = EXACT_TEXTS[case]
    response = owner_client.post(
        "/diary/capture/",
        {"what_happened": text, "occurred_start": "2026-11-20T09:00", "precision": "exact"},
    )
    assert response.status_code == 302
    assert EntryVersion.objects.get(entry__diary=owner.diary).what_happened == text
    page = owner_client.get(response["Location"]).content.decode()
    assert text.replace("'", "&#x27;") in page or text in page


@pytest.mark.parametrize(
    ("sent", "instant"),
    [
        ("2026-11-20T10:00:00+20:03", datetime(2026, 11, 19, 13, 57, tzinfo=UTC)),
        ("2026-11-20T10:00:00-23:59", datetime(2026, 11, 21, 9, 59, tzinfo=UTC)),
    ],
)
def test_an_odd_offset_within_range_is_kept_as_the_same_instant(api, owner, sent, instant):
    response = api.post("/api/entries/", {**GOOD_ENTRY, "occurred_start": sent}, format="json")
    assert response.status_code == 201
    assert EntryVersion.objects.get(entry__diary=owner.diary).occurred_start == instant


def test_a_real_photo_with_an_honest_name_is_still_kept(api, entry):
    response = api.post(
        f"/api/entries/{entry.pk}/evidence/",
        {"file": upload("screen.png", png_bytes(), "image/png")},
        format="multipart",
    )
    assert response.status_code == 201


def test_a_cut_image_is_refused_even_once_weasyprint_has_loosened_pillow(
    api, entry, unchanged, monkeypatch
):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what importing it does
    unchanged.start()
    response = api.post(
        f"/api/entries/{entry.pk}/evidence/",
        {"file": upload("cut.jpg", truncated_jpeg())},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["file"] == [str(messages.IMAGE_DAMAGED)]
    unchanged()
