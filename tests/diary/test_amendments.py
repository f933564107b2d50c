"""Amendments shown as differences (issue 17, point 2): field by field, in words, on the entry
page and in the bundle's schedule of amendments, with long text marked word by word."""

import re
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from diary.bundle.services import export_create, unzip_to
from diary.models import EntryVersion
from diary.records import services
from diary.records.differences import (
    SHOWN,
    FieldChange,
    Words,
    amendments,
    version_differences,
    word_changes,
)
from tests.factories import make_entry

pytestmark = pytest.mark.django_db

WRITTEN = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
AMENDED = datetime(2026, 11, 22, 9, 5, tzinfo=UTC)


def amended_entry(owner, **changes):
    """An entry written on WRITTEN, then amended on AMENDED with `changes`."""
    with time_machine.travel(WRITTEN, tick=False):
        entry = make_entry(
            owner,
            occurred_start=datetime(2026, 11, 20, 19, 0, tzinfo=UTC),
            location="Outside my flat, Elm Road",
            vehicle_registration="AB12 CDE",
            what_happened="A grey car parked across the road and the driver watched the house.",
            behaviours=["watching"],
        )
    with time_machine.travel(AMENDED, tick=False):
        content = {**entry.current.content_values(), **changes}
        services.entry_amend(entry=entry, actor=owner, content=content)
    entry.refresh_from_db()
    return entry


def versions_of(entry):
    return list(EntryVersion.objects.filter(entry=entry).order_by("number"))


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# The pure function


def test_a_changed_registration_is_one_change_before_and_after(owner):
    entry = amended_entry(owner, vehicle_registration="AB12 CDF")
    first, second = versions_of(entry)

    assert version_differences(first, second) == [
        FieldChange("vehicle_registration", "Vehicle registration", "AB12 CDE", "AB12 CDF")
    ]


def test_nothing_is_listed_for_a_version_saved_again_unchanged(owner):
    entry = amended_entry(owner)
    first, second = versions_of(entry)

    assert version_differences(first, second) == []


def test_choices_and_times_are_told_in_words_not_codes(owner, settings):
    settings.TIME_ZONE = "Europe/London"
    entry = amended_entry(
        owner,
        behaviours=["watching", "threats"],
        channel="in_person",
        precision="approximate",
        police_reported=True,
        latitude=Decimal("51.501000"),
        longitude=Decimal("-0.142000"),
    )
    first, second = versions_of(entry)

    changes = {change.field: change for change in version_differences(first, second)}

    assert set(changes) == {"behaviours", "channel", "when", "police_reported", "position"}
    assert changes["behaviours"].label == "What kind of thing"
    assert changes["behaviours"].before == "Watching or spying"
    assert changes["behaviours"].after == "Threats, Watching or spying"
    assert (changes["channel"].label, changes["channel"].before) == ("How", "")
    assert changes["channel"].after == "In person"
    assert changes["channel"].before_shown == "(blank)"
    assert changes["when"].label == "When it happened"
    assert changes["when"].before == "Fri 20 Nov 2026, 19:00"
    assert changes["when"].after == "around Fri 20 Nov 2026, 19:00"
    assert (changes["police_reported"].before, changes["police_reported"].after) == ("No", "Yes")
    assert changes["position"].label == "Map position"
    assert (changes["position"].before, changes["position"].after) == ("", "51.501000, -0.142000")


def test_a_text_change_marks_the_words_taken_out_and_put_in():
    words = word_changes(
        "A grey car parked across the road.", "A blue car parked across the road again."
    )

    assert words == (
        Words("same", "A"),
        Words("removed", "grey"),
        Words("added", "blue"),
        Words("same", "car parked across the"),
        Words("removed", "road."),
        Words("added", "road again."),
    )


def test_a_long_stretch_left_alike_keeps_only_the_words_beside_a_change():
    alike = " ".join(f"w{n}" for n in range(40))

    words = word_changes(f"{alike} red.", f"{alike} green.")

    assert words[0] == Words("same", "… " + " ".join(f"w{n}" for n in range(32, 40)))
    assert words[1:] == (Words("removed", "red."), Words("added", "green."))


def test_every_field_an_owner_writes_is_compared():
    compared = {name for shown in SHOWN for name in shown.sources}

    assert compared == set(EntryVersion.CONTENT_FIELDS)


def test_each_version_is_paired_with_what_it_changed(owner):
    entry = amended_entry(owner, location="Outside my flat, Elm Road (front door)")
    services.entry_amend(
        entry=entry,
        actor=owner,
        content={**entry.current.content_values(), "vehicle_registration": "AB12 CDF"},
    )

    told = amendments(reversed(versions_of(entry)))

    assert [a.version.number for a in told] == [1, 2, 3]
    assert told[0].first and told[0].changes == []
    assert [c.field for c in told[1].changes] == ["location"]
    assert [c.field for c in told[2].changes] == ["vehicle_registration"]


# The entry page


def test_the_entry_page_marks_what_each_version_changed(owner, owner_client):
    entry = amended_entry(
        owner,
        vehicle_registration="AB12 CDF",
        what_happened="A blue car parked across the road and the driver watched the house.",
    )

    response = owner_client.get(reverse("diary:entry", args=[entry.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    versions = html[html.index('id="versions"') :]
    amendment = versions[versions.index('id="version-2"') : versions.index('id="version-1"')]
    shown = text_of(amendment)
    assert "Version 2 · written Sun 22 Nov 2026, 09:05 (latest)" in shown
    assert "Vehicle registration AB12 CDE → AB12 CDF" in shown
    assert '<del><span class="visually-hidden">taken out: </span>grey</del>' in amendment
    assert '<ins><span class="visually-hidden">put in: </span>blue</ins>' in amendment
    # Only what changed: the place and the kind were left alike.
    assert "Elm Road" not in shown and "Watching or spying" not in shown
    # The first version is there in full, folded away.
    first = versions[versions.index('id="version-1"') :]
    assert "As first written" in first and "Elm Road" in first


def test_an_entry_never_amended_has_no_list_of_versions(owner, owner_client):
    entry = make_entry(owner)

    html = owner_client.get(reverse("diary:entry", args=[entry.pk])).content.decode()

    assert 'id="versions"' not in html


# The bundle


def pdf_text(owner, folder) -> str:
    bundle = unzip_to(export_create(diary=owner.diary, actor=owner), folder)
    text = subprocess.run(
        [shutil.which("pdftotext"), str(bundle / "chronology.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return " ".join(text.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_schedule_of_amendments_says_field_by_field_what_changed(owner, tmp_path):
    owner.diary.time_zone = "Europe/London"
    owner.diary.save()
    amended_entry(
        owner,
        vehicle_registration="AB12 CDF",
        what_happened="A blue car parked across the road and the driver watched the house.",
    )

    text = pdf_text(owner, tmp_path / "bundle")

    schedule = text[text.index("Schedule of amendments") :]
    schedule = schedule[: schedule.index("Withdrawn entries")]
    assert "Words taken out are shown [-like this-] and words put in {+like this+}." in schedule
    # Every time with its UTC offset (London is on GMT in November).
    assert "As first written: Fri 20 Nov 2026, 19:00 +00:00: A grey car parked" in schedule
    assert "22 Nov 2026, 09:05 +00:00" in schedule
    assert "Vehicle registration: AB12 CDE → AB12 CDF" in schedule
    assert "What happened: A [-grey-] {+blue+} car parked across the road" in schedule
    # The place was left alike: not listed as a change.
    assert "Where:" not in schedule and "Elm Road" not in schedule
