"""Retried sends: the same Idempotency-Key (a header on the API, a hidden field on the forms)
from the same actor makes one record, and the retry gets the first answer."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from diary import messages
from diary.models import Entry, IdempotencyKey, LedgerRecord
from tests.factories import jpeg_bytes, upload
from tests.witnesses.factories import make_witness, witness_api_client
from witnesses.models import Submission, SubmissionFile

pytestmark = pytest.mark.django_db

KEY = "3f0c8a4e-6a57-4d0e-9b0e-1d2b7b1c9e11"


def entry_body(**overrides):
    return {
        "what_happened": "He waited by the gate again.",
        "occurred_start": "2026-11-20T08:10:00Z",
        **overrides,
    }


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# The API: entries


def test_a_retried_entry_gets_the_first_answer_and_records_once(api, owner):
    first = api.post("/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    records = LedgerRecord.objects.count()
    again = api.post("/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Entry.objects.filter(diary=owner.diary).count() == 1
    assert LedgerRecord.objects.count() == records


def test_the_retry_gets_the_first_body_even_after_an_amendment(api):
    first = api.post("/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    entry_id = first.json()["id"]
    api.post(f"/api/entries/{entry_id}/versions/", {"location": "Later"}, format="json")
    again = api.post("/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert again.json() == first.json()


def test_the_same_key_with_another_body_gets_422_and_saves_nothing(api, owner):
    api.post("/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    records = LedgerRecord.objects.count()
    other = api.post(
        "/api/entries/",
        entry_body(what_happened="Something else"),
        format="json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    assert other.status_code == 422
    assert other.json() == {"detail": str(messages.IDEMPOTENCY_KEY_REUSED)}
    assert Entry.objects.filter(diary=owner.diary).count() == 1
    assert LedgerRecord.objects.count() == records


def test_a_key_is_the_senders_own(api, other_api_client, owner, other_owner):
    mine = api.post("/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    theirs = other_api_client.post(
        "/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]
    assert Entry.objects.filter(diary=other_owner.diary).count() == 1
    assert Entry.objects.filter(diary=owner.diary).count() == 1


@pytest.fixture
def other_api_client(other_owner):
    client = APIClient()
    client.force_authenticate(other_owner)
    return client


def test_a_key_is_forgotten_after_the_retention_window(api, owner, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    api.post("/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        api.force_login(owner)  # that session has long ended
        later = api.post(
            "/api/entries/",
            entry_body(what_happened="A new send reusing an old key"),
            format="json",
            HTTP_IDEMPOTENCY_KEY=KEY,
        )
    assert later.status_code == 201
    assert Entry.objects.filter(diary=owner.diary).count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_without_a_key_every_send_records(api, owner):
    api.post("/api/entries/", entry_body(), format="json")
    api.post("/api/entries/", entry_body(), format="json")
    assert Entry.objects.filter(diary=owner.diary).count() == 2
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
def test_a_malformed_key_gets_400(api, owner, key):
    response = api.post(
        "/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=key.encode().decode()
    )
    assert response.status_code == 400
    assert response.json() == {"idempotency_key": [str(messages.IDEMPOTENCY_KEY_INVALID)]}
    assert not Entry.objects.filter(diary=owner.diary).exists()


def test_a_refused_send_keeps_no_key_so_the_fixed_retry_records(api, owner):
    bad = api.post(
        "/api/entries/", entry_body(what_happened=""), format="json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert bad.status_code == 400
    assert IdempotencyKey.objects.count() == 0
    fixed = api.post("/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert fixed.status_code == 201
    assert Entry.objects.filter(diary=owner.diary).count() == 1


def test_the_key_and_its_record_commit_together(api, owner, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(IdempotencyKey.objects, "create", fail)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(owner)
    response = client.post("/api/entries/", entry_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert response.status_code == 500
    assert not Entry.objects.filter(diary=owner.diary).exists()
    assert LedgerRecord.objects.filter(diary=owner.diary).count() == 1  # the diary's own


# The API: a witness's submissions


def multipart_send(**overrides):
    return {
        "kind": "saw",
        "what_happened": "The grey car again, engine running.",
        "files": [upload("car.jpg", jpeg_bytes())],
        **overrides,
    }


def test_a_retried_submission_with_a_file_records_once(pat_api, owner, settings):
    first = pat_api.post(
        "/api/witness/submissions/", multipart_send(), format="multipart", HTTP_IDEMPOTENCY_KEY=KEY
    )
    files_on_disk = stored_files(settings)
    records = LedgerRecord.objects.count()
    again = pat_api.post(
        "/api/witness/submissions/", multipart_send(), format="multipart", HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Submission.objects.count() == 1
    assert SubmissionFile.objects.count() == 1
    assert LedgerRecord.objects.count() == records
    assert stored_files(settings) == files_on_disk


def test_a_retried_submission_does_not_use_up_the_hourly_allowance(pat_api, settings):
    settings.WITNESS_SUBMISSIONS_PER_HOUR = 1
    body = {"kind": "saw", "what_happened": "Once."}
    first = pat_api.post("/api/witness/submissions/", body, HTTP_IDEMPOTENCY_KEY=KEY)
    again = pat_api.post("/api/witness/submissions/", body, HTTP_IDEMPOTENCY_KEY=KEY)
    another = pat_api.post("/api/witness/submissions/", body, HTTP_IDEMPOTENCY_KEY=KEY + "-2")
    assert (first.status_code, again.status_code, another.status_code) == (201, 201, 429)
    assert Submission.objects.count() == 1


def test_a_submission_key_reused_for_another_send_gets_422(pat_api):
    pat_api.post("/api/witness/submissions/", multipart_send(), HTTP_IDEMPOTENCY_KEY=KEY)
    other = pat_api.post(
        "/api/witness/submissions/",
        multipart_send(files=[upload("other.jpg", jpeg_bytes(size=(30, 30)))]),
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    assert other.status_code == 422
    assert other.json() == {"detail": str(messages.IDEMPOTENCY_KEY_REUSED)}
    assert Submission.objects.count() == 1


def test_witnesses_keys_are_their_own(owner, pat_api):
    sam_api = witness_api_client(make_witness(owner, name="Sam")[1])
    body = {"kind": "saw", "what_happened": "Same words, two people."}
    pat = pat_api.post("/api/witness/submissions/", body, HTTP_IDEMPOTENCY_KEY=KEY)
    sam = sam_api.post("/api/witness/submissions/", body, HTTP_IDEMPOTENCY_KEY=KEY)
    assert pat.status_code == sam.status_code == 201
    assert pat.json()["reference"] != sam.json()["reference"]
    assert Submission.objects.count() == 2


def test_the_schema_documents_the_header():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/entries/", "/api/witness/submissions/"):
        parameters = schema["paths"][path]["post"]["parameters"]
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)
        assert "422" in schema["paths"][path]["post"]["responses"]


# The pages: a hidden key in each form


def hidden_key(html):
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("path", ["/diary/capture/", "/diary/entries/new/"])
def test_an_owner_form_sent_twice_makes_one_entry(owner_client, owner, path):
    key = hidden_key(owner_client.get(path).content.decode())
    fields = {
        "what_happened": "Flowers on the step.",
        "occurred_start": "2026-11-20T09:00",
        "precision": "exact",
        "idempotency_key": key,
    }
    first = owner_client.post(path, fields)
    again = owner_client.post(path, fields)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Entry.objects.filter(diary=owner.diary).count() == 1


@pytest.mark.parametrize("path", ["/diary/capture/", "/diary/entries/new/"])
def test_an_owner_form_key_reused_for_other_words_gets_422(owner_client, owner, path):
    fields = {
        "what_happened": "Flowers on the step.",
        "occurred_start": "2026-11-20T09:00",
        "precision": "exact",
        "idempotency_key": KEY,
    }
    owner_client.post(path, fields)
    other = owner_client.post(path, {**fields, "what_happened": "Something else"})
    assert other.status_code == 422
    assert str(messages.FORM_SENT_BEFORE_DIFFERENTLY) in other.content.decode()
    assert Entry.objects.filter(diary=owner.diary).count() == 1


def test_each_showing_of_a_form_has_a_new_key(owner_client):
    assert hidden_key(owner_client.get("/diary/capture/").content.decode()) != hidden_key(
        owner_client.get("/diary/capture/").content.decode()
    )


def test_the_witness_form_sent_twice_makes_one_submission(owner, settings):
    client = witness_api_client(make_witness(owner)[1])
    key = hidden_key(client.get("/w/").content.decode())
    photo = jpeg_bytes()
    fields = {
        "kind": "saw",
        "what_happened": "By the bus stop.",
        "precision": "exact",
        "occurred_start": "2026-11-20T09:00",
    }

    def send():
        return client.post(
            "/w/",
            {**fields, "idempotency_key": key, "files": [upload("bus.jpg", photo)]},
            format="multipart",
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Submission.objects.count() == 1
    assert SubmissionFile.objects.count() == 1
    assert len(stored_files(settings)) == 2  # the original and its preview, once
