"""Owner accounts: sign up (which makes the diary), sign in, sign out, password reset."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from diary.models import Diary, LedgerRecord
from tests.conftest import confirm_from_mail, confirmed

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase"


def sign_up(client, **extra):
    return client.post(
        reverse("account_signup"),
        {
            "email": "sam@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "time_zone": "Europe/London",
            **extra,
        },
    )


def test_signing_up_creates_the_owners_one_diary(client):
    response = sign_up(client, time_zone="Europe/Dublin")
    assert response.status_code == 302
    # Not signed in until the address is confirmed: the same page whether or not it had an
    # account (tests/security/test_signup_reveals.py).
    assert response.url == reverse("account_email_verification_sent")
    assert client.get(reverse("diary:timeline")).status_code == 302
    assert confirm_from_mail(client, "sam@example.com").url == reverse("diary:welcome")
    user = get_user_model().objects.get(email="sam@example.com")
    diary = Diary.objects.get(owner=user)
    assert diary.time_zone == "Europe/Dublin"
    assert diary.title == "Notes"
    assert LedgerRecord.objects.get(diary=diary).kind == "diary.create"
    assert client.get(reverse("diary:timeline")).status_code == 200


def test_passwords_are_hashed_with_argon2_outside_tests():
    # The tests swap in a fast hasher; the settings module itself must put argon2 first.
    from project import settings as module

    assert module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_the_sign_up_form_offers_time_zones_defaulting_to_london(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert '<option value="Europe/London" selected>' in page


def test_an_unknown_time_zone_is_refused(client):
    response = sign_up(client, time_zone="Atlantis/Capital")
    assert response.status_code == 200
    assert not get_user_model().objects.exists()
    assert not Diary.objects.exists()


def test_a_weak_password_is_refused(client):
    response = sign_up(client, password1="password", password2="password")
    assert response.status_code == 200
    assert not Diary.objects.exists()


def test_signing_in_and_out(client, owner):
    response = client.post(
        reverse("account_login"),
        {"login": owner.email, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert client.get(reverse("diary:timeline")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("diary:timeline")).status_code == 302


def test_a_wrong_password_does_not_sign_in(client, owner):
    response = client.post(reverse("account_login"), {"login": owner.email, "password": "nope"})
    assert response.status_code == 200
    assert client.get(reverse("diary:timeline")).status_code == 302


def test_password_reset_mail_is_neutral(client, owner):
    response = client.post(reverse("account_reset_password"), {"email": owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    text = (message.subject + message.body).lower()
    for word in ("stalk", "victim", "diary", "sightline"):
        assert word not in text


def test_password_reset_for_an_unknown_address_looks_the_same(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == 302


def assert_neutral(message, *also):
    """Whoever else reads this inbox learns nothing: no word of what the app is for, of the
    diary's title, or of anything in it."""
    text = (message.subject + "\n" + message.body).lower()
    for word in ("stalk", "victim", "diary", "sightline", "harass", "police", *also):
        assert word.lower() not in text, word
    assert len(message.subject) < 60


def test_every_account_email_is_neutral(client, owner, settings):
    from diary.records.services import diary_settings_change

    diary_settings_change(
        diary=owner.diary, actor=owner, title="Evidence about Mark", time_zone="UTC"
    )
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    client.post(reverse("account_reset_password"), {"email": owner.email})  # reset
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})  # unknown
    sign_up(client, email=owner.email)  # already has an account
    sign_up(Client(), email="new@example.com")  # confirm the address
    assert len(mail.outbox) == 4
    subjects = {message.subject for message in mail.outbox}
    assert subjects == {
        "Password Reset Email",
        "Unknown Account",
        # The same subject as a new sign-up's: the inbox does not say an account exists.
        "Please Confirm Your Email Address",
    }
    for message in mail.outbox:
        assert_neutral(message, "Evidence about Mark", "Notes")


def test_no_mail_tells_of_changes_to_the_account(owner, owner_client):
    # A change notice would tell whoever reads the inbox that the account is in use; the
    # owner reads the access log instead.
    confirmed(owner_client)
    new = "another long passphrase"
    response = owner_client.post(
        reverse("account_change_password"),
        {"oldpassword": "correct horse battery staple", "password1": new, "password2": new},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(new)
    assert mail.outbox == []
