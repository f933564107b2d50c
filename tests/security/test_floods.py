"""He holds a contact's link (forwarded, or taken from their phone) and floods with it: opens
it hundreds of times, each a new device and a line in her access log that buries the rest, or
adds follow-ups without end. Landings are counted per link and per address, follow-ups per
device and per link, each for an hour; past a limit he gets a calm 429 that says when to try
again, and nothing is written."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models import Sum
from django.urls import reverse

from diary.models import AccessEvent
from tests.security.conftest import browser
from tests.witnesses.factories import device_of, make_submission
from witnesses import messages
from witnesses.models import FollowUp, Submission, WitnessDevice
from witnesses.services.links import witness_invite

# A quarter past the hour: the window turns in 45 minutes.
AT = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(AT, tick=False) as traveller:
        yield traveller


def invite(owner, name="Pat"):
    return witness_invite(diary=owner.diary, actor=owner, name=name, relationship="neighbour")


def landed(owner) -> int:
    """New devices in her access log, counting the times folded into each line."""
    lines = AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.WITNESS_DEVICE)
    return lines.aggregate(total=Sum("count"))["total"] or 0


def assert_refused_kindly(response, message) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(45 * 60)
    assert str(message) in response.content.decode()


def test_landings_past_the_links_limit_make_no_device_and_no_log_line(owner, settings, clock):
    settings.WITNESS_DEVICES_PER_LINK_PER_HOUR = 3
    _, token = invite(owner)
    for _ in range(3):
        assert browser().get(f"/w/{token}").status_code == 302
    assert WitnessDevice.objects.count() == 3
    assert landed(owner) == 3

    for _ in range(5):  # each from an address of its own: the link's count holds them all
        him = browser()
        response = him.get(f"/w/{token}")
        assert_refused_kindly(response, messages.TOO_MANY_LANDINGS)
        assert response["Referrer-Policy"] == "no-referrer"
        assert settings.WITNESS_COOKIE_NAME not in him.cookies
    assert WitnessDevice.objects.count() == 3
    assert landed(owner) == 3

    # Another contact's link is counted apart.
    _, other = invite(owner, name="Sam")
    assert browser().get(f"/w/{other}").status_code == 302
    assert WitnessDevice.objects.count() == 4

    clock.move_to(AT + timedelta(hours=1))
    assert browser().get(f"/w/{token}").status_code == 302
    assert WitnessDevice.objects.count() == 5
    assert landed(owner) == 5


def test_landings_from_one_address_are_counted_across_links(owner, settings, clock):
    settings.WITNESS_DEVICES_PER_ADDRESS_PER_HOUR = 2
    _, first = invite(owner)
    _, second = invite(owner, name="Sam")
    assert browser(ip="10.9.9.9").get(f"/w/{first}").status_code == 302
    assert browser(ip="10.9.9.9").get(f"/w/{second}").status_code == 302

    response = browser(ip="10.9.9.9").get(f"/w/{first}")
    assert_refused_kindly(response, messages.TOO_MANY_LANDINGS)
    assert WitnessDevice.objects.count() == 2
    assert landed(owner) == 2
    # The contact on their own phone, elsewhere, still gets in.
    assert browser(ip="10.1.1.1").get(f"/w/{first}").status_code == 302
    assert WitnessDevice.objects.count() == 3


def test_follow_ups_past_a_devices_limit_are_refused(owner, settings, clock):
    settings.WITNESS_FOLLOW_UPS_PER_DEVICE_PER_HOUR = 2
    _, token = invite(owner)
    him = browser()
    him.get(f"/w/{token}")
    sent = make_submission(device_of(him))
    url = reverse("witness:receipt", args=[sent.reference])
    for number in range(2):
        assert him.post(url, {"text": f"Note {number}"}).status_code == 302
    assert FollowUp.objects.count() == 2

    response = him.post(url, {"text": "One more"})
    assert_refused_kindly(response, messages.TOO_MANY_FOLLOW_UPS)
    assert FollowUp.objects.count() == 2
    api = him.post(
        f"/api/witness/submissions/{sent.reference}/follow-ups/",
        {"text": "And through the API"},
        content_type="application/json",
    )
    assert api.status_code == 429
    assert api["Retry-After"] == str(45 * 60)
    assert api.json() == {"detail": str(messages.TOO_MANY_FOLLOW_UPS)}
    assert FollowUp.objects.count() == 2

    # The contact's own phone, on the same link, is counted apart (its own send: a device adds
    # follow-ups only to what it sent).
    phone = browser()
    phone.get(f"/w/{token}")
    own = reverse("witness:receipt", args=[make_submission(device_of(phone)).reference])
    assert phone.post(own, {"text": "From my phone"}).status_code == 302
    assert FollowUp.objects.count() == 3

    clock.move_to(AT + timedelta(hours=1))
    assert him.post(url, {"text": "An hour later"}).status_code == 302
    assert FollowUp.objects.count() == 4


def test_follow_ups_are_counted_per_link_across_its_devices(owner, settings, clock):
    settings.WITNESS_FOLLOW_UPS_PER_LINK_PER_HOUR = 3
    _, token = invite(owner)
    devices = [browser() for _ in range(4)]
    for device in devices:
        device.get(f"/w/{token}")
    # Each device adds follow-ups only to what it sent itself.
    sent = [make_submission(device_of(device)) for device in devices]
    for device, its_own in zip(devices[:3], sent, strict=False):
        api_url = f"/api/witness/submissions/{its_own.reference}/follow-ups/"
        response = device.post(api_url, {"text": "Noted."}, content_type="application/json")
        assert response.status_code == 201
    assert FollowUp.objects.count() == 3

    last = sent[3]
    response = devices[3].post(reverse("witness:receipt", args=[last.reference]), {"text": "No"})
    assert_refused_kindly(response, messages.TOO_MANY_FOLLOW_UPS)
    assert FollowUp.objects.count() == 3


def test_a_send_past_the_limit_says_when_to_try_again(owner, settings, clock):
    settings.WITNESS_SUBMISSIONS_PER_HOUR = 1
    _, token = invite(owner)
    him = browser()
    him.get(f"/w/{token}")
    api = "/api/witness/submissions/"
    first = him.post(api, {"kind": "saw", "what_happened": "One"}, content_type="application/json")
    assert first.status_code == 201
    second = him.post(api, {"kind": "saw", "what_happened": "Two"}, content_type="application/json")
    assert second.status_code == 429
    assert second["Retry-After"] == str(45 * 60)
    assert Submission.objects.count() == 1
