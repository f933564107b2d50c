"""He knows the password and guesses the second step, moving to a new address whenever
allauth's per-address limit stops him. Wrong codes are counted per account across addresses:
after the cap even the right code is refused until the cool-down, and the access log says so."""

import time_machine
from django.urls import reverse
from django.utils import timezone

from diary import messages
from diary.models import AccessEvent, OwnerSession
from tests.security.conftest import body, browser, sign_in, totp_code

ADDRESSES = ["10.1.0.1", "10.2.0.2", "10.3.0.3", "10.4.0.4"]


def test_one_pending_sign_in_across_four_addresses_is_capped(owner, totp_secret, settings):
    settings.SECOND_STEP_WRONG_CODES = 10
    him = browser(ip=ADDRESSES[0])
    assert sign_in(him, owner.email).url == reverse("mfa_authenticate")
    for guess in range(12):
        # Three guesses from each address: under allauth's 10 a minute per address.
        him.defaults["REMOTE_ADDR"] = ADDRESSES[guess // 3]
        response = him.post(
            reverse("mfa_authenticate"), {"code": totp_code(totp_secret, wrong=True)}
        )
        assert response.status_code == 200
        assert not OwnerSession.objects.filter(user=owner).exists()
        paused = AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.SECOND_STEP_PAUSED)
        assert paused.count() == (1 if guess >= 9 else 0)
        if guess >= 10:
            assert str(messages.SECOND_STEP_PAUSED) in body(response)
    # Even the right code is refused now, from a fifth address.
    him.defaults["REMOTE_ADDR"] = "10.5.0.5"
    response = him.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})
    assert response.status_code == 200
    assert str(messages.SECOND_STEP_PAUSED) in body(response)
    assert not OwnerSession.objects.filter(user=owner).exists()


def test_after_the_cool_down_she_gets_in(owner, totp_secret, settings):
    settings.SECOND_STEP_WRONG_CODES = 3
    him = browser()
    sign_in(him, owner.email)
    for _ in range(3):
        him.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret, wrong=True)})
    assert AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.SECOND_STEP_PAUSED).exists()
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=16)):
        her = browser()
        sign_in(her, owner.email)
        response = her.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})
        assert response.status_code == 302
        assert OwnerSession.objects.filter(user=owner, ended_at__isnull=True).count() == 1
