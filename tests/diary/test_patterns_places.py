"""Places written in different ways are one place, with each way it was written listed under
it, on the patterns page and in the bundle's PDF."""

import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from diary.bundle.services import export_create, unzip_to
from diary.models import Entry
from diary.records.patterns import incidents, place_key, top_places
from tests.factories import make_entry

pytestmark = pytest.mark.django_db

VARIANTS = (
    "Outside my flat, Elm Road",
    "outside my flat, elm road (front door)",
    "Outside my flat,  Elm Road (through the letterbox)",
    "Outside my flat, Elm Road",
)


@pytest.fixture
def flat(owner):
    for place in VARIANTS:
        make_entry(owner, location=place)
    make_entry(owner, location="Elm Road bus stop")
    return owner


def test_case_punctuation_spacing_and_a_detail_in_brackets_are_ignored():
    keys = {place_key(place) for place in VARIANTS}
    assert keys == {"outside my flat elm road"}
    assert place_key("Outside my flat \u2013 Elm Road!") == "outside my flat elm road"
    assert place_key("Car park [level 2] (by the lift)") == "car park"
    assert place_key("(front door)") == "front door"
    assert place_key("Elm Road bus stop") != place_key("Elm Road")


def test_the_three_variants_are_one_place_with_the_variants_listed(flat):
    places = top_places(incidents(Entry.objects.filter(diary=flat.diary), flat.diary.zone))

    first = places[0]
    assert first.name == "Outside my flat, Elm Road" and first.count == 4
    assert dict(first.variants) == {
        "Outside my flat, Elm Road": 2,
        "outside my flat, elm road (front door)": 1,
        "Outside my flat, Elm Road (through the letterbox)": 1,
    }
    assert (places[1].name, places[1].count, places[1].variants) == ("Elm Road bus stop", 1, [])
    assert len(places) == 2


def test_the_page_lists_the_variants_under_the_place(flat, owner_client):
    html = owner_client.get(reverse("diary:patterns")).content.decode()
    listed = html.split('<ol class="places">', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li>([^<]+)", listed)
    assert [" ".join(item.split()) for item in items] == [
        "Outside my flat, Elm Road (4)",
        "Outside my flat, Elm Road (2)",
        "outside my flat, elm road (front door) (1)",
        "Outside my flat, Elm Road (through the letterbox) (1)",
        "Elm Road bus stop (1)",
    ]
    assert '<ul class="place-variants"' in listed


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_pdf_lists_the_variants_under_the_place(flat, tmp_path):
    bundle = unzip_to(export_create(diary=flat.diary, actor=flat), tmp_path)
    text = subprocess.run(
        [shutil.which("pdftotext"), str(bundle / "chronology.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    start = lines.index("1. Outside my flat, Elm Road (4)")
    assert lines[start + 1 : start + 4] == [
        "◦ Outside my flat, Elm Road (2)",
        "◦ outside my flat, elm road (front door) (1)",
        "◦ Outside my flat, Elm Road (through the letterbox) (1)",
    ]
    assert "2. Elm Road bus stop (1)" in lines[start + 4 :]
