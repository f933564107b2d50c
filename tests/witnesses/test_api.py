"""The witness REST API: the owner's contacts, brief and inbox; a witness's brief, timeline and
sends. Every endpoint for the allowed actor, and refusals for everyone else."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from diary.ledger.verify import ledger_verify
from diary.models import Entry, Evidence, LedgerRecord
from diary.records.services import entry_withdraw
from tests.conftest import confirmed
from tests.factories import PDF_BYTES, jpeg_bytes, make_entry, upload
from tests.witnesses.factories import (
    device_of,
    make_submission,
    make_witness,
    witness_api_client,
)
from witnesses import messages
from witnesses.api import authentication
from witnesses.models import (
    DEFAULT_SAFETY,
    BriefVersion,
    Decision,
    FollowUp,
    Submission,
    SubmissionFile,
    Witness,
    WitnessDevice,
    WitnessLink,
)
from witnesses.services.brief import brief_update
from witnesses.services.links import link_revoke
from witnesses.services.sharing import entry_share, witness_sharing_set
from witnesses.services.submissions import follow_up_add, submission_accept, submission_keep_aside

pytestmark = pytest.mark.django_db

NEUTRAL = {"detail": str(messages.LINK_NOT_ACTIVE)}


def url(name, *args):
    return reverse(f"witnesses_api:{name}", args=args)


def session_client(user):
    client = APIClient()
    client.force_login(user)  # a real session cookie, as a browser has
    return confirmed(client)  # a moment ago, as inviting and the rest need


@pytest.fixture
def api(owner):
    return session_client(owner)


@pytest.fixture
def other_api(other_owner):
    return session_client(other_owner)


@pytest.fixture
def pat(owner):
    return make_witness(owner)


@pytest.fixture
def pat_api(pat):
    return witness_api_client(pat[1])


@pytest.fixture
def sent(pat_api):
    """Something Pat sent, with a photo."""
    return make_submission(device_of(pat_api), uploads=[upload("car.jpg", jpeg_bytes())])


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def brief_content(**overrides):
    fields = {"person": "Tall, dark coat", "vehicles": "Grey hatchback", "places": "", **overrides}
    return {"what_to_record": "", **fields}


# The owner: contacts


def test_inviting_returns_the_link_once(api, owner):
    response = api.post(
        url("witnesses"),
        {
            "name": "Aunt Sue",
            "relationship": "family",
            "contact": "07700 900123",
            "sharing": "marked",
            "sees_photo": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    witness = Witness.objects.get(diary=owner.diary)
    assert (witness.name, witness.relationship, witness.contact) == (
        "Aunt Sue",
        "family",
        "07700 900123",
    )
    assert (witness.sharing, witness.sees_photo) == ("marked", True)
    assert body["id"] == witness.pk
    assert body["has_active_link"] is True
    assert body["link"].startswith("http://testserver/w/")
    token = body["link"].rsplit("/", 1)[1]
    link = WitnessLink.objects.get(witness=witness)
    assert link.token_sha256 == sha256(token)
    assert witness_api_client(token).get(url("witness_brief")).status_code == 200
    for later in (api.get(url("witness", witness.pk)), api.get(url("witnesses"))):
        assert token not in later.content.decode()
        assert link.token_sha256 not in later.content.decode()
    assert ledger_verify(diary=owner.diary).ok


def test_inviting_with_only_a_name_and_relationship_uses_the_defaults(api, owner):
    response = api.post(url("witnesses"), {"name": "Sam", "relationship": "friend"}, format="json")
    assert response.status_code == 201, response.json()
    witness = Witness.objects.get(diary=owner.diary)
    assert (witness.contact, witness.sharing, witness.sees_photo) == ("", "brief", False)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"relationship": "friend"}, "name"),
        ({"name": "Sam", "relationship": "stranger"}, "relationship"),
        ({"name": "Sam", "relationship": "friend", "sharing": "everything"}, "sharing"),
        ({"name": "x" * 121, "relationship": "friend"}, "name"),
    ],
)
def test_a_bad_invite_gets_400_and_stores_nothing(api, data, field):
    response = api.post(url("witnesses"), data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Witness.objects.exists()


def test_listing_contacts(api, owner):
    make_witness(owner, name="Zoe")
    gone, _ = make_witness(owner, name="Alex")
    link_revoke(witness=gone, actor=owner)
    body = api.get(url("witnesses")).json()
    assert body["count"] == 2
    assert [(w["name"], w["has_active_link"]) for w in body["results"]] == [
        ("Alex", False),
        ("Zoe", True),
    ]
    assert "links" not in body["results"][0]


def test_one_contact_with_links_and_devices_never_the_token(api, pat):
    witness, token = pat
    witness_api_client(token, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1")
    response = api.get(url("witness", witness.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Pat"
    [link] = body["links"]
    assert link["active"] is True and link["revoked_at"] is None
    assert [d["browser"] for d in link["devices"]] == ["Safari on iPhone"]
    assert set(link["devices"][0]) == {"browser", "first_seen", "last_seen", "left_at"}
    text = response.content.decode()
    assert token not in text
    assert WitnessLink.objects.get().token_sha256 not in text
    assert WitnessDevice.objects.get().key_sha256 not in text


def test_revoking_ends_the_link_at_once(api, pat, pat_api):
    witness, _ = pat
    response = api.post(url("witness_revoke", witness.pk))
    assert response.status_code == 200
    assert response.json()["has_active_link"] is False
    assert WitnessLink.objects.get(witness=witness).revoked_at is not None
    assert pat_api.get(url("witness_brief")).json() == NEUTRAL
    again = api.post(url("witness_revoke", witness.pk))
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": [str(messages.NO_ACTIVE_LINK)]}
    assert WitnessLink.objects.filter(witness=witness).count() == 1


def test_reissuing_replaces_the_link(api, pat, pat_api):
    witness, old_token = pat
    response = api.post(url("witness_reissue", witness.pk))
    assert response.status_code == 201
    body = response.json()
    new_token = body["link"].rsplit("/", 1)[1]
    assert new_token != old_token
    assert [link["active"] for link in body["links"]] == [True, False]
    old, new = WitnessLink.objects.filter(witness=witness).order_by("created_at")
    assert old.revoked_at is not None and new.revoked_at is None
    assert new.token_sha256 == sha256(new_token)
    assert pat_api.get(url("witness_brief")).status_code == 403
    assert witness_api_client(new_token).get(url("witness_brief")).status_code == 200


def test_extending_a_link(api, pat):
    witness, _ = pat
    response = api.post(url("witness_extend", witness.pk), {"days": 10}, format="json")
    assert response.status_code == 200
    expires = WitnessLink.objects.get(witness=witness).expires_at
    assert abs(expires - (timezone.now() + timedelta(days=10))) < timedelta(seconds=5)
    assert api.post(url("witness_extend", witness.pk)).status_code == 200
    expires = WitnessLink.objects.get(witness=witness).expires_at
    assert abs(expires - (timezone.now() + timedelta(days=90))) < timedelta(seconds=5)


@pytest.mark.parametrize("days", [0, 366, "soon"])
def test_extending_by_a_bad_number_of_days_gets_400(api, pat, days):
    witness, _ = pat
    before = WitnessLink.objects.get(witness=witness).expires_at
    response = api.post(url("witness_extend", witness.pk), {"days": days}, format="json")
    assert response.status_code == 400
    assert "days" in response.json()
    assert WitnessLink.objects.get(witness=witness).expires_at == before


def test_extending_a_revoked_link_gets_400(api, owner, pat):
    witness, _ = pat
    link_revoke(witness=witness, actor=owner)
    response = api.post(url("witness_extend", witness.pk), format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [str(messages.NO_ACTIVE_LINK)]}


def test_choosing_what_a_contact_sees(api, pat):
    witness, _ = pat
    response = api.post(
        url("witness_sharing", witness.pk), {"sharing": "all", "sees_photo": True}, format="json"
    )
    assert response.status_code == 200
    witness.refresh_from_db()
    assert (witness.sharing, witness.sees_photo) == ("all", True)
    response = api.post(url("witness_sharing", witness.pk), {"sharing": "marked"}, format="json")
    assert response.json()["sharing"] == "marked"
    witness.refresh_from_db()
    assert (witness.sharing, witness.sees_photo) == ("marked", True)
    bad = api.post(url("witness_sharing", witness.pk), {"sharing": "diary"}, format="json")
    assert bad.status_code == 400
    witness.refresh_from_db()
    assert witness.sharing == "marked"


# The owner: the brief


def test_the_brief_before_any_version(api):
    body = api.get(url("brief")).json()
    assert body == {
        "number": None,
        "recorded_at": None,
        "person": "",
        "vehicles": "",
        "places": "",
        "what_to_record": "",
        "safety": str(DEFAULT_SAFETY),
        "has_photo": False,
        "photo_url": None,
    }


def test_writing_the_brief_adds_versions_and_keeps_fields_left_out(api, owner):
    response = api.put(url("brief"), brief_content(), format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["number"] == 1
    response = api.put(url("brief"), {"places": "Station car park"}, format="json")
    assert response.status_code == 200, response.json()
    latest = BriefVersion.objects.get(diary=owner.diary, number=2)
    assert (latest.person, latest.places) == ("Tall, dark coat", "Station car park")
    assert latest.safety == str(DEFAULT_SAFETY)
    assert BriefVersion.objects.get(diary=owner.diary, number=1).places == ""
    assert api.get(url("brief")).json()["places"] == "Station car park"
    assert ledger_verify(diary=owner.diary).ok


def test_the_brief_photo_by_multipart_and_its_removal(api, owner):
    response = api.put(
        url("brief"), {**brief_content(), "photo": upload("him.jpg")}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["has_photo"] is True
    assert api.get(response.json()["photo_url"]).status_code == 200
    assert BriefVersion.objects.get(number=1).photo_sha256
    kept = api.put(url("brief"), {"vehicles": "None now"}, format="json").json()
    assert kept["has_photo"] is True
    removed = api.put(url("brief"), {"remove_photo": "true"}, format="multipart").json()
    assert removed["has_photo"] is False
    assert BriefVersion.objects.get(number=3).photo.name == ""
    assert BriefVersion.objects.get(number=3).person == "Tall, dark coat"


@pytest.mark.parametrize(
    ("data", "field", "format"),
    [
        ({"safety": ""}, "safety", "json"),
        ({"person": "x" * 2_001}, "person", "multipart"),
        ({"photo": upload("him.jpg", PDF_BYTES)}, "photo", "multipart"),
        ({"photo": upload("him.pdf", PDF_BYTES, "application/pdf")}, "photo", "multipart"),
    ],
)
def test_a_bad_brief_gets_400_and_adds_no_version(api, data, field, format):
    response = api.put(url("brief"), data, format=format)
    assert response.status_code == 400
    assert field in response.json()
    assert not BriefVersion.objects.exists()


# The owner: the inbox


def test_the_inbox_lists_what_was_sent_with_files_and_follow_ups(api, pat, pat_api, sent):
    witness, _ = pat
    follow_up_add(device=device_of(pat_api), submission=sent, text="It was 5:30.")
    response = api.get(url("inbox"))
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == sent.pk
    assert item["reference"] == sent.reference
    assert item["kind"] == "saw"
    assert item["what_happened"] == sent.what_happened
    assert item["content_sha256"] == sent.content_sha256
    assert item["witness"] == {"id": witness.pk, "name": "Pat", "relationship": "neighbour"}
    assert item["status"] == "pending"
    assert item["entry"] is None and item["reason"] is None
    [file] = item["files"]
    stored = SubmissionFile.objects.get(submission=sent)
    assert (file["id"], file["sha256"], file["size"]) == (stored.pk, stored.sha256, stored.size)
    assert file["original_name"] == "car.jpg" and file["mime_type"] == "image/jpeg"
    assert [f["text"] for f in item["follow_ups"]] == ["It was 5:30."]


def test_the_inbox_filters_by_status(api, owner, pat_api):
    device = device_of(pat_api)
    pending = make_submission(device, what_happened="pending one")
    accepted = make_submission(device, what_happened="accepted one")
    aside = make_submission(device, what_happened="aside one")
    submission_accept(submission=accepted, actor=owner)
    submission_keep_aside(submission=aside, actor=owner, reason="Not about him")

    def references(**query):
        return {item["reference"] for item in api.get(url("inbox"), query).json()["results"]}

    assert references() == {pending.reference}
    assert references(status="pending") == {pending.reference}
    assert references(status="accepted") == {accepted.reference}
    assert references(status="kept_aside") == {aside.reference}
    assert references(status="all") == {pending.reference, accepted.reference, aside.reference}
    response = api.get(url("inbox"), {"status": "everything"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_accepting_makes_an_entry_credited_to_the_witness_with_its_files(api, owner, sent):
    response = api.post(url("inbox_accept", sent.pk))
    assert response.status_code == 201, response.json()
    body = response.json()
    entry = Entry.objects.get(diary=owner.diary)
    assert body["entry"] == entry.pk
    assert body["status"] == "accepted"
    assert entry.source == "witness"
    assert entry.reported_by == "Pat (neighbour)"
    assert entry.received_at == sent.received_at
    assert entry.current.what_happened == sent.what_happened
    file = SubmissionFile.objects.get(submission=sent)
    evidence = Evidence.objects.get(entry=entry)
    assert (evidence.sha256, evidence.size) == (file.sha256, file.size)
    assert Decision.objects.get(submission=sent).outcome == "accepted"
    again = api.post(url("inbox_accept", sent.pk))
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": [str(messages.ALREADY_DECIDED)]}
    assert Entry.objects.count() == 1
    assert ledger_verify(diary=owner.diary).ok


def test_hiding_keeps_it_aside_with_a_private_reason(api, owner, pat_api, sent):
    no_reason = api.post(url("inbox_hide", sent.pk), {}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()
    blank = api.post(url("inbox_hide", sent.pk), {"reason": "  "}, format="json")
    assert blank.status_code == 400
    assert not Decision.objects.exists()
    response = api.post(url("inbox_hide", sent.pk), {"reason": "PRIVATE-WHY"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["reason"]) == ("kept_aside", "PRIVATE-WHY")
    decision = Decision.objects.get(submission=sent)
    assert (decision.outcome, decision.reason, decision.entry) == (
        "kept_aside",
        "PRIVATE-WHY",
        None,
    )
    assert (
        api.post(url("inbox_hide", sent.pk), {"reason": "again"}, format="json").status_code == 400
    )
    assert api.post(url("inbox_accept", sent.pk)).status_code == 400
    assert not Entry.objects.exists()
    assert Submission.objects.get().what_happened == sent.what_happened  # kept as sent
    assert ledger_verify(diary=owner.diary).ok
    mine = pat_api.get(url("witness_submissions"))
    assert mine.json()["results"][0]["status"] == "kept_aside"
    assert "PRIVATE-WHY" not in mine.content.decode()


# The owner's endpoints: everyone else


OBJECT_CALLS = [
    ("get", "witness", "witness", {}),
    ("post", "witness_revoke", "witness", {}),
    ("post", "witness_reissue", "witness", {}),
    ("post", "witness_extend", "witness", {"days": 10}),
    ("post", "witness_sharing", "witness", {"sharing": "all", "sees_photo": True}),
    ("post", "inbox_accept", "submission", {}),
    ("post", "inbox_hide", "submission", {"reason": "none of yours"}),
]
LIST_CALLS = [
    ("get", "witnesses", {}),
    ("post", "witnesses", {"name": "Mallory", "relationship": "other"}),
    ("get", "brief", {}),
    ("put", "brief", {"person": "changed"}),
    ("get", "inbox", {}),
]


def _object_url(name, target, pat, sent):
    return url(name, pat[0].pk if target == "witness" else sent.pk)


@pytest.mark.parametrize(("method", "name", "target", "data"), OBJECT_CALLS)
def test_another_owner_gets_404_and_changes_nothing(
    other_api, pat, sent, method, name, target, data
):
    before = LedgerRecord.objects.count()
    response = getattr(other_api, method)(_object_url(name, target, pat, sent), data, format="json")
    assert response.status_code == 404
    assert LedgerRecord.objects.count() == before
    assert not Decision.objects.exists()
    assert WitnessLink.objects.get().revoked_at is None
    assert "Pat" not in response.content.decode()


def test_another_owner_sees_only_their_own_lists(other_api, pat, sent):
    assert other_api.get(url("witnesses")).json()["count"] == 0
    assert other_api.get(url("inbox"), {"status": "all"}).json()["count"] == 0
    assert other_api.get(url("brief")).json()["number"] is None


@pytest.mark.parametrize(("method", "name", "target", "data"), OBJECT_CALLS)
def test_anonymous_and_witnesses_get_403_on_object_endpoints(
    pat, pat_api, sent, method, name, target, data
):
    before = LedgerRecord.objects.count()
    for client in (APIClient(), pat_api):
        response = getattr(client, method)(
            _object_url(name, target, pat, sent), data, format="json"
        )
        assert response.status_code == 403
        assert "Pat" not in response.content.decode()
    assert LedgerRecord.objects.count() == before


@pytest.mark.parametrize(("method", "name", "data"), LIST_CALLS)
def test_anonymous_and_witnesses_get_403_on_list_endpoints(pat, pat_api, sent, method, name, data):
    before = LedgerRecord.objects.count()
    for client in (APIClient(), pat_api):
        response = getattr(client, method)(url(name), data, format="json")
        assert response.status_code == 403
        assert sent.what_happened not in response.content.decode()
    assert LedgerRecord.objects.count() == before
    assert Witness.objects.count() == 1


# A witness: who gets in


WITNESS_CALLS = [
    ("get", "witness_brief", {}),
    ("get", "witness_timeline", {}),
    ("get", "witness_submissions", {}),
    ("post", "witness_submissions", {"kind": "saw", "what_happened": "Seen."}),
]


def _refused_everywhere(client):
    for method, name, data in WITNESS_CALLS:
        response = getattr(client, method)(url(name), data, format="json")
        assert (response.status_code, response.json()) == (403, NEUTRAL), name
    assert not Submission.objects.exists()


def test_no_cookie_gets_the_neutral_403(pat):
    _refused_everywhere(APIClient())
    stranger = APIClient()
    stranger.cookies["w"] = "not-a-session"
    _refused_everywhere(stranger)


def test_a_revoked_link_gets_the_neutral_403(owner, pat, pat_api):
    link_revoke(witness=pat[0], actor=owner)
    _refused_everywhere(pat_api)


def test_an_expired_link_gets_the_neutral_403(pat_api):
    assert pat_api.get(url("witness_brief")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        _refused_everywhere(pat_api)


def test_an_owner_session_does_not_open_the_witness_endpoints(api, pat):
    _refused_everywhere(api)


def test_a_witness_session_is_seen(pat_api):
    device = WitnessDevice.objects.get()
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert pat_api.get(url("witness_brief")).status_code == 200
        device.refresh_from_db()
        assert timezone.now() - device.last_seen < timedelta(seconds=5)


def test_witness_posts_need_the_csrf_token(pat):
    client = witness_api_client(pat[1], enforce_csrf_checks=True)
    data = {"kind": "saw", "what_happened": "Seen at the gate."}
    assert client.get(url("witness_brief")).status_code == 200
    refused = client.post(url("witness_submissions"), data, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed")
    assert not Submission.objects.exists()
    client.get(reverse("witness:home"))  # the witness page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(url("witness_submissions"), data, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.json()
    assert Submission.objects.get().what_happened == "Seen at the gate."


# A witness: the brief


def test_a_witness_sees_the_brief_without_the_photo_unless_chosen(owner, pat, pat_api):
    assert pat_api.get(url("witness_brief")).json()["safety"] == str(DEFAULT_SAFETY)
    brief_update(diary=owner.diary, actor=owner, content=brief_content(), photo=upload("him.jpg"))
    response = pat_api.get(url("witness_brief"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    body = response.json()
    assert body["person"] == "Tall, dark coat"
    assert body["photo_url"] is None
    assert owner.email not in response.content.decode()
    witness_sharing_set(witness=pat[0], actor=owner, sharing="brief", sees_photo=True)
    photo_url = pat_api.get(url("witness_brief")).json()["photo_url"]
    assert photo_url == reverse("witness:brief_photo")
    assert pat_api.get(photo_url).status_code == 200


# A witness: the timeline


def _timeline(client):
    response = client.get(url("witness_timeline"))
    assert response.status_code == 200
    return response


def test_the_timeline_follows_what_the_owner_shares(owner):
    shared = make_entry(owner, what_happened="SHARED-ONE")
    make_entry(owner, what_happened="PRIVATE-ONE")
    withdrawn = make_entry(owner, what_happened="WITHDRAWN-ONE")
    entry_share(entry=shared, actor=owner)
    entry_share(entry=withdrawn, actor=owner)
    entry_withdraw(entry=withdrawn, actor=owner, reason="Wrong day")
    seen = {}
    for sharing in ("brief", "marked", "all"):
        _, token = make_witness(owner, name=f"Witness {sharing}", sharing=sharing)
        results = _timeline(witness_api_client(token)).json()["results"]
        seen[sharing] = {entry["latest"]["what_happened"] for entry in results}
    assert seen == {
        "brief": set(),
        "marked": {"SHARED-ONE"},
        "all": {"SHARED-ONE", "PRIVATE-ONE"},
    }


def test_the_timeline_never_names_a_witness_nor_shows_files(owner, pat_api, sent):
    api_owner = session_client(owner)
    assert api_owner.post(url("inbox_accept", sent.pk)).status_code == 201
    _, token = make_witness(owner, name="Robin Other", sharing="all")
    response = _timeline(witness_api_client(token))
    [entry] = response.json()["results"]
    assert entry["reported_by"] == "a contact"
    assert entry["reference"] == "#1"
    assert set(entry) == {"number", "reference", "latest", "reported_by"}
    text = response.content.decode()
    assert "Pat" not in text
    assert "neighbour" not in text
    assert sent.files.get().sha256 not in text
    assert owner.email not in text


# A witness: sending


def test_sending_returns_a_receipt(owner, pat, pat_api):
    response = pat_api.post(
        url("witness_submissions"),
        {
            "kind": "approached",
            "occurred_start": "2026-01-20T17:30:00Z",
            "location": "Corner shop",
            "what_happened": "He asked where she works now.",
            "words_used": "Tell her I'm not going anywhere.",
            "statement": "yes",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    submission = Submission.objects.get()
    assert submission.witness == pat[0]
    assert submission.occurred_start.isoformat() == "2026-01-20T17:30:00+00:00"
    assert submission.words_used == "Tell her I'm not going anywhere."
    assert body["reference"] == submission.reference
    assert body["content_sha256"] == submission.content_sha256
    assert body["status"] == "received"
    assert body["words_used"] == "Tell her I'm not going anywhere."
    assert "entry" not in body and "reason" not in body
    assert LedgerRecord.objects.filter(kind="submission.submit").count() == 1
    assert ledger_verify(diary=owner.diary).ok


def test_when_defaults_to_now(pat_api):
    response = pat_api.post(
        url("witness_submissions"), {"kind": "saw", "what_happened": "Just now."}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert timezone.now() - Submission.objects.get().occurred_start < timedelta(seconds=5)


def test_sending_photos_by_multipart_stores_them(pat_api):
    first, second = jpeg_bytes(), jpeg_bytes(size=(20, 20))
    response = pat_api.post(
        url("witness_submissions"),
        {
            "kind": "saw",
            "what_happened": "Photographed the car.",
            "files": [upload("a.jpg", first), upload("b.jpg", second)],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    stored = SubmissionFile.objects.filter(submission=Submission.objects.get())
    assert sorted(f.sha256 for f in stored) == sorted(
        hashlib.sha256(data).hexdigest() for data in (first, second)
    )
    assert {f["original_name"] for f in response.json()["files"]} == {"a.jpg", "b.jpg"}
    with stored[0].original_file.open() as handle:
        assert handle.read() in (first, second)


def test_a_lying_file_gets_400_and_nothing_is_kept(pat_api, settings):
    response = pat_api.post(
        url("witness_submissions"),
        {"kind": "saw", "what_happened": "Seen.", "files": [upload("photo.jpg", PDF_BYTES)]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "content is a PDF" in response.json()["files"][0]
    assert not Submission.objects.exists()
    assert not SubmissionFile.objects.exists()
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*.*"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"what_happened": ""}, "what_happened"),
        ({"kind": "gossip"}, "kind"),
        ({"occurred_start": "2099-01-01T00:00:00Z"}, "occurred_start"),
        ({"precision": "range"}, "occurred_end"),
        ({"words_used": "x" * 5_001}, "words_used"),
    ],
)
def test_bad_sends_get_400_with_field_errors(pat_api, data, field):
    response = pat_api.post(
        url("witness_submissions"), {"kind": "saw", "what_happened": "Seen.", **data}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Submission.objects.exists()


def test_too_many_sends_in_an_hour_get_429(pat_api, settings):
    settings.WITNESS_SUBMISSIONS_PER_HOUR = 2
    data = {"kind": "saw", "what_happened": "Again."}
    # All three sends inside one clock hour, whenever the test runs.
    with time_machine.travel(timezone.now().replace(minute=10), tick=False):
        for _ in range(2):
            assert pat_api.post(url("witness_submissions"), data, format="json").status_code == 201
        response = pat_api.post(url("witness_submissions"), data, format="json")
    assert response.status_code == 429
    assert response.json() == {"detail": str(messages.TOO_MANY_SENDS)}
    assert Submission.objects.count() == 2


def test_a_link_ended_while_writing_stores_nothing(owner, pat, pat_api, monkeypatch):
    # The owner revokes between the request's check of the cookie and the send being stored.
    device = device_of(pat_api)
    link_revoke(witness=pat[0], actor=owner)
    monkeypatch.setattr(authentication.selectors, "witness_actor", lambda key: device)
    response = pat_api.post(
        url("witness_submissions"), {"kind": "saw", "what_happened": "Seen."}, format="json"
    )
    assert (response.status_code, response.json()) == (403, NEUTRAL)
    assert not Submission.objects.exists()


def test_a_witness_lists_only_their_own_sends_with_a_status(owner, pat_api):
    device = device_of(pat_api)
    added = make_submission(device, what_happened="added one")
    aside = make_submission(device, what_happened="aside one")
    waiting = make_submission(device, what_happened="waiting one")
    _, other_token = make_witness(owner, name="Robin")
    theirs = make_submission(device_of(witness_api_client(other_token)), what_happened="ROBIN")
    submission_accept(submission=added, actor=owner)
    submission_keep_aside(submission=aside, actor=owner, reason="PRIVATE-WHY")
    response = pat_api.get(url("witness_submissions"))
    assert response.status_code == 200
    statuses = {item["reference"]: item["status"] for item in response.json()["results"]}
    assert statuses == {
        added.reference: "added",
        aside.reference: "kept_aside",
        waiting.reference: "received",
    }
    text = response.content.decode()
    for secret in ("PRIVATE-WHY", "ROBIN", theirs.reference, "Robin"):
        assert secret not in text
    assert "entry" not in response.json()["results"][0]


def test_a_follow_up_is_added_to_your_own_send(owner, pat_api, sent):
    response = pat_api.post(
        url("witness_follow_ups", sent.reference), {"text": "It was 5:30."}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["text"] == "It was 5:30."
    assert FollowUp.objects.get(submission=sent).text == "It was 5:30."
    assert Submission.objects.get().what_happened == sent.what_happened
    blank = pat_api.post(url("witness_follow_ups", sent.reference), {"text": ""}, format="json")
    assert blank.status_code == 400
    assert FollowUp.objects.count() == 1
    assert ledger_verify(diary=owner.diary).ok


def test_a_follow_up_to_someone_elses_send_gets_404(owner, sent):
    _, token = make_witness(owner, name="Robin")
    other = witness_api_client(token)
    before = LedgerRecord.objects.count()
    response = other.post(
        url("witness_follow_ups", sent.reference), {"text": "Me too"}, format="json"
    )
    assert response.status_code == 404
    assert not FollowUp.objects.exists()
    assert LedgerRecord.objects.count() == before
