"""The device's own clock, a fourth time beside "happened", "recorded" and "first received":
what the owner's or a contact's device said the time was as they sent it. Kept as its claim,
in the ledger for what is written from now on, and trusted for nothing."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from diary import messages
from diary.core.hashing import canonical_sha256
from diary.ledger.verify import ledger_verify
from diary.models import Entry, EntryVersion, LedgerRecord
from tests.factories import make_entry
from tests.witnesses.factories import make_witness, witness_api_client
from witnesses.models import Submission
from witnesses.services.submissions import submission_accept

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
# A phone whose clock is an hour and a bit wrong, in another zone: it is kept as it said.
CLAIM = "2026-10-25T11:12:13+01:00"
CLAIM_UTC = datetime(2026, 10, 25, 10, 12, 13, tzinfo=UTC)
BAD = ["yesterday", "2026-10-25T11:12:13", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+14:00"]


def record_of(obj):
    return LedgerRecord.objects.get(object=f"{obj._meta.label_lower}:{obj.pk}")


def test_the_entry_page_keeps_the_devices_clock_as_its_claim(owner, owner_client):
    with time_machine.travel(NOW, tick=False):
        response = owner_client.post(
            reverse("diary:entry_new"),
            {
                "what_happened": "Car outside",
                "occurred_start": "2026-10-25T08:30",
                "precision": "exact",
                "device_time": CLAIM,
            },
        )
    assert response.status_code == 302
    version = EntryVersion.objects.get(entry__diary=owner.diary)
    assert version.device_time == CLAIM_UTC
    content = version.ledger_content()
    assert content["v"] == 2
    assert content["device_time"] == "2026-10-25T10:12:13.000000Z"
    assert record_of(version).content_sha256 == canonical_sha256(content)
    assert ledger_verify(diary=owner.diary).ok


def test_the_pages_carry_the_hidden_input_and_its_script(owner_client):
    for name in ("diary:entry_new", "diary:capture"):
        page = owner_client.get(reverse(name)).content.decode()
        assert '<input type="hidden" name="device_time"' in page
        assert "diary/device-clock.js" in page


def test_without_the_script_nothing_is_claimed(owner, owner_client):
    data = {"what_happened": "Car", "occurred_start": "2026-10-25T08:30", "precision": "exact"}
    response = owner_client.post(reverse("diary:capture"), data)
    assert response.status_code == 302
    version = EntryVersion.objects.get(entry__diary=owner.diary)
    assert version.device_time is None
    assert version.ledger_content()["device_time"] is None


@pytest.mark.parametrize("bad", BAD)
def test_a_bad_device_time_on_the_page_is_a_field_error_and_saves_nothing(owner_client, bad):
    response = owner_client.post(
        reverse("diary:entry_new"),
        {"what_happened": "Car outside", "occurred_start": "2026-10-25T08:30", "device_time": bad},
    )
    assert response.status_code == 200
    assert str(messages.DEVICE_TIME_BAD) in response.content.decode().replace("&#x27;", "'")
    assert not Entry.objects.exists()


def test_amending_on_the_page_claims_the_time_of_the_amendment_only(owner, owner_client):
    entry = make_entry(owner, what_happened="First", device_time=CLAIM_UTC)
    response = owner_client.post(
        reverse("diary:entry_amend", args=[entry.pk]),
        {"what_happened": "Second", "occurred_start": "2026-10-25T08:30", "precision": "exact"},
    )
    assert response.status_code == 302
    first, second = EntryVersion.objects.filter(entry=entry).order_by("number")
    assert first.device_time == CLAIM_UTC
    assert second.device_time is None  # the earlier claim is not carried over


def test_the_api_takes_it_on_create_and_amend(owner, api):
    response = api.post(
        "/api/entries/", {"what_happened": "Car outside", "device_time": CLAIM}, format="json"
    )
    assert response.status_code == 201, response.json()
    entry = Entry.objects.get(diary=owner.diary)
    assert entry.current.device_time == CLAIM_UTC
    assert response.json()["versions"][0]["device_time"] == "2026-10-25T10:12:13Z"

    later = "2026-10-25T10:30:00-04:00"
    response = api.post(
        f"/api/entries/{entry.pk}/versions/",
        {"what_happened": "Amended", "device_time": later},
        format="json",
    )
    assert response.status_code == 201, response.json()
    entry.refresh_from_db()
    assert entry.current.device_time == datetime(2026, 10, 25, 14, 30, tzinfo=UTC)
    assert ledger_verify(diary=owner.diary).ok


@pytest.mark.parametrize("bad", BAD)
def test_a_bad_device_time_on_the_api_is_a_400_and_saves_nothing(owner, api, bad):
    entry = make_entry(owner)
    response = api.post("/api/entries/", {"what_happened": "x", "device_time": bad}, format="json")
    assert response.status_code == 400
    assert response.json()["device_time"] == [str(messages.DEVICE_TIME_BAD)]
    response = api.post(f"/api/entries/{entry.pk}/versions/", {"device_time": bad}, format="json")
    assert response.status_code == 400
    assert Entry.objects.count() == 1 and entry.versions.count() == 1


def test_the_schema_names_it_for_entries_and_contacts_sends(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    for name in ("EntryInputRequest", "SubmissionInputRequest"):
        field = components[name]["properties"]["device_time"]
        assert field["format"] == "date-time"
        assert "the device's claim" in field["description"]
    assert "device_time" in components["Version"]["properties"]


def test_a_contacts_send_keeps_it_and_the_entry_accepted_from_it_carries_it(owner):
    _witness, token = make_witness(owner)
    contact = witness_api_client(token)
    response = contact.post(
        reverse("witnesses_api:witness_submissions"),
        {"kind": "saw", "what_happened": "The car again", "device_time": CLAIM},
        format="json",
    )
    assert response.status_code == 201, response.json()
    submission = Submission.objects.get(diary=owner.diary)
    assert submission.device_time == CLAIM_UTC
    assert submission.ledger_content()["device_time"] == "2026-10-25T10:12:13.000000Z"
    entry = submission_accept(submission=submission, actor=owner)
    assert entry.current.device_time == CLAIM_UTC
    assert ledger_verify(diary=owner.diary).ok


def test_a_contacts_send_by_the_page_keeps_it(owner):
    from tests.witnesses.conftest import opened

    _witness, token = make_witness(owner)
    contact = opened(token)
    page = contact.get(reverse("witness:home")).content.decode()
    assert '<input type="hidden" name="device_time"' in page
    assert "diary/device-clock.js" in page
    data = {"kind": "saw", "what_happened": "The car", "occurred_start": "2026-10-25T08:30"}
    data["precision"] = "exact"
    response = contact.post(reverse("witness:home"), {**data, "device_time": "nonsense"})
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert not Submission.objects.exists()
    response = contact.post(reverse("witness:home"), {**data, "device_time": CLAIM})
    assert response.status_code == 302
    assert Submission.objects.get().device_time == CLAIM_UTC


@pytest.mark.parametrize("bad", BAD)
def test_a_bad_device_time_from_a_contact_is_a_400_and_saves_nothing(owner, bad):
    _witness, token = make_witness(owner)
    response = witness_api_client(token).post(
        reverse("witnesses_api:witness_submissions"),
        {"kind": "saw", "what_happened": "x", "device_time": bad},
        format="json",
    )
    assert response.status_code == 400
    assert "device_time" in response.json()
    assert not Submission.objects.exists()
