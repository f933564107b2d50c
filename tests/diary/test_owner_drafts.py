"""The owner's forms on a bad signal (drafts.js): what the pages give the script, which pages
tell it to forget her drafts, and an amendment sent twice under one key adding one version. The
script itself runs in the browser journeys (tests/e2e/test_no_signal.py)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from diary import messages
from diary.models import EntryVersion
from tests.factories import make_entry
from tests.witnesses.factories import make_witness, witness_api_client

pytestmark = pytest.mark.django_db

DRAFTS_JS = re.compile(r'<script src="/static/diary/drafts\.js[^"]*" defer></script>')
OWNER_WORDS = (
    messages.DRAFT_SAVING,
    messages.DRAFT_NO_CONNECTION,
    messages.DRAFT_KEPT,
    messages.DRAFT_SERVER_TROUBLE,
    messages.DRAFT_TRY_LATER,
    messages.DRAFT_RESTORED,
    messages.DRAFT_CHOOSE_FILES_AGAIN,
    messages.DRAFT_DISCARD,
)


def hidden_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def form_tag(html: str, slot: str) -> str:
    return re.search(rf'<form [^>]*data-draft="{slot}"[^>]*>', html).group(0)


@pytest.mark.parametrize(
    ("page", "slot", "action"),
    [
        ("diary:capture", "owner-capture", "/diary/capture/"),
        ("diary:entry_new", "owner-entry", "/diary/entries/new/"),
    ],
)
def test_the_new_entry_forms_are_marked_for_drafts_and_carry_the_words(
    owner_client: Client, page: str, slot: str, action: str
):
    html = owner_client.get(reverse(page)).content.decode()
    assert DRAFTS_JS.search(html)
    assert f'action="{reverse(page)}"' in form_tag(html, slot)
    for words in OWNER_WORDS:
        assert str(words) in html
    assert "Not sent yet" not in html, "the owner saves; a contact sends"
    assert re.search(r"<button [^>]*data-draft-discard hidden>", html)
    assert hidden_key(html)


def test_the_amend_form_has_a_draft_of_its_own_and_cancel_discards_it(owner, owner_client):
    entry = make_entry(owner)
    html = owner_client.get(reverse("diary:entry_amend", args=[entry.pk])).content.decode()
    form_tag(html, f"owner-amend-{entry.pk}")
    assert re.search(rf'<a href="/diary/entries/{entry.pk}/" data-draft-discard>Cancel</a>', html)
    assert hidden_key(html)


def test_signed_out_pages_tell_the_script_to_forget_her_drafts(owner_client, anon_client):
    signed_in = owner_client.get(reverse("diary:timeline")).content.decode()
    assert DRAFTS_JS.search(signed_in)
    assert "data-signed-out" not in signed_in
    assert re.search(r"<form [^>]*data-sign-out data-forget-drafts>", signed_in)

    signed_out = anon_client.get(reverse("account_login")).content.decode()
    assert DRAFTS_JS.search(signed_out)
    assert re.search(r"<body[^>]* data-signed-out", signed_out)


def test_a_contacts_page_is_not_taken_for_a_signed_out_owner(owner):
    _, token = make_witness(owner)
    html = witness_api_client(token).get(reverse("witness:home")).content.decode()
    assert "data-signed-out" not in html


def test_the_lockout_check_forgets_her_drafts_as_it_goes(owner_client):
    response = owner_client.get(reverse("diary:lockout"))
    if response.status_code == 302:  # it asks for the password first
        pytest.skip("reauthentication first")
    html = response.content.decode()
    assert re.search(r'<form method="post" action="/diary/lockout/" data-forget-drafts>', html)


def amend_fields(entry, key: str, **changes: str) -> dict[str, str]:
    return {
        "idempotency_key": key,
        "occurred_start": "2026-11-20T09:00",
        "precision": "exact",
        "what_happened": "He was at the gate at nine, not ten.",
        "location": entry.current.location,
        **changes,
    }


def test_an_amendment_sent_twice_under_one_key_adds_one_version(owner, owner_client):
    entry = make_entry(owner)
    url = reverse("diary:entry_amend", args=[entry.pk])
    key = hidden_key(owner_client.get(url).content.decode())

    first = owner_client.post(url, amend_fields(entry, key))
    again = owner_client.post(url, amend_fields(entry, key))

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == reverse("diary:entry", args=[entry.pk])
    versions = list(EntryVersion.objects.filter(entry=entry).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].what_happened == "He was at the gate at nine, not ten."
    entry.refresh_from_db()
    assert entry.current_id == versions[1].pk


def test_the_same_key_with_other_words_is_refused_and_adds_nothing(owner, owner_client):
    entry = make_entry(owner)
    url = reverse("diary:entry_amend", args=[entry.pk])
    key = hidden_key(owner_client.get(url).content.decode())
    owner_client.post(url, amend_fields(entry, key))

    other = owner_client.post(url, amend_fields(entry, key, what_happened="Something else."))

    assert other.status_code == 422
    assert str(messages.FORM_SENT_BEFORE_DIFFERENTLY) in other.content.decode()
    assert EntryVersion.objects.filter(entry=entry).count() == 2


def test_an_amendment_without_a_key_still_works_as_before(owner, owner_client):
    entry = make_entry(owner)
    url = reverse("diary:entry_amend", args=[entry.pk])
    response = owner_client.post(url, amend_fields(entry, ""))
    assert response.status_code == 302
    assert EntryVersion.objects.filter(entry=entry).count() == 2


def test_another_owner_cannot_amend_with_a_key(owner, other_client):
    entry = make_entry(owner)
    url = reverse("diary:entry_amend", args=[entry.pk])
    response = other_client.post(url, amend_fields(entry, "a" * 32))
    assert response.status_code == 404
    assert EntryVersion.objects.filter(entry=entry).count() == 1
