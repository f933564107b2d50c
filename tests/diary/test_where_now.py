"""An entry's map position on the page: "Use where I am now" (geo.js) fills hidden fields; it is
never typed as numbers. Only the entry form may ask the browser for the location. The script
itself runs in the browser journeys (tests/e2e/test_forms.py)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from diary import messages
from diary.models import Entry
from tests.factories import make_entry

pytestmark = pytest.mark.django_db


def test_the_new_entry_form_has_no_number_fields_for_a_position(owner_client):
    response = owner_client.get(reverse("diary:entry_new"))
    html = response.content.decode()
    for name in ("latitude", "longitude"):
        field = re.search(rf'<input [^>]*name="{name}"[^>]*>', html).group(0)
        assert 'type="hidden"' in field
    assert re.search(r"<button [^>]*data-geo-here[^>]*>Use where I am now</button>", html)
    assert re.search(r'<div class="actions" data-geo-buttons hidden>', html)
    assert str(messages.GEO_NONE) in html
    assert str(messages.GEO_NEEDS_SCRIPT) in html
    assert re.search(r'<script src="/static/diary/geo\.js[^"]*" defer></script>', html)


def test_only_the_entry_forms_may_ask_for_the_location(owner, owner_client):
    entry = make_entry(owner)
    for url in (reverse("diary:entry_new"), reverse("diary:entry_amend", args=[entry.pk])):
        policy = owner_client.get(url)["Permissions-Policy"]
        assert "geolocation=(self)" in policy
        assert "camera=()" in policy and "microphone=()" in policy
    for url in (reverse("diary:timeline"), reverse("diary:capture")):
        assert "geolocation=()" in owner_client.get(url)["Permissions-Policy"]


def test_the_position_the_phone_gave_is_kept(owner, owner_client):
    response = owner_client.post(
        reverse("diary:entry_new"),
        {
            "occurred_start": "2026-11-20T09:00",
            "precision": "exact",
            "what_happened": "He followed me from the station.",
            "latitude": "51.501364",
            "longitude": "-0.141890",
        },
    )
    assert response.status_code == 302
    entry = Entry.objects.get(diary__owner=owner)
    assert (entry.current.latitude, entry.current.longitude) == (
        Decimal("51.501364"),
        Decimal("-0.141890"),
    )


def test_half_a_position_is_refused_in_words(owner, owner_client):
    response = owner_client.post(
        reverse("diary:entry_new"),
        {
            "occurred_start": "2026-11-20T09:00",
            "precision": "exact",
            "what_happened": "He followed me from the station.",
            "latitude": "51.501364",
        },
    )
    assert response.status_code == 200
    assert str(messages.LAT_LONG_TOGETHER) in response.content.decode()
    assert not Entry.objects.filter(diary__owner=owner).exists()


def test_the_amend_form_says_which_position_is_kept_and_carries_it(owner, owner_client):
    entry = make_entry(owner, latitude=Decimal("51.501364"), longitude=Decimal("-0.141890"))
    html = owner_client.get(reverse("diary:entry_amend", args=[entry.pk])).content.decode()
    assert "Map position kept: 51.501364, -0.141890." in html
    assert re.search(r'name="latitude" value="51.501364"', html)
    assert re.search(r"<button [^>]*data-geo-clear>Remove the map position</button>", html)
