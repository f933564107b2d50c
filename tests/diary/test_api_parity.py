"""API parity (issue 17, point 9): what the entry pages show, the API returns and its schema
documents — who reported an accepted entry, the files' kinds in words, the items, and what
each version changed."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from diary.evidence.services import evidence_attach
from diary.records import services
from tests.factories import make_entry, make_item, upload
from tests.witnesses.factories import device_of, make_submission, make_witness, witness_api_client
from witnesses.services.submissions import submission_accept

pytestmark = pytest.mark.django_db


def accepted_entry(owner):
    """An entry accepted from Pat, a neighbour."""
    _witness, token = make_witness(owner, name="Pat", relationship="neighbour")
    device = device_of(witness_api_client(token))
    return submission_accept(submission=make_submission(device), actor=owner)


def test_the_list_says_who_reported_an_accepted_entry(api, owner, owner_client):
    theirs = accepted_entry(owner)
    mine = make_entry(owner)

    response = api.get("/api/entries/")

    assert response.status_code == 200
    by_number = {row["number"]: row for row in response.json()["results"]}
    assert by_number[theirs.number]["reported_by"] == "Pat (neighbour)"
    assert by_number[theirs.number]["source"] == "witness"
    assert by_number[mine.number]["reported_by"] == ""
    # The same words as the page.
    page = owner_client.get(reverse("diary:entry", args=[theirs.pk])).content.decode()
    assert "Reported by Pat (neighbour)" in page


def test_one_entry_says_who_reported_it(api, owner):
    theirs = accepted_entry(owner)

    body = api.get(f"/api/entries/{theirs.pk}/").json()

    assert body["reported_by"] == "Pat (neighbour)"


def test_each_version_says_what_it_changed(api, owner):
    with time_machine.travel(datetime(2026, 11, 20, 21, 30, tzinfo=UTC), tick=False):
        entry = make_entry(
            owner,
            occurred_start=datetime(2026, 11, 20, 19, 0, tzinfo=UTC),
            vehicle_registration="AB12 CDE",
            location="Elm Road",
        )
    content = {
        **entry.current.content_values(),
        "vehicle_registration": "AB12 CDF",
        "channel": "in_person",
        "what_happened": entry.current.what_happened.replace("grey", "blue"),
    }
    services.entry_amend(entry=entry, actor=owner, content=content)

    body = api.get(f"/api/entries/{entry.pk}/").json()

    first, second = body["versions"]
    assert (first["number"], first["changes"]) == (1, [])
    changes = {change["field"]: change for change in second["changes"]}
    assert list(changes) == ["channel", "what_happened", "vehicle_registration"]
    assert changes["vehicle_registration"] == {
        "field": "vehicle_registration",
        "label": "Vehicle registration",
        "before": "AB12 CDE",
        "after": "AB12 CDF",
        "words": [],
    }
    assert changes["channel"]["label"] == "How"
    assert (changes["channel"]["before"], changes["channel"]["after"]) == ("", "In person")
    assert changes["what_happened"]["words"][:3] == [
        {"kind": "same", "text": "A"},
        {"kind": "removed", "text": "grey"},
        {"kind": "added", "text": "blue"},
    ]
    # The list's latest version stays as it was: no version before it is read there.
    row = api.get("/api/entries/").json()["results"][0]
    assert "changes" not in row["latest"]


def test_an_amendment_through_the_api_answers_with_what_it_changed(api, owner):
    entry = make_entry(owner, vehicle_registration="AB12 CDE")

    response = api.post(
        f"/api/entries/{entry.pk}/versions/", {"vehicle_registration": "AB12 CDF"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["number"] == 2
    assert response.json()["changes"] == [
        {
            "field": "vehicle_registration",
            "label": "Vehicle registration",
            "before": "AB12 CDE",
            "after": "AB12 CDF",
            "words": [],
        }
    ]
    entry.refresh_from_db()
    assert entry.current.vehicle_registration == "AB12 CDF"


def test_files_give_their_kind_in_words_and_items_are_listed(api, owner, owner_client):
    entry = make_entry(owner)
    evidence_attach(entry=entry, actor=owner, upload=upload())
    item = make_item(owner, entry=entry, description="Flowers on the doorstep.")

    body = api.get(f"/api/entries/{entry.pk}/").json()

    [file] = body["evidence"]
    assert (file["kind"], file["kind_label"]) == ("photo", "Photo")
    assert body["items"] == [
        {"id": item.pk, "reference": item.reference, "description": "Flowers on the doorstep."}
    ]
    page = owner_client.get(reverse("diary:entry", args=[entry.pk])).content.decode()
    assert "Photo" in page and item.reference in page


def test_the_schema_documents_who_reported_and_the_changes():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]

    for name in ("Entry", "EntryDetail"):
        reported_by = components[name]["properties"]["reported_by"]
        assert reported_by["type"] == "string" and "Pat (neighbour)" in reported_by["description"]
    versions = components["EntryDetail"]["properties"]["versions"]
    assert versions["items"]["$ref"] == "#/components/schemas/VersionWithChanges"
    changes = components["VersionWithChanges"]["properties"]["changes"]
    assert changes["items"]["$ref"] == "#/components/schemas/FieldChange"
    assert set(components["FieldChange"]["properties"]) == {
        "field",
        "label",
        "before",
        "after",
        "words",
    }
    assert components["Evidence"]["properties"]["kind_label"]["type"] == "string"
    amend = schema["paths"]["/api/entries/{entry_id}/versions/"]["post"]["responses"]["201"]
    assert amend["content"]["application/json"]["schema"]["$ref"].endswith("/VersionWithChanges")
