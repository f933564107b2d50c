"""Several files in one send on the owner's forms: each checked as one file is, all kept or
none (a refused file is named), counted once under the form's key."""

import os
import re
from html import unescape

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from diary import messages
from diary.models import Entry, Evidence, IdempotencyKey, LedgerRecord
from diary.web.body_size import body_cap, cap_for
from tests.factories import jpeg_bytes, make_entry, mp3_bytes, screenshot_png, upload

pytestmark = pytest.mark.django_db

WHEN = "2026-03-01T18:00"


def three_good():
    return [
        upload("car.jpg", jpeg_bytes()),
        upload("texts.png", screenshot_png(), "image/png"),
        upload("voicemail.mp3", mp3_bytes(), "audio/mpeg"),
    ]


def stored_files(settings):
    found = []
    for folder, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found += [os.path.join(folder, name) for name in files]
    return found


def capture(client, files, **extra):
    return client.post(
        reverse("diary:capture"),
        {
            "what_happened": "He sent these.",
            "occurred_start": WHEN,
            "precision": "exact",
            "file": files,
            **extra,
        },
    )


def test_the_forms_offer_several_files_at_once(owner, owner_client):
    entry = make_entry(owner)
    for url in (
        reverse("diary:capture"),
        reverse("diary:entry_new"),
        reverse("diary:evidence_add", args=[entry.pk]),
    ):
        page = owner_client.get(url).content.decode()
        assert re.search(r'<input type="file" name="file"[^>]* multiple', page), url


def test_three_files_in_one_capture_are_kept_on_one_entry(owner_client):
    response = capture(owner_client, three_good())
    entry = Entry.objects.get()
    assert response.url == reverse("diary:entry", args=[entry.pk])
    kept = list(Evidence.objects.filter(entry=entry).order_by("number"))
    assert [(e.reference, e.original_name, e.kind) for e in kept] == [
        ("E001", "car.jpg", "photo"),
        ("E002", "texts.png", "screenshot"),
        ("E003", "voicemail.mp3", "audio"),
    ]
    assert LedgerRecord.objects.filter(kind="evidence.attach").count() == 3


def test_one_bad_file_keeps_none_and_names_it(owner_client, settings):
    files = [*three_good()[:2], upload("notes.jpg", b"just some text, not a photo")]
    response = capture(owner_client, files)
    assert response.status_code == 200
    page = unescape(response.content.decode())
    named = messages.FILE_NAMED % {"name": "notes.jpg", "problem": messages.FILE_TYPE_NOT_ALLOWED}
    assert str(named) in page
    assert str(messages.NONE_OF_THE_FILES_KEPT) in page
    assert not Entry.objects.exists()
    assert not Evidence.objects.exists()
    assert not LedgerRecord.objects.filter(kind__in=["entry.create", "evidence.attach"]).exists()
    # The two good files were stored, then removed again when the third was refused.
    assert stored_files(settings) == []


def test_the_full_form_takes_several_files_all_or_nothing(owner_client, settings):
    good = owner_client.post(
        reverse("diary:entry_new"),
        {
            "what_happened": "Letters.",
            "occurred_start": WHEN,
            "precision": "exact",
            "file": three_good(),
        },
    )
    assert good.status_code == 302
    assert Evidence.objects.count() == 3
    bad = owner_client.post(
        reverse("diary:entry_new"),
        {
            "what_happened": "More.",
            "occurred_start": WHEN,
            "precision": "exact",
            "file": [upload("empty.jpg", b""), upload("ok.jpg", jpeg_bytes())],
        },
    )
    assert bad.status_code == 200
    assert "empty.jpg" in bad.content.decode()
    assert Entry.objects.count() == 1 and Evidence.objects.count() == 3


def test_add_files_keeps_them_together_or_not_at_all(owner, owner_client, settings):
    entry = make_entry(owner)
    url = reverse("diary:evidence_add", args=[entry.pk])
    refused = owner_client.post(
        url, {"file": [upload("a.jpg", jpeg_bytes()), upload("b.mp3", jpeg_bytes(), "audio/mpeg")]}
    )
    assert refused.status_code == 200
    assert "b.mp3: " in refused.content.decode()
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []

    added = owner_client.post(url, {"file": three_good(), "description": "All sent on Monday"})
    assert added.status_code == 302
    kept = Evidence.objects.filter(entry=entry)
    assert kept.count() == 3
    assert {e.description for e in kept} == {"All sent on Monday"}


def test_more_files_than_the_limit_are_refused_before_any_is_kept(owner_client, settings):
    limit = django_settings.EVIDENCE_MAX_FILES
    files = [upload(f"p{n}.jpg", jpeg_bytes()) for n in range(limit + 1)]
    response = capture(owner_client, files)
    assert response.status_code == 200
    assert str(messages.TOO_MANY_FILES_AT_ONCE % {"limit": limit}) in response.content.decode()
    assert not Entry.objects.exists()
    assert stored_files(settings) == []


def test_a_send_of_several_files_repeated_under_its_key_counts_once(owner_client):
    page = owner_client.get(reverse("diary:capture")).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    first = capture(owner_client, three_good(), idempotency_key=key)
    again = capture(owner_client, three_good(), idempotency_key=key)
    assert first.status_code == again.status_code == 302
    assert again.url == first.url
    assert Entry.objects.count() == 1
    assert Evidence.objects.count() == 3
    assert IdempotencyKey.objects.count() == 1


def test_the_routes_body_cap_allows_the_most_files(owner):
    entry = make_entry(owner)
    most = cap_for(django_settings.EVIDENCE_MAX_FILES)
    assert body_cap(reverse("diary:capture")) == most
    assert body_cap(reverse("diary:entry_new")) == most
    assert body_cap(reverse("diary:evidence_add", args=[entry.pk])) == most
