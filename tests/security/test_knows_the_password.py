"""He knows (or guessed) the password, but not the second step; or he reads her e-mail."""

import re

from django.core import mail
from django.urls import reverse

from diary.models import AccessEvent, OwnerSession
from tests.security.conftest import (
    HER_PHONE,
    SENTINEL,
    body,
    browser,
    shut_out,
    sign_in,
    totp_code,
)


def test_the_password_alone_does_not_sign_him_in(owner, totp_secret):
    him = browser()
    response = sign_in(him, owner.email)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert not OwnerSession.objects.filter(user=owner).exists()
    shut_out(him, owner.sentinel_entry.pk)

    response = him.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret, wrong=True)})
    assert response.status_code == 200
    assert SENTINEL not in body(response)
    assert not OwnerSession.objects.filter(user=owner).exists()
    shut_out(him, owner.sentinel_entry.pk)

    # She sees that someone had her password right and the second step wrong.
    failed = AccessEvent.objects.get(user=owner, kind=AccessEvent.Kind.SECOND_STEP_FAILED)
    assert failed.browser == "Chrome on Android"
    assert not AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.SIGN_IN).exists()


def test_she_gets_in_with_the_password_and_the_code(owner, totp_secret):
    her = browser(agent=HER_PHONE)
    assert sign_in(her, owner.email).url == reverse("mfa_authenticate")
    response = her.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})
    assert response.status_code == 302
    assert SENTINEL in body(her.get(reverse("diary:timeline")))
    assert OwnerSession.objects.get(user=owner).browser == "Safari on iPhone"


def test_reading_her_email_and_resetting_the_password_does_not_sign_him_in(owner, totp_secret):
    her = browser(agent=HER_PHONE)
    her.force_login(owner)
    him = browser()
    him.post(reverse("account_reset_password"), {"email": owner.email})
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link is not None
    form_page = him.get(link.group(1), follow=True)
    new_password = "a different long passphrase"
    response = him.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
    )
    # With the second step on, the link alone changes nothing (test_reset_from_her_mailbox.py).
    assert response.status_code == 200
    owner.refresh_from_db()
    assert not owner.check_password(new_password)
    shut_out(him, owner.sentinel_entry.pk)
    assert sign_in(him, owner.email, new_password).status_code == 200  # wrong password
    shut_out(him, owner.sentinel_entry.pk)
    assert OwnerSession.objects.filter(user=owner, ended_at__isnull=True).count() == 1
    assert not AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.PASSWORD_RESET).exists()
