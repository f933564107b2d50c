"""Someone who knows the owner: an ex-partner who may know the password, read the e-mail, have
held the phone, or hold a forwarded link. Each scenario is a file; each test reads the
database back after every request instead of trusting a status code."""

import random
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django.urls import reverse

from tests.factories import OwnerFactory, make_entry

PASSWORD = "correct horse battery staple"
SENTINEL = "SENTINEL he followed me from the station at 18:05"
HIS_PHONE = "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 Chrome/126.0 Mobile"
HER_PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Mobile Safari/604"


def an_address() -> str:
    """A fresh address per browser: allauth's per-address limits live in the cache, which
    outlives a single test."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def browser(*, agent: str = HIS_PHONE, ip: str | None = None, **kwargs: Any) -> Client:
    return Client(REMOTE_ADDR=ip or an_address(), HTTP_USER_AGENT=agent, **kwargs)


def sign_in(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def shut_out(client: Client, entry_id: int) -> None:
    """The owner's pages and API give this browser nothing: sign-in redirects and 403s, and
    no word of the diary."""
    for url in (
        reverse("diary:timeline"),
        reverse("diary:entry", args=[entry_id]),
        reverse("diary:exports"),
        reverse("diary:sessions"),
        reverse("diary:access_log"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("account_login")), url
    for url in ("/api/entries/", f"/api/entries/{entry_id}/", "/api/exports/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert SENTINEL not in body(response)


def totp_code(secret: str, *, wrong: bool = False) -> str:
    value = hotp_value(secret, next(yield_hotp_counters_from_time()))
    if wrong:
        value = (value + 1) % 1_000_000
    return format_hotp_value(value)


@pytest.fixture
def owner(db: Any) -> Any:
    owner = OwnerFactory(email="sam@example.com")
    owner.sentinel_entry = make_entry(owner, what_happened=SENTINEL)
    return owner


@pytest.fixture
def totp_secret(owner: Any) -> str:
    """The owner has turned on two-step sign-in: an authenticator app and recovery codes."""
    secret = generate_totp_secret()
    TOTP.activate(owner, secret)
    RecoveryCodes.activate(owner)
    assert Authenticator.objects.filter(user=owner).count() == 2
    return secret
