"""The owner's REST API: every endpoint for the owner, another owner (404) and anonymous."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from diary import messages
from diary.evidence.services import evidence_attach
from diary.models import Entry, EntryVersion, EntryWithdrawal, Evidence, Item, LedgerRecord
from tests.conftest import confirmed
from tests.factories import PDF_BYTES, jpeg_bytes, make_entry, make_item, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_api(other_owner):
    client = APIClient()
    client.force_login(other_owner)
    return confirmed(client)


@pytest.fixture
def anon_api():
    return APIClient()


def test_recording_an_entry(api, owner):
    response = api.post(
        "/api/entries/",
        {
            "what_happened": "Text messages all evening.",
            "occurred_start": "2026-11-20T21:15:00Z",
            "behaviours": ["contact", "threats"],
            "channel": "text",
            "words_used": "You'll regret this.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    entry = Entry.objects.get(diary=owner.diary)
    assert body["id"] == entry.pk
    assert body["reference"] == "#1"
    assert body["latest"]["behaviours"] == ["contact", "threats"]
    assert body["versions"][0]["number"] == 1
    assert entry.current.occurred_start.isoformat() == "2026-11-20T21:15:00+00:00"
    assert entry.current.words_used == "You'll regret this."


def test_when_defaults_to_now(api):
    response = api.post("/api/entries/", {"what_happened": "Just now."}, format="json")
    assert response.status_code == 201
    version = EntryVersion.objects.get()
    assert timezone.now() - version.occurred_start < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"occurred_start": "2099-01-01T00:00:00Z"}, "occurred_start", messages.WHEN_IN_FUTURE),
        ({"occurred_start": "yesterday-ish"}, "occurred_start", None),
        ({"occurred_start": "1066-10-14T09:00:00Z"}, "occurred_start", messages.WHEN_TOO_EARLY),
        (
            {
                "precision": "range",
                "occurred_start": "2026-01-02T10:00:00Z",
                "occurred_end": "2026-01-01T10:00:00Z",
            },
            "occurred_end",
            messages.END_BEFORE_START,
        ),
        ({"behaviours": ["contact", "bogus"]}, "behaviours", None),
        ({"what_happened": "x" * 10_001}, "what_happened", None),
        ({"what_happened": ""}, "what_happened", None),
        ({"channel": "telepathy"}, "channel", None),
        ({"latitude": "123.0", "longitude": "0"}, "latitude", None),
        ({"occurred_start": "3639-01-01T00:00:00+20:03"}, "occurred_start", None),
    ],
)
def test_bad_entries_get_400_with_field_errors(api, data, field, message):
    response = api.post("/api/entries/", {"what_happened": "Something.", **data}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors
    if message:
        assert errors[field] == [str(message)]
    assert not Entry.objects.exists()


def test_listing_the_timeline_with_filters(api, owner):
    make_entry(owner, what_happened="Car again", behaviours=["watching"])
    make_entry(
        owner,
        what_happened="Flowers",
        behaviours=["items"],
        occurred_start=timezone.now() - timedelta(days=40),
    )
    gone = make_entry(owner, what_happened="Withdrawn one")
    from diary.records import services

    services.entry_withdraw(entry=gone, actor=owner, reason="Mistake")
    body = api.get("/api/entries/").json()
    assert [e["latest"]["what_happened"] for e in body["results"]] == ["Car again", "Flowers"]
    assert body["count"] == 2
    body = api.get("/api/entries/", {"behaviour": "items"}).json()
    assert [e["latest"]["what_happened"] for e in body["results"]] == ["Flowers"]
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    body = api.get("/api/entries/", {"since": since}).json()
    assert [e["latest"]["what_happened"] for e in body["results"]] == ["Car again"]
    body = api.get("/api/entries/", {"q": "car"}).json()
    assert body["count"] == 1
    body = api.get("/api/entries/", {"source": "owner"}).json()
    assert body["count"] == 2


@pytest.mark.parametrize(
    "query",
    [
        {"since": "3639-01-01T00:00:00+20:03"},
        {"since": "not-a-date"},
        {"until": "0001-01-01"},
        {"behaviour": "unknown"},
        {"since": "2026-02-01", "until": "2026-01-01"},
        {"source": "aliens"},
    ],
)
def test_bad_filters_get_400(api, query):
    response = api.get("/api/entries/", query)
    assert response.status_code == 400
    assert set(response.json()) & {"since", "until", "behaviour", "source"}


def test_one_entry_with_versions_and_evidence(api, owner):
    entry = make_entry(owner)
    evidence_attach(entry=entry, actor=owner, upload=upload())
    body = api.get(f"/api/entries/{entry.pk}/").json()
    assert body["evidence"][0]["reference"] == "E001"
    assert body["evidence"][0]["device_time_trusted"] is False
    assert body["evidence_count"] == 1
    assert body["withdrawal"] is None


def test_amending_keeps_fields_left_out(api, owner):
    entry = make_entry(owner, location="Elm Road", what_happened="First.")
    response = api.post(
        f"/api/entries/{entry.pk}/versions/", {"what_happened": "Second."}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["number"] == 2
    entry.refresh_from_db()
    assert entry.current.what_happened == "Second."
    assert entry.current.location == "Elm Road"
    assert EntryVersion.objects.get(entry=entry, number=1).what_happened == "First."


def test_a_bad_amendment_adds_nothing(api, owner):
    entry = make_entry(owner)
    response = api.post(
        f"/api/entries/{entry.pk}/versions/",
        {"occurred_start": "2099-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert entry.versions.count() == 1


def test_withdrawing(api, owner):
    entry = make_entry(owner)
    response = api.post(
        f"/api/entries/{entry.pk}/withdraw/", {"reason": "Duplicate"}, format="json"
    )
    assert response.status_code == 201
    assert EntryWithdrawal.objects.get(entry=entry).reason == "Duplicate"
    again = api.post(f"/api/entries/{entry.pk}/withdraw/", {"reason": "Again"}, format="json")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": [str(messages.ALREADY_WITHDRAWN)]}
    assert api.post(f"/api/entries/{entry.pk}/withdraw/", {}, format="json").status_code == 400


def test_uploading_evidence_and_fetching_the_original(api, owner):
    entry = make_entry(owner)
    data = jpeg_bytes()
    response = api.post(
        f"/api/entries/{entry.pk}/evidence/",
        {"file": upload("x.jpg", data), "description": "Car"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    original = api.get(body["original_url"])
    assert original.status_code == 200
    assert b"".join(original.streaming_content) == data
    assert original["Content-Disposition"].startswith("attachment;")


def test_a_lying_upload_gets_400_and_leaves_nothing(api, owner, settings):
    entry = make_entry(owner)
    response = api.post(
        f"/api/entries/{entry.pk}/evidence/",
        {"file": upload("x.jpg", PDF_BYTES)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "content is a PDF" in response.json()["file"][0]
    assert not Evidence.objects.exists()
    assert not (settings.MEDIA_ROOT / "evidence").exists() or not any(
        (settings.MEDIA_ROOT / "evidence").rglob("*.*")
    )


def test_an_oversized_upload_gets_400(api, owner, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    entry = make_entry(owner)
    response = api.post(
        f"/api/entries/{entry.pk}/evidence/", {"file": upload()}, format="multipart"
    )
    assert response.status_code == 400
    assert "larger than" in response.json()["file"][0]


def test_items(api, owner):
    entry = make_entry(owner)
    response = api.post(
        "/api/items/",
        {
            "kind": "package",
            "description": "Box of chocolates",
            "entry": entry.pk,
            "storage": "boxed",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    item = Item.objects.get()
    assert item.current.entry == entry
    assert api.get("/api/items/").json()["results"][0]["reference"] == "I001"
    response = api.post(
        f"/api/items/{item.pk}/versions/",
        {"exhibit_reference": "AB/2", "police_handed_to": "PC 99"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert [v["exhibit_reference"] for v in response.json()["versions"]] == ["", "AB/2"]
    assert api.get(f"/api/items/{item.pk}/").json()["latest"]["description"] == "Box of chocolates"


def test_an_item_cannot_link_to_another_owners_entry(api, other_owner):
    theirs = make_entry(other_owner)
    response = api.post(
        "/api/items/", {"kind": "gift", "description": "Flowers", "entry": theirs.pk}, format="json"
    )
    assert response.status_code == 400
    assert "entry" in response.json()


def test_the_ledger_and_its_check(api, owner):
    make_entry(owner)
    records = api.get("/api/ledger/").json()["results"]
    assert [r["kind"] for r in records] == ["diary.create", "entry.create"]
    assert records[1]["prev_hash"] == records[0]["hash"]
    check = api.get("/api/ledger/verify").json()
    assert check == {"ok": True, "records": 2, "head": records[1]["hash"], "problem": None}
    EntryVersion.objects.update(what_happened="tampered")
    check = api.get("/api/ledger/verify").json()
    assert check["ok"] is False
    assert "record 2" in check["problem"]


@pytest.fixture
def theirs(owner):
    entry = make_entry(owner)
    return {
        "entry": entry,
        "evidence": evidence_attach(entry=entry, actor=owner, upload=upload()),
        "item": make_item(owner),
    }


ENDPOINTS = [
    ("get", "/api/entries/{entry}/"),
    ("post", "/api/entries/{entry}/versions/"),
    ("post", "/api/entries/{entry}/withdraw/"),
    ("post", "/api/entries/{entry}/evidence/"),
    ("get", "/api/evidence/{evidence}/original"),
    ("get", "/api/items/{item}/"),
    ("post", "/api/items/{item}/versions/"),
]
COLLECTIONS = [
    ("get", "/api/entries/"),
    ("post", "/api/entries/"),
    ("get", "/api/items/"),
    ("post", "/api/items/"),
    ("get", "/api/ledger/"),
    ("get", "/api/ledger/verify"),
]
PAYLOAD = {"what_happened": "x", "reason": "x", "description": "x", "kind": "gift"}


def fill(path, things):
    return path.format(**{k: v.pk for k, v in things.items()})


@pytest.mark.parametrize(("method", "path"), ENDPOINTS + COLLECTIONS)
def test_anonymous_is_refused_everywhere(anon_api, theirs, method, path):
    records = LedgerRecord.objects.count()
    response = getattr(anon_api, method)(fill(path, theirs), PAYLOAD, format="json")
    assert response.status_code == 403
    assert LedgerRecord.objects.count() == records


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_another_owner_gets_404_and_changes_nothing(other_api, theirs, method, path):
    records = LedgerRecord.objects.filter(diary=theirs["entry"].diary).count()
    response = getattr(other_api, method)(fill(path, theirs), PAYLOAD, format="json")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert LedgerRecord.objects.filter(diary=theirs["entry"].diary).count() == records


def test_another_owners_lists_hold_only_their_own(other_api, theirs):
    assert other_api.get("/api/entries/").json()["results"] == []
    assert other_api.get("/api/items/").json()["results"] == []
    ledger = other_api.get("/api/ledger/").json()["results"]
    assert [r["kind"] for r in ledger] == ["diary.create"]
    assert other_api.get("/api/ledger/verify").json()["records"] == 1


def test_the_entry_list_query_count_does_not_grow(api, owner, django_assert_max_num_queries):
    for _ in range(3):
        evidence_attach(entry=make_entry(owner), actor=owner, upload=upload())
    with django_assert_max_num_queries(6) as few:
        api.get("/api/entries/")
    for _ in range(20):
        evidence_attach(entry=make_entry(owner), actor=owner, upload=upload())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/api/entries/").json()["count"] == 23


def test_the_url_names_are_stable():
    assert reverse("api:entries") == "/api/entries/"
    assert reverse("api:ledger_verify") == "/api/ledger/verify"
