"""Pat's link reached him (forwarded, or read off her phone): does he see what she sent?

Every send of hers, under every link, was on the page and in the API for whoever held the link
on any device: what she saw, her files, her phone number for the police and whether she would
give a statement; and he could add follow-ups in her name. Now a device is shown only what was
sent from it; earlier sends from elsewhere are named by date alone, and the number she gave
the police is never shown back, not even to her.
"""

from django.urls import reverse

from tests.factories import upload
from tests.security.conftest import HER_PHONE, body, browser
from witnesses.models import FollowUp, Submission
from witnesses.services.links import witness_invite

WHAT_SHE_SAW = "PAT-SAW him at the school gate at 15:10"
HER_NUMBER = "07700 900123"
FILE_NAME = "gate-photo.jpg"
NOTE = "PAT-NOTE he had a new phone"


def pat_sends_from_her_phone(owner):
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    pat = browser(agent=HER_PHONE)
    assert pat.get(f"/w/{token}").status_code == 302
    response = pat.post(
        reverse("witness:home"),
        {
            "kind": "saw",
            "occurred_start": "2026-11-20T15:10",
            "precision": "exact",
            "what_happened": WHAT_SHE_SAW,
            "statement": "yes",
            "statement_contact": HER_NUMBER,
            "files": [upload(FILE_NAME)],
        },
    )
    assert response.status_code == 302
    sent = Submission.objects.get(witness=witness)
    assert sent.statement_contact == HER_NUMBER and sent.device is not None
    assert (
        pat.post(reverse("witness:receipt", args=[sent.reference]), {"text": NOTE}).status_code
        == 302
    )
    return witness, token, pat, sent


def test_a_new_device_on_her_link_sees_none_of_what_she_sent(owner):
    _, token, _, sent = pat_sends_from_her_phone(owner)
    him = browser()
    assert him.get(f"/w/{token}").status_code == 302

    page = body(him.get(reverse("witness:home")))
    for secret in (WHAT_SHE_SAW, HER_NUMBER, FILE_NAME, NOTE, sent.reference, "Police statement"):
        assert secret not in page, secret
    # Named by date alone.
    assert "Sent from another phone or browser" in page
    assert f'datetime="{sent.received_at.isoformat()}"' in page

    receipt = him.get(reverse("witness:receipt", args=[sent.reference]))
    assert receipt.status_code == 404
    assert WHAT_SHE_SAW not in body(receipt)

    listed = him.get("/api/witness/submissions/")
    assert listed.status_code == 200 and listed.json()["results"] == []
    earlier = him.get("/api/witness/earlier/").json()
    assert earlier == [{"received_at": earlier[0]["received_at"]}]
    for text in (WHAT_SHE_SAW, HER_NUMBER, FILE_NAME, NOTE, sent.reference):
        assert text not in listed.content.decode() + str(earlier)


def test_he_cannot_add_to_what_she_sent(owner):
    _, token, _, sent = pat_sends_from_her_phone(owner)
    him = browser()
    him.get(f"/w/{token}")
    notes = FollowUp.objects.filter(submission=sent).count()
    page = him.post(reverse("witness:receipt", args=[sent.reference]), {"text": "in her name"})
    assert page.status_code == 404
    api = him.post(
        f"/api/witness/submissions/{sent.reference}/follow-ups/", {"text": "in her name"}
    )
    assert api.status_code == 404
    assert FollowUp.objects.filter(submission=sent).count() == notes
    assert "in her name" not in [note.text for note in FollowUp.objects.all()]


def test_her_own_phone_shows_what_she_sent_but_never_her_number(owner):
    _, _, pat, sent = pat_sends_from_her_phone(owner)
    receipt = body(pat.get(reverse("witness:receipt", args=[sent.reference])))
    assert WHAT_SHE_SAW in receipt and NOTE in receipt and FILE_NAME in receipt
    assert HER_NUMBER not in receipt
    assert HER_NUMBER not in body(pat.get(reverse("witness:home")))
    [kept] = pat.get("/api/witness/submissions/").json()["results"]
    assert kept["what_happened"] == WHAT_SHE_SAW
    assert "statement_contact" not in kept
    assert HER_NUMBER not in str(kept)
    # The owner still has it: it is for her and the police.
    assert Submission.objects.get(pk=sent.pk).statement_contact == HER_NUMBER


def test_a_send_through_the_api_does_not_echo_her_number(owner):
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    pat = browser(agent=HER_PHONE)
    pat.get(f"/w/{token}")
    response = pat.post(
        "/api/witness/submissions/",
        {"kind": "saw", "what_happened": WHAT_SHE_SAW, "statement_contact": HER_NUMBER},
    )
    assert response.status_code == 201
    assert HER_NUMBER not in response.content.decode()
    assert Submission.objects.get(witness=witness).statement_contact == HER_NUMBER
