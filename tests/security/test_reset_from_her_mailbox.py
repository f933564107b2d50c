"""He reads her e-mail and asks for a password reset. With two-step sign-in on, the link in
her mailbox is not enough to change her password: the new password also wants her code."""

import re

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import mail
from django.urls import reverse

from diary import messages
from diary.models import AccessEvent, OwnerSession
from tests.security.conftest import PASSWORD, body, browser, totp_code

NEW_PASSWORD = "a different long passphrase"


def reset_form_url(client, owner) -> str:
    client.post(reverse("account_reset_password"), {"email": owner.email})
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+)", mail.outbox[-1].body)
    assert link is not None
    page = client.get(link.group(1), follow=True)
    assert page.status_code == 200
    return page.redirect_chain[-1][0] if page.redirect_chain else link.group(1)


def test_the_link_alone_does_not_change_her_password(owner, totp_secret):
    her = browser()
    her.force_login(owner)
    him = browser()
    url = reset_form_url(him, owner)
    page = body(him.get(url))
    assert str(messages.RESET_NEEDS_SECOND_STEP) in page

    response = him.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert str(messages.RESET_SECOND_STEP_MISSING) in body(response)
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert OwnerSession.objects.filter(user=owner, ended_at__isnull=True).count() == 1
    assert not AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.PASSWORD_RESET).exists()

    response = him.post(
        url,
        {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "code": totp_code(totp_secret, wrong=True),
        },
    )
    assert response.status_code == 200
    assert str(messages.RESET_SECOND_STEP_WRONG) in body(response)
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert OwnerSession.objects.filter(user=owner, ended_at__isnull=True).count() == 1


def test_she_resets_with_her_code(owner, totp_secret):
    her = browser()
    url = reset_form_url(her, owner)
    response = her.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "code": totp_code(totp_secret)}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.PASSWORD_RESET).exists()


def test_a_code_left_empty_asks_for_one_and_costs_no_try(owner, totp_secret, settings):
    settings.SECOND_STEP_WRONG_CODES = 3
    her = browser()
    url = reset_form_url(her, owner)
    for _ in range(3):
        response = her.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 200
        assert str(messages.RESET_SECOND_STEP_MISSING) in body(response)
    assert not AccessEvent.objects.filter(
        user=owner, kind=AccessEvent.Kind.SECOND_STEP_PAUSED
    ).exists()
    response = her.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "code": totp_code(totp_secret)}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_she_resets_with_a_recovery_code_when_the_phone_is_lost(owner, totp_secret):
    codes = Authenticator.objects.get(user=owner, type=Authenticator.Type.RECOVERY_CODES)
    recovery_codes = RecoveryCodes(codes).get_unused_codes()
    her = browser()
    url = reset_form_url(her, owner)
    response = her.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "code": recovery_codes[0]}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_without_two_step_the_link_is_enough(owner):
    her = browser()
    url = reset_form_url(her, owner)
    assert str(messages.RESET_NEEDS_SECOND_STEP) not in body(her.get(url))
    response = her.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_a_reset_is_shown_to_her_at_her_next_sign_in(owner):
    him = browser(ip="198.51.100.23")
    url = reset_form_url(him, owner)
    him.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    [line] = AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.PASSWORD_RESET)
    assert line.ip == "198.51.100.23" and line.notice_open

    her = browser()
    her.post(reverse("account_login"), {"login": owner.email, "password": NEW_PASSWORD})
    page = body(her.get(reverse("diary:timeline")))
    assert str(messages.NOTICE_PASSWORD_RESET) in page and "198.51.100.23" in page
    her.post(reverse("diary:access_notice_seen", args=[line.pk]))
    assert str(messages.NOTICE_PASSWORD_RESET) not in body(her.get(reverse("diary:timeline")))
