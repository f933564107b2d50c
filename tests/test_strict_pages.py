"""Every page works under the strict Content-Security-Policy: no inline script or style, no
event-handler attributes, nothing from another origin; and no page names what the app is for.

Two nets: every template of ours is read, and the pages an owner, a contact and a stranger
reach (allauth's two-step pages included) are rendered and read.
"""

import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import confirmed
from tests.factories import OwnerFactory, make_entry
from witnesses.selectors import witness_actor
from witnesses.services.links import witness_invite
from witnesses.services.submissions import submission_create

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "project/templates", ROOT / "diary/templates", ROOT / "witnesses/templates"]

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//([^/"']+)""", re.IGNORECASE)


def problems(html: str) -> list[str]:
    found = []
    for attributes in SCRIPT_TAG.findall(html):
        # A script runs only from our own files; JSON data blocks do not run at all.
        if "src=" not in attributes and 'type="application/json"' not in attributes:
            found.append(f"inline script: <script{attributes}>")
    if re.search(r"<style\b", html, re.IGNORECASE):
        found.append("a <style> element")
    if STYLE_ATTRIBUTE.search(html):
        found.append(f"a style attribute: {STYLE_ATTRIBUTE.search(html).group(0)[:80]}")
    if HANDLER_ATTRIBUTE.search(html):
        found.append(f"an event handler: {HANDLER_ATTRIBUTE.search(html).group(0)[:80]}")
    quick_exit_host = settings.QUICK_EXIT_URL.split("//", 1)[1].split("/", 1)[0]
    for host in EXTERNAL.findall(html):
        if host not in (quick_exit_host, "testserver"):
            found.append(f"another origin: {host}")
    lower = html.lower()
    for word in ("stalk", "victim", "sightline"):
        if word in lower:
            found.append(f"the word {word!r}")
    return found


# Rendered by WeasyPrint into the bundle's PDF, never served to a browser.
PDF_ONLY = {ROOT / "diary/templates/diary/chronology.html"}


def test_no_template_of_ours_has_inline_script_or_style():
    for folder in TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            if template not in PDF_ONLY:
                assert problems(template.read_text()) == [], template


@pytest.mark.django_db
def test_every_page_people_reach_renders_strict():
    owner = OwnerFactory(notices_seen=False)  # the notes show too
    EmailAddress.objects.get(user=owner, email=owner.email, verified=True, primary=True)
    entry = make_entry(owner)
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    stranger = Client()
    pages = {
        stranger: [
            reverse("account_login"),
            reverse("account_signup"),
            reverse("account_reset_password"),
            f"/w/{'x' * 43}",
            reverse("verify"),
        ],
    }
    contact = Client()
    contact.get(f"/w/{token}")
    sent = submission_create(
        device=witness_actor(contact.cookies[settings.WITNESS_COOKIE_NAME].value),
        content={"kind": "saw", "occurred_start": timezone.now(), "what_happened": "Seen"},
    )
    pages[contact] = [reverse("witness:home"), reverse("witness:receipt", args=[sent.reference])]
    her = Client()
    her.force_login(owner)
    pages[her] = [
        reverse("diary:welcome"),
        reverse("diary:timeline"),
        reverse("diary:capture"),
        reverse("diary:entry_new"),
        reverse("diary:entry", args=[entry.pk]),
        reverse("diary:settings"),
        reverse("diary:sessions"),
        reverse("diary:lockout"),
        reverse("diary:access_log"),
        reverse("diary:exports"),
        reverse("diary:head"),
        reverse("witnesses:contacts"),
        reverse("witnesses:contact", args=[witness.pk]),
        reverse("witnesses:inbox"),
        reverse("account_reauthenticate"),
        "/diary/entries/99999/",
        reverse("account_email"),
        reverse("mfa_index"),
    ]
    responses = []
    for client, urls in pages.items():
        for url in urls:
            responses.append((url, client.get(url)))
    confirmed(her)
    for url in (
        reverse("account_change_password"),
        reverse("diary:person"),
        reverse("witnesses:brief"),
        reverse("mfa_activate_totp"),
        reverse("mfa_add_webauthn"),
    ):
        responses.append((url, her.get(url)))
    TOTP.activate(owner, generate_totp_secret())
    RecoveryCodes.activate(owner)
    confirmed(her)
    for url in (reverse("mfa_index"), reverse("mfa_view_recovery_codes"), reverse("diary:lockout")):
        responses.append((url, her.get(url)))
    two_step = Client()
    two_step.post(
        reverse("account_login"), {"login": owner.email, "password": "correct horse battery staple"}
    )
    responses.append(("mfa_authenticate", two_step.get(reverse("mfa_authenticate"))))

    for url, response in responses:
        assert response.status_code in (200, 404), (url, response.status_code)
        assert problems(response.content.decode()) == [], url
