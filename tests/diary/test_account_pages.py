"""allauth's pages in the app's own words and layout (project/templates/account, mfa): signing
in, confirming it is you, and setting up a second step, which ends with a clear next step."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django.urls import reverse

from tests.conftest import confirmed

pytestmark = pytest.mark.django_db

ALLAUTH_WORDS = ("Sign In", "Two-Factor Authentication", "Activate", "Authenticator code")


def main_of(response) -> str:
    return re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)


def labelled(html: str, name: str) -> str:
    field = re.search(rf'<input [^>]*name="{name}"[^>]*>', html).group(0)
    field_id = re.search(r'id="([^"]+)"', field).group(1)
    label = re.search(rf'<label for="{field_id}">([^<]+)</label>', html)
    assert label, f"{name} has no label"
    return label.group(1)


def test_the_sign_in_page_speaks_plainly_and_labels_its_fields(anon_client: Client):
    html = main_of(anon_client.get(reverse("account_login")))
    assert "<h1>Sign in</h1>" in html
    assert labelled(html, "login") == "E-mail address"
    assert labelled(html, "password") == "Password"
    assert 'autocomplete="current-password"' in html
    assert re.search(
        r'<p><a href="/accounts/password/reset/">Forgotten your password\?</a></p>', html
    )
    for words in ALLAUTH_WORDS:
        assert words not in html
    assert "placeholder=" not in html, "labels, not placeholders"


def test_a_wrong_password_is_said_plainly_and_keeps_the_address(owner, anon_client):
    response = anon_client.post(
        reverse("account_login"), {"login": owner.email, "password": "not it"}
    )
    html = main_of(response)
    assert response.status_code == 200
    assert 'class="errorlist nonfield"' in html
    assert f'value="{owner.email}"' in html
    assert "_auth_user_id" not in anon_client.session


def test_confirming_it_is_you_asks_for_the_password_in_calm_words(owner_client):
    html = main_of(owner_client.get(reverse("account_reauthenticate")))
    assert "<h1>Please confirm it is you</h1>" in html
    assert labelled(html, "password") == "Your password"
    assert re.search(r"<button type=\"submit\">Confirm</button>", html)


def test_the_second_step_page_says_what_each_way_is(owner_client):
    html = main_of(owner_client.get(reverse("mfa_index")))
    assert "<h1>A second step when you sign in</h1>" in html
    assert "Set up an authenticator app" in html
    assert "Add a passkey or security key" in html
    for words in ALLAUTH_WORDS:
        assert words not in html


def current_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    counter = counters[len(counters) // 2]  # now (the others are the tolerance either side)
    return format_hotp_value(hotp_value(secret, counter))


def test_setting_up_the_app_ends_with_the_codes_and_a_clear_next_step(owner, owner_client):
    confirmed(owner_client)
    page = owner_client.get(reverse("mfa_activate_totp"))
    html = main_of(page)
    assert "<h1>Set up an authenticator app</h1>" in html
    assert labelled(html, "code") == "The 6-digit code from the app"
    assert re.search(
        r'<img class="totp-qr" src="data:image/svg\+xml;base64,[^"]+" alt="[^"]+"', html
    )
    secret = owner_client.session[SECRET_SESSION_KEY]
    assert secret in html, "the key to type in, where the code cannot be scanned"

    done = owner_client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert done.status_code == 302
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()

    codes = owner_client.get(done["Location"])
    html = main_of(codes)
    # (allauth's "it is on" message is added on commit: the browser journey sees it.)
    assert "<h1>Your recovery codes</h1>" in html
    assert re.search(r'<textarea id="recovery_codes" class="codes"', html)
    next_step = re.search(
        r'<section class="note" aria-labelledby="codes-next">(.*?)</section>', html, re.S
    )
    assert next_step, "the set-up ends with what to do next"
    assert f'<form method="post" action="{reverse("diary:welcome")}">' in next_step.group(1)
    assert "Carry on to your diary" in next_step.group(1)

    carry_on = owner_client.post(reverse("diary:welcome"))
    assert carry_on["Location"] == reverse("diary:timeline")


def test_a_wrong_code_leaves_it_off_and_says_so(owner, owner_client):
    confirmed(owner_client)
    owner_client.get(reverse("mfa_activate_totp"))
    response = owner_client.post(reverse("mfa_activate_totp"), {"code": "000000x"})
    assert response.status_code == 200
    assert 'class="errorlist"' in main_of(response)
    assert not Authenticator.objects.filter(user=owner).exists()


def test_turning_it_off_says_what_that_means(owner, owner_client):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(owner, generate_totp_secret())
    confirmed(owner_client)
    html = main_of(owner_client.get(reverse("mfa_deactivate_totp")))
    assert "<h1>Turn off the authenticator app?</h1>" in html
    assert "Anyone who knows your password could get in." in html
    assert re.search(r'<button type="submit" class="danger">Turn it off</button>', html)


def test_the_second_step_at_sign_in_is_one_more_step(owner):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(owner, generate_totp_secret())
    client = Client()
    client.post(
        reverse("account_login"), {"login": owner.email, "password": "correct horse battery staple"}
    )
    html = main_of(client.get(reverse("mfa_authenticate")))
    assert "<h1>One more step</h1>" in html
    assert labelled(html, "code") == "Code"
    assert "Use a passkey or security key" in html
    assert re.search(
        r'<form id="logout-from-stage" method="post" action="/accounts/logout/"'
        r" data-forget-drafts>",
        html,
    )


def test_adding_a_passkey_says_what_it_is_and_labels_its_name(owner_client):
    confirmed(owner_client)
    html = main_of(owner_client.get(reverse("mfa_add_webauthn")))
    assert "<h1>Add a passkey or security key</h1>" in html
    assert labelled(html, "name") == "A name, so you can tell it apart (optional)"
    assert re.search(r'<button type="button" id="mfa_webauthn_add">Add it</button>', html)
    assert 'data-allauth-onload="allauth.webauthn.forms.addForm"' in html
    for words in ("Add Security Key", "Passwordless"):
        assert words not in html


def test_the_list_of_keys_says_when_there_are_none(owner, owner_client):
    confirmed(owner_client)
    response = owner_client.get(reverse("mfa_list_webauthn"))
    if response.status_code != 200:  # allauth sends her to add one first
        assert response.status_code == 302
        return
    html = main_of(response)
    assert "<h1>Passkeys and security keys</h1>" in html
    assert "None added." in html
