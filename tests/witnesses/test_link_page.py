"""The page that shows a new contact's link once: a message to send with it, and Copy and
Share buttons that share.js shows (the browser journeys press them: tests/e2e/test_forms.py)."""

import html as html_lib
import re

import pytest
from django.urls import reverse

from witnesses import messages
from witnesses.models import Witness

pytestmark = pytest.mark.django_db


def link_page(owner_client, name: str = "Aunt Sue") -> str:
    response = owner_client.post(
        reverse("witnesses:contact_new"),
        {"name": name, "relationship": "family", "sharing": "brief"},
    )
    return owner_client.get(response.url).content.decode()


def test_the_link_page_suggests_a_kind_message_with_their_name(owner_client):
    html = link_page(owner_client)
    message = re.search(r'<textarea id="invite-message"[^>]*>([^<]*)</textarea>', html).group(1)
    assert html_lib.unescape(message) == str(messages.LINK_MESSAGE).format(name="Aunt Sue")
    assert '<label for="invite-message">' in html
    lower = message.lower()
    for word in ("victim", "stalk", "harass", "police", "abuse"):
        assert word not in lower
    assert len(message) < 300


def test_copy_and_share_wait_for_the_script_and_say_what_happened(owner_client):
    html = link_page(owner_client)
    assert re.search(r'<script src="/static/diary/share\.js[^"]*" defer></script>', html)
    buttons = re.search(r"<div class=\"actions\" data-share [^>]*hidden>(.*?)</div>", html, re.S)
    assert buttons, "hidden until share.js shows it: without JavaScript they could do nothing"
    assert "data-share-copy>Copy</button>" in buttons.group(1)
    assert "data-share-send>Share</button>" in buttons.group(1)
    status = re.search(r"<p [^>]*data-share-said[^>]*>", html).group(0)
    assert 'role="status"' in status
    for words in (messages.LINK_COPIED, messages.LINK_SHARED, messages.LINK_COPY_FAILED):
        assert html_lib.escape(str(words)) in status


def test_a_name_with_markup_in_it_stays_text(owner_client):
    html = link_page(owner_client, name="<b>Jo</b> {x}")
    assert "<b>Jo</b>" not in html
    assert "&lt;b&gt;Jo&lt;/b&gt; {x}" in html
    assert Witness.objects.count() == 1
