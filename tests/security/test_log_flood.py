"""Whoever holds a contact's link opens it again and again (300 "new device" lines in 13 s
buried everything else in the access log), or a device keeps visiting all day. Repeats of one
event from one link, device or session fold into one line with a count and the time of the
last one, so what else happened stays on the first page."""

import os
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from time_machine import travel

from diary.models import AccessEvent
from tests.conftest import confirmed
from tests.security.conftest import HER_PHONE, body, browser, sign_in
from witnesses.models import WitnessDevice
from witnesses.services.links import witness_invite

AGENTS = (
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 Chrome/126.0 Mobile",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Mobile Safari/604",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
)


def device_lines(owner):
    return AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.WITNESS_DEVICE)


def test_three_hundred_landings_on_one_link_are_one_line(owner):
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    pat, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    start = timezone.now()
    for n in range(300):  # 13 seconds, a new "device" each time, changing its browser
        with travel(start + timedelta(seconds=n * 13 / 300), tick=False):
            Client(HTTP_USER_AGENT=AGENTS[n % 3]).get(f"/w/{token}")
        # One line for each kind of browser: a flood of them stays a handful of lines.
        assert device_lines(owner).count() <= len(AGENTS)
    lines = {line.browser: line for line in device_lines(owner)}
    assert set(lines) == {"Chrome on Android", "Safari on iPhone", "Firefox on Linux"}
    devices = WitnessDevice.objects.filter(link__witness=pat)
    for browser_name, line in lines.items():
        assert line.count == devices.filter(browser=browser_name).count() > 1
        assert line.detail == "Pat (neighbour)"
        assert line.last_at > line.at
    assert AccessEvent.objects.filter(user=owner).count() <= 2 + len(AGENTS)  # sign-in, invite

    page = body(her.get(reverse("diary:access_log")))
    for line in lines.values():
        assert f"{line.count} times, last at" in page
    assert "Contact invited" in page and "Signed in" in page


def test_a_second_link_and_a_quiet_hour_start_new_lines(owner):
    _, pats = witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")
    _, sams = witness_invite(diary=owner.diary, actor=owner, name="Sam", relationship="friend")
    start = timezone.now()
    with travel(start, tick=False):
        Client().get(f"/w/{pats}")
        Client().get(f"/w/{sams}")
        Client().get(f"/w/{pats}")
    assert sorted(device_lines(owner).values_list("count", flat=True)) == [1, 2]
    with travel(start + timedelta(minutes=61), tick=False):
        Client().get(f"/w/{pats}")
    assert device_lines(owner).count() == 3


def test_a_device_visiting_all_day_is_one_line(owner):
    _, token = witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")
    pat = Client(HTTP_USER_AGENT=AGENTS[1])
    start = timezone.now()
    with travel(start, tick=False):
        pat.get(f"/w/{token}")
    for n in range(1, 21):  # a page every 31 minutes: each one a new visit
        with travel(start + timedelta(minutes=31 * n), tick=False):
            assert pat.get(reverse("witness:home")).status_code == 200
    [visits] = AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.WITNESS_VISIT)
    assert visits.count == 20
    assert visits.last_at - visits.at == timedelta(minutes=31 * 19)


def test_downloading_every_original_is_one_line_a_session(owner):
    """Every file fetched one by one through the API from his session is one line with a
    count; the same from hers is a line of its own."""
    from diary.evidence.services import evidence_attach
    from tests.factories import make_entry, upload

    files = [
        evidence_attach(entry=make_entry(owner), actor=owner, upload=upload(f"{n}.jpg"))
        for n in range(5)
    ]
    her = browser(agent=HER_PHONE, ip="192.0.2.10")
    sign_in(her, owner.email)
    him = browser(ip="198.51.100.23")
    sign_in(him, owner.email)
    confirmed(her), confirmed(him)  # reading originals may ask to confirm it is you first
    for evidence in files:
        assert him.get(f"/api/evidence/{evidence.pk}/original").status_code == 200
    assert her.get(f"/api/evidence/{files[0].pk}/original").status_code == 200
    lines = AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.ORIGINAL_DOWNLOADED)
    by_address = {line.ip: line for line in lines}
    assert set(by_address) == {"192.0.2.10", "198.51.100.23"}
    assert by_address["198.51.100.23"].count == 5
    assert by_address["198.51.100.23"].detail == files[-1].download_name  # the last one
    assert by_address["192.0.2.10"].count == 1


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="many writers at once need PostgreSQL (set DATABASE_URL)",
)
@pytest.mark.django_db(transaction=True)
def test_repeats_at_once_are_all_counted(owner):
    """Many landings at the same moment, from several workers: every one is counted, on
    one line (the fold is a single UPDATE, so none is lost between a read and a write)."""
    from diary.safety.services import access_event_record

    access_event_record(
        user_id=owner.pk, kind=AccessEvent.Kind.WITNESS_DEVICE, detail="Pat", device="link:1"
    )
    writers, per_writer = 8, 10
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write() -> None:
        try:
            start.wait()
            for _ in range(per_writer):
                access_event_record(
                    user_id=owner.pk,
                    kind=AccessEvent.Kind.WITNESS_DEVICE,
                    detail="Pat",
                    device="link:1",
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    [line] = device_lines(owner)
    assert line.count == 1 + writers * per_writer
