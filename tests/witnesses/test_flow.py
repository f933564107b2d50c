"""Witnesses end to end through the pages: links, the brief, sending, the inbox, sharing."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from diary.ledger.verify import ledger_verify
from diary.models import Entry, Evidence, LedgerRecord
from tests.factories import PDF_BYTES, jpeg_bytes, make_entry, upload
from tests.witnesses.conftest import invite, opened
from witnesses import messages
from witnesses.models import (
    Decision,
    FollowUp,
    Submission,
    SubmissionFile,
    Witness,
    WitnessDevice,
    WitnessLink,
)
from witnesses.services import submissions
from witnesses.services.links import link_extend, link_reissue, link_revoke, token_sha256
from witnesses.services.sharing import witness_sharing_set
from witnesses.services.submissions import submission_accept, submission_create

pytestmark = pytest.mark.django_db

NEUTRAL = str(messages.LINK_NOT_ACTIVE)


def approach(**overrides):
    return {
        "kind": "approached",
        "occurred_start": "2026-11-20T17:30",
        "precision": "exact",
        "location": "Corner shop",
        "what_happened": "He stopped me outside the shop and asked where she works now.",
        "words_used": "Tell her I'm not going anywhere.",
        "statement": "yes",
        "statement_contact": "07700 900123",
        **overrides,
    }


# Links


def test_a_token_has_256_bits_and_only_its_hash_is_stored(owner, caplog):
    witness, token = invite(owner)
    assert len(token) >= 43  # 32 bytes, URL-safe base64
    link = WitnessLink.objects.get(witness=witness)
    assert link.token_sha256 == token_sha256(token)
    assert token not in str(list(WitnessLink.objects.values()))
    assert not LedgerRecord.objects.filter(object__contains=token).exists()
    with caplog.at_level("DEBUG"):
        opened(token)
    assert token not in caplog.text


def test_opening_a_link_sets_a_session_cookie_and_drops_the_token(invited):
    _, token = invited
    client = opened(token)
    response = client.get(f"/w/{token}", follow=False)
    assert response.url == reverse("witness:home")
    assert response["Referrer-Policy"] == "no-referrer"
    cookie = response.cookies["w"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert token not in cookie.value
    page = client.get(reverse("witness:home"))
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"


def test_unknown_expired_and_revoked_links_get_the_same_neutral_page(owner):
    _, expired_token = invite(owner, name="Expired")
    revoked, revoked_token = invite(owner, name="Revoked")
    link_revoke(witness=revoked, actor=owner)
    bodies = set()
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        for token in ("x" * 43, expired_token, revoked_token):
            response = opened_or_not(token)
            assert response.status_code == 404
            assert NEUTRAL in response.content.decode()
            bodies.add(response.content)
    assert len(bodies) == 1
    body = bodies.pop().decode()
    assert "Expired" not in body and "Revoked" not in body and owner.email not in body


def opened_or_not(token):
    from django.test import Client

    return Client().get(f"/w/{token}")


def test_each_device_is_recorded_and_shown_to_the_owner(owner, owner_client, invited):
    witness, token = invited
    opened(token, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Version/17.0 Mobile Safari/604.1")
    opened(token, "Mozilla/5.0 (Linux; Android 14; SM-S911B) SamsungBrowser/23.0 Chrome/115")
    browsers = set(WitnessDevice.objects.values_list("browser", flat=True))
    assert browsers == {"Safari on iPhone", "Samsung Internet on Android"}
    page = owner_client.get(reverse("witnesses:contact", args=[witness.pk])).content.decode()
    assert "Safari on iPhone" in page and "Samsung Internet on Android" in page
    assert "more than one phone" in page


def test_revoking_locks_out_an_open_session_at_once(owner, invited, witness_client):
    witness, _ = invited
    assert witness_client.get(reverse("witness:home")).status_code == 200
    link_revoke(witness=witness, actor=owner)
    response = witness_client.get(reverse("witness:home"))
    assert response.status_code == 404
    assert NEUTRAL in response.content.decode()


def test_reissuing_ends_the_old_link_and_its_sessions(owner, invited, witness_client):
    witness, old_token = invited
    new_token = link_reissue(witness=witness, actor=owner)
    assert witness_client.get(reverse("witness:home")).status_code == 404
    assert opened_or_not(old_token).status_code == 404
    assert opened(new_token).get(reverse("witness:home")).status_code == 200


def test_extending_keeps_a_link_alive_past_its_first_expiry(owner, invited, witness_client):
    witness, _ = invited
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        link_extend(witness=witness, actor=owner)
    with time_machine.travel(timezone.now() + timedelta(days=100)):
        assert witness_client.get(reverse("witness:home")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=151)):
        assert witness_client.get(reverse("witness:home")).status_code == 404


def test_the_owner_invites_and_sees_the_link_once_with_a_qr_code(owner_client):
    response = owner_client.post(
        reverse("witnesses:contact_new"),
        {"name": "Aunt Sue", "relationship": "family", "sharing": "brief"},
    )
    witness = Witness.objects.get()
    assert response.url == reverse("witnesses:contact_link", args=[witness.pk])
    page = owner_client.get(response.url)
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    match = re.search(r"http://testserver/w/([A-Za-z0-9_-]{43})", html)
    assert match
    assert "<svg" in html
    token = match.group(1)
    assert opened(token).get(reverse("witness:home")).status_code == 200
    # Reloading the page shows nothing new and makes nothing new.
    again = owner_client.get(response.url)
    assert again.url == reverse("witnesses:contact", args=[witness.pk])
    assert token not in owner_client.get(again.url).content.decode()
    assert Witness.objects.count() == 1
    assert WitnessLink.objects.count() == 1


def test_a_new_link_is_shown_once_and_a_reload_keeps_it(owner, owner_client, invited):
    witness, old_token = invited
    response = owner_client.post(reverse("witnesses:contact_reissue", args=[witness.pk]))
    html = owner_client.get(response.url).content.decode()
    new_token = re.search(r"/w/([A-Za-z0-9_-]{43})", html).group(1)
    owner_client.get(response.url)  # a reload
    assert WitnessLink.objects.filter(witness=witness, revoked_at__isnull=True).count() == 1
    assert opened(new_token).get(reverse("witness:home")).status_code == 200
    assert opened_or_not(old_token).status_code == 404


# Sending


def test_a_witness_sends_an_approach_with_words_and_a_photo(owner, invited, witness_client):
    response = witness_client.post(
        reverse("witness:home"), {**approach(), "files": [upload("shop.jpg", jpeg_bytes())]}
    )
    submission = Submission.objects.get()
    assert response.url == reverse("witness:receipt", args=[submission.reference])
    assert submission.words_used == "Tell her I'm not going anywhere."
    assert submission.witness == invited[0]
    assert SubmissionFile.objects.get().submission == submission
    receipt = witness_client.get(response.url).content.decode()
    assert submission.reference in receipt
    assert submission.content_sha256 in receipt
    assert "Received" in receipt
    assert LedgerRecord.objects.filter(
        kind="submission.submit", actor=f"witness:{invited[0].pk}"
    ).exists()
    assert ledger_verify().ok


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"what_happened": ""}, "what_happened"),
        ({"occurred_start": "2099-01-01T00:00"}, "occurred_start"),
        ({"precision": "range", "occurred_end": "2026-11-19T00:00"}, "occurred_end"),
        ({"kind": "gossip"}, "kind"),
        ({"words_used": "x" * 5_001}, "words_used"),
    ],
)
def test_bad_sends_are_refused_with_a_message_and_nothing_kept(witness_client, data, field):
    response = witness_client.post(reverse("witness:home"), approach(**data))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Submission.objects.exists()


def test_a_lying_file_is_refused_and_nothing_is_kept(witness_client, settings):
    response = witness_client.post(
        reverse("witness:home"), {**approach(), "files": [upload("photo.jpg", PDF_BYTES)]}
    )
    assert response.status_code == 400
    assert "content is a PDF" in response.content.decode()
    assert not Submission.objects.exists()
    assert not list((settings.MEDIA_ROOT).rglob("*.*")) if settings.MEDIA_ROOT.exists() else True


def test_sends_are_rate_limited_per_link(witness_client, settings):
    settings.WITNESS_SUBMISSIONS_PER_HOUR = 2
    # All three sends inside one clock hour, whenever the test runs.
    with time_machine.travel(timezone.now().replace(minute=10), tick=False):
        for _ in range(2):
            assert witness_client.post(reverse("witness:home"), approach()).status_code == 302
        response = witness_client.post(reverse("witness:home"), approach())
    assert response.status_code == 429
    assert "a lot in the last hour" in response.content.decode()
    assert Submission.objects.count() == 2


def test_a_link_revoked_while_writing_stores_nothing(owner, invited, witness_client, monkeypatch):
    witness, _ = invited
    real = submission_create

    def revoke_first(**kwargs):
        link_revoke(witness=witness, actor=owner)
        return real(**kwargs)

    monkeypatch.setattr(submissions, "submission_create", revoke_first)
    response = witness_client.post(
        reverse("witness:home"), {**approach(), "files": [upload("a.jpg", jpeg_bytes())]}
    )
    assert response.status_code == 404
    assert NEUTRAL in response.content.decode()
    assert not Submission.objects.exists()
    assert not SubmissionFile.objects.exists()


def test_a_follow_up_is_appended_and_the_original_untouched(witness_client):
    witness_client.post(reverse("witness:home"), approach())
    submission = Submission.objects.get()
    before = submission.content_sha256
    witness_client.post(
        reverse("witness:receipt", args=[submission.reference]),
        {"text": "He was driving the grey car again."},
    )
    submission.refresh_from_db()
    assert submission.content_sha256 == before
    assert FollowUp.objects.get().text == "He was driving the grey car again."
    assert ledger_verify().ok


def test_a_witness_cannot_see_another_witness_receipt(owner, witness_client):
    _, other_token = invite(owner, name="Other")
    other = opened(other_token)
    other.post(reverse("witness:home"), approach())
    reference = Submission.objects.get().reference
    assert witness_client.get(reverse("witness:receipt", args=[reference])).status_code == 404


# The inbox


def test_the_owner_accepts_and_the_entry_is_attributed(
    owner, owner_client, invited, witness_client
):
    witness_client.post(
        reverse("witness:home"), {**approach(), "files": [upload("shop.jpg", jpeg_bytes())]}
    )
    submission = Submission.objects.get()
    timeline = owner_client.get(reverse("diary:timeline")).content.decode()
    assert ' (1<span class="visually-hidden"> new</span>)' in timeline
    inbox = owner_client.get(reverse("witnesses:inbox")).content.decode()
    assert "Pat Jones (neighbour)" in inbox
    response = owner_client.post(reverse("witnesses:accept", args=[submission.pk]))
    entry = Entry.objects.get()
    assert response.url == reverse("diary:entry", args=[entry.pk])
    assert entry.source == "witness"
    assert entry.reported_by == "Pat Jones (neighbour)"
    assert entry.received_at == submission.received_at
    assert entry.current.words_used == submission.words_used
    assert entry.current.behaviours == ["approaching_others"]
    evidence = Evidence.objects.get(entry=entry)
    assert evidence.sha256 == SubmissionFile.objects.get().sha256
    assert Decision.objects.get().entry == entry
    page = owner_client.get(response.url).content.decode()
    assert "Reported by Pat Jones (neighbour)" in page
    assert reverse("witnesses:submission", args=[submission.pk]) in page
    assert "Pat Jones (neighbour)" in owner_client.get(reverse("diary:timeline")).content.decode()
    status = witness_client.get(reverse("witness:receipt", args=[submission.reference]))
    assert "Added to the diary" in status.content.decode()
    assert ledger_verify().ok
    again = owner_client.post(reverse("witnesses:accept", args=[submission.pk]))
    assert again.status_code == 302
    assert Entry.objects.count() == 1


def test_keeping_aside_keeps_it_with_a_private_reason(owner, owner_client, witness_client):
    witness_client.post(reverse("witness:home"), approach())
    submission = Submission.objects.get()
    response = owner_client.post(
        reverse("witnesses:keep_aside", args=[submission.pk]),
        {"reason": "Not about my situation, I think."},
    )
    assert response.url == reverse("witnesses:inbox")
    decision = Decision.objects.get()
    assert decision.outcome == "kept_aside"
    assert not Entry.objects.exists()
    kept = owner_client.get(reverse("witnesses:inbox"), {"status": "kept_aside"}).content.decode()
    assert submission.what_happened[:40] in kept
    seen = witness_client.get(reverse("witness:receipt", args=[submission.reference]))
    text = seen.content.decode()
    assert "Kept aside" in text
    assert "Not about my situation" not in text
    assert LedgerRecord.objects.filter(kind="submission.keep_aside").exists()
    assert ledger_verify().ok


def test_keeping_aside_needs_a_reason(owner_client, witness_client):
    witness_client.post(reverse("witness:home"), approach())
    submission = Submission.objects.get()
    response = owner_client.post(reverse("witnesses:keep_aside", args=[submission.pk]), {})
    assert response.status_code == 400
    assert not Decision.objects.exists()


# What a witness sees


def test_sharing_levels(owner, owner_client, invited, witness_client):
    witness, _ = invited
    private = make_entry(owner, what_happened="Private note about the car")
    marked = make_entry(owner, what_happened="Marked note about the shop")

    def seen():
        return witness_client.get(reverse("witness:home")).content.decode()

    assert "Private note" not in seen() and "Marked note" not in seen()
    owner_client.post(reverse("witnesses:share_toggle", args=[marked.pk]), {"share": "1"})
    owner_client.post(
        reverse("witnesses:contact_sharing", args=[witness.pk]), {"sharing": "marked"}
    )
    page = seen()
    assert "Marked note" in page and "Private note" not in page
    owner_client.post(reverse("witnesses:contact_sharing", args=[witness.pk]), {"sharing": "all"})
    page = seen()
    assert "Marked note" in page and "Private note" in page
    owner_client.post(reverse("witnesses:share_toggle", args=[marked.pk]), {"share": "0"})
    owner_client.post(
        reverse("witnesses:contact_sharing", args=[witness.pk]), {"sharing": "marked"}
    )
    assert "Marked note" not in seen()
    assert private.pk and ledger_verify().ok


def test_another_witness_appears_only_as_a_contact(owner, owner_client, invited, witness_client):
    witness, _ = invited
    _, other_token = invite(owner, name="Zed Secretname", relationship="colleague")
    opened(other_token).post(reverse("witness:home"), approach(what_happened="Zed saw him"))
    submission_accept(submission=Submission.objects.get(), actor=owner)
    witness_sharing_set(witness=witness, actor=owner, sharing="all", sees_photo=False)
    page = witness_client.get(reverse("witness:home")).content.decode()
    assert "Zed saw him" in page
    assert "Reported by a contact" in page
    assert "Secretname" not in page
    assert owner.email not in page


def test_the_brief_photo_is_shown_only_to_chosen_witnesses(
    owner, owner_client, invited, witness_client
):
    witness, _ = invited
    response = owner_client.post(
        reverse("witnesses:brief"),
        {
            "person": "Tall, short grey hair",
            "vehicles": "Grey Ford Focus KX19 ABC",
            "places": "",
            "what_to_record": "",
            "safety": "Do not approach.",
            "photo": upload("him.jpg", jpeg_bytes(exif_time="2026:01:01 10:00:00")),
        },
    )
    assert response.status_code == 302
    page = witness_client.get(reverse("witness:home")).content.decode()
    assert "Tall, short grey hair" in page and "KX19 ABC" in page
    assert reverse("witness:brief_photo") not in page
    assert witness_client.get(reverse("witness:brief_photo")).status_code == 404
    witness_sharing_set(witness=witness, actor=owner, sharing="brief", sees_photo=True)
    assert (
        reverse("witness:brief_photo")
        in witness_client.get(reverse("witness:home")).content.decode()
    )
    photo = witness_client.get(reverse("witness:brief_photo"))
    assert photo.status_code == 200
    assert b"Exif" not in b"".join(photo.streaming_content)
    assert ledger_verify().ok


def test_the_witness_page_reveals_nothing_of_the_owner(owner, invited, witness_client):
    page = witness_client.get(reverse("witness:home")).content.decode()
    assert owner.email not in page
    assert "Pat Jones" not in page
    assert f'href="{reverse("diary:timeline")}"' not in page


def test_a_token_never_reaches_the_logs(owner, caplog):
    import logging

    _, token = invite(owner)
    with caplog.at_level("INFO"):
        opened(token)
        opened_or_not("y" * 43)  # an unknown token is logged as "Not Found"
        logging.getLogger("uvicorn.access").info(
            '%s - "GET /w/%s HTTP/1.1" 302', "127.0.0.1", token
        )
    assert token not in caplog.text
    assert "y" * 43 not in caplog.text
    assert "/w/[link]" in caplog.text


@pytest.mark.parametrize(
    "agent",
    [
        "WhatsApp/2.23.20.0 A",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "TelegramBot (like TwitterBot)",
    ],
)
def test_a_messaging_apps_preview_fetch_is_not_a_device(invited, agent):
    from django.test import Client

    _, token = invited
    response = Client(HTTP_USER_AGENT=agent).get(f"/w/{token}")
    assert response.status_code == 200
    assert "w" not in response.cookies
    assert "Pat" not in response.content.decode()
    assert not WitnessDevice.objects.exists()
    assert Client().head(f"/w/{token}").status_code == 200
    assert not WitnessDevice.objects.exists()
    assert opened(token).get(reverse("witness:home")).status_code == 200
