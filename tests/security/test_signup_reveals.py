"""He signs up with her address to learn whether she has an account here, then reads her
mailbox. With e-mail verification mandatory (what a real instance should run, README: Safety),
the page, the redirect and the mail's subject are those of a new sign-up, and the mail she gets
says neither "account" nor what the site is."""

import re

from django.core import mail
from django.urls import reverse

from diary.models import User
from tests.security.conftest import body, browser

PASSWORD = "another long passphrase 9"


def sign_up(client, email):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "time_zone": "UTC"},
    )


def test_signing_up_with_her_address_looks_like_a_new_sign_up(owner, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    his = sign_up(browser(), owner.email)
    assert User.objects.filter(email__iexact=owner.email).count() == 1
    assert len(mail.outbox) == 1
    to_her = mail.outbox[0]
    fresh = sign_up(browser(), "someone.new@example.com")
    assert User.objects.filter(email="someone.new@example.com").count() == 1
    assert len(mail.outbox) == 2
    to_new = mail.outbox[1]

    assert his.status_code == fresh.status_code == 302
    assert his.url == fresh.url
    assert "already" not in body(his).lower()
    assert to_her.subject == to_new.subject
    assert to_her.to == [owner.email]
    words = re.sub(r"https?://\S+", "", to_her.body).lower()  # the reset link aside
    for word in ("account", "already", "sign up", "signup", "diary"):
        assert word not in words, word
