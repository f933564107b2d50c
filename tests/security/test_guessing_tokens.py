"""He guesses: invite link tokens, and the codes of her second step. Both are limited long
before a guess could succeed, and neither limit touches her or her contacts."""

import secrets
from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from diary.models import OwnerSession
from tests.security.conftest import HER_PHONE, browser, shut_out, sign_in, totp_code
from witnesses.models import WitnessDevice
from witnesses.services.links import witness_invite


def test_guessing_link_tokens_is_stopped_per_address(owner, settings):
    settings.WITNESS_LINK_GUESSES_PER_HOUR = 5
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    him = browser()
    for _ in range(5):
        assert him.get(f"/w/{secrets.token_urlsafe(32)}").status_code == 404
    response = him.get(f"/w/{secrets.token_urlsafe(32)}")
    assert response.status_code == 429
    # Even the right token is refused from his address now, and nothing is opened.
    response = him.get(f"/w/{token}")
    assert response.status_code == 429
    assert "w" not in response.cookies
    assert not WitnessDevice.objects.exists()
    # Pat, elsewhere, is not affected.
    assert browser(agent=HER_PHONE).get(f"/w/{token}").status_code == 302
    assert WitnessDevice.objects.filter(link__witness=witness).count() == 1


def test_guessing_her_second_step_is_stopped(owner, totp_secret):
    him = browser()
    sign_in(him, owner.email)
    for _ in range(10):
        response = him.post(
            reverse("mfa_authenticate"), {"code": totp_code(totp_secret, wrong=True)}
        )
        assert response.status_code == 200
    # The eleventh try is refused unread, even with the right code.
    response = him.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})
    assert response.status_code == 200
    assert "Too many" in response.content.decode()
    assert not OwnerSession.objects.filter(user=owner).exists()
    shut_out(him, owner.sentinel_entry.pk)
    # Codes are capped for the account, not the connection: she, from her own phone, gets in
    # once the pause is over.
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        her = browser(agent=HER_PHONE)
        sign_in(her, owner.email)
        code = totp_code(totp_secret)
        assert her.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert OwnerSession.objects.filter(user=owner).count() == 1
