"""The contact's page on a bad signal (drafts.js): what the page gives the script, and the
server's answers the script tells apart. The script itself runs in the browser journeys
(tests/e2e/test_no_signal.py)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from diary import messages as diary_messages
from tests.factories import jpeg_bytes, upload
from tests.witnesses.factories import make_witness, witness_api_client
from witnesses import messages
from witnesses.models import Submission
from witnesses.services.links import link_revoke

pytestmark = pytest.mark.django_db

HOME = reverse("witness:home")


def hidden_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def fields(**overrides):
    return {
        "kind": "saw",
        "occurred_start": "2026-11-20T09:00",
        "precision": "exact",
        "what_happened": "The grey car again, by the bus stop.",
        **overrides,
    }


@pytest.fixture
def pat(owner):
    witness, token = make_witness(owner)
    return witness, witness_api_client(token)


def test_the_page_marks_its_form_for_drafts_and_carries_the_words(pat):
    _, client = pat
    html = client.get(HOME).content.decode()
    assert re.search(r'<script src="/static/diary/drafts\.js[^"]*" defer></script>', html)
    form = re.search(r"<form [^>]*data-draft=\"witness\"[^>]*>", html).group(0)
    assert 'action="/w/"' in form and 'enctype="multipart/form-data"' in form
    for words in (
        messages.DRAFT_SENDING,
        messages.DRAFT_NO_CONNECTION,
        messages.DRAFT_KEPT,
        messages.DRAFT_SERVER_TROUBLE,
        messages.DRAFT_TRY_LATER,
        messages.DRAFT_RESTORED,
        messages.DRAFT_CHOOSE_FILES_AGAIN,
    ):
        assert str(words) in html


def test_without_javascript_the_draft_words_stay_hidden(pat):
    """The status lines, the note about a draft brought back and the retry button are for the
    script to show; a page without it looks as it did."""
    _, client = pat
    html = client.get(HOME).content.decode()
    for marker in ('data-draft-say="sending"', 'data-draft-say="offline"', "data-draft-retry"):
        tag = re.search(rf"<[a-z]+ [^>]*{marker}[^>]*>", html).group(0)
        assert " hidden" in tag, tag
    note = re.search(r"<div [^>]*data-draft-restored[^>]*>", html).group(0)
    assert " hidden" in note
    assert 'role="status"' in html


def test_the_neutral_page_tells_the_script_to_forget_drafts(owner, pat):
    """However a contact meets the neutral page (an answer to a send, or the live page reloading
    when the link is stopped), the draft kept for a link that ended is forgotten."""
    witness, client = pat
    link_revoke(witness=witness, actor=owner)
    for response in (client.get(HOME), client.post(HOME, fields())):
        html = response.content.decode()
        assert response.status_code == 404
        assert re.search(r'<script src="/static/diary/drafts\.js[^"]*" defer></script>', html)
        assert "data-draft-forget" in html
        assert "data-draft=" not in html


def test_a_retry_from_a_page_shown_again_keeps_the_first_key_and_records_once(pat):
    """The draft brings the first try's key back into a reloaded page, whose own key is new:
    the server takes the older key, and a first try that did arrive is not recorded again."""
    _, client = pat
    first_key = hidden_key(client.get(HOME).content.decode())
    first = client.post(HOME, {**fields(), "idempotency_key": first_key})
    assert first.status_code == 302
    reloaded_key = hidden_key(client.get(HOME).content.decode())
    assert reloaded_key != first_key
    again = client.post(HOME, {**fields(), "idempotency_key": first_key})
    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Submission.objects.count() == 1
    receipt = client.get(again["Location"])
    assert receipt.status_code == 200
    assert Submission.objects.get().reference in receipt.content.decode()


def test_a_retry_with_the_photo_chosen_again_is_the_same_send(pat):
    _, client = pat
    key = hidden_key(client.get(HOME).content.decode())
    photo = jpeg_bytes()

    def send():
        return client.post(
            HOME,
            {**fields(), "idempotency_key": key, "files": [upload("car.jpg", photo)]},
            format="multipart",
        )

    first, again = send(), send()
    assert (first.status_code, again.status_code) == (302, 302)
    assert again["Location"] == first["Location"]
    assert Submission.objects.count() == 1


def test_a_retry_without_the_photo_it_first_had_is_told_and_records_nothing(pat):
    """A reloaded page cannot bring a photo back: sent without it under the first key, the
    server says the form was sent before with other details, and keeps only the first."""
    _, client = pat
    key = hidden_key(client.get(HOME).content.decode())
    client.post(
        HOME,
        {**fields(), "idempotency_key": key, "files": [upload("car.jpg")]},
        format="multipart",
    )
    again = client.post(HOME, {**fields(), "idempotency_key": key}, format="multipart")
    assert again.status_code == 422
    assert str(diary_messages.FORM_SENT_BEFORE_DIFFERENTLY) in again.content.decode()
    assert Submission.objects.count() == 1
    assert Submission.objects.get().files.count() == 1


def test_the_answers_the_script_tells_apart(owner, pat, settings):
    """drafts.js forgets the draft on a redirect to the receipt and on 404 (the link ended),
    marks the key spent on 422, and otherwise shows the page as the server wrote it: the
    form with its errors (400) and the wait page (429) each in a <main>."""
    witness, client = pat
    key = hidden_key(client.get(HOME).content.decode())

    invalid = client.post(HOME, {**fields(what_happened=""), "idempotency_key": key})
    assert invalid.status_code == 400
    assert 'data-draft="witness"' in invalid.content.decode()
    assert hidden_key(invalid.content.decode()) == key, "the form keeps its key for the retry"

    settings.WITNESS_SUBMISSIONS_PER_HOUR = 0
    limited = client.post(HOME, {**fields(), "idempotency_key": key})
    assert limited.status_code == 429
    assert str(messages.TOO_MANY_SENDS) in limited.content.decode()
    assert "<main" in limited.content.decode()
    settings.WITNESS_SUBMISSIONS_PER_HOUR = 30

    received = client.post(HOME, {**fields(), "idempotency_key": key})
    assert received.status_code == 302
    assert received["Location"].startswith("/w/sent/")

    reused = client.post(HOME, {**fields(what_happened="Other words"), "idempotency_key": key})
    assert reused.status_code == 422

    link_revoke(witness=witness, actor=owner)
    ended = client.post(HOME, {**fields(), "idempotency_key": key})
    assert ended.status_code == 404
    assert str(messages.LINK_NOT_ACTIVE) in ended.content.decode()
    assert Submission.objects.count() == 1


def test_the_form_alone_passes_the_csrf_check():
    """The script sends the form as it is (its CSRF token included), with no header of its
    own: that is enough, with CSRF checks on."""
    from tests.factories import OwnerFactory

    owner = OwnerFactory()
    _, token = make_witness(owner)
    client = Client(enforce_csrf_checks=True)
    client.get(f"/w/{token}")
    html = client.get(HOME).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post(
        HOME, {**fields(), "idempotency_key": hidden_key(html), "csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 302
    assert Submission.objects.count() == 1
