"""The patterns page and its charts, drawn on the server from the diary."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from diary.models import Entry
from diary.records.patterns import hour_chart, incidents, patterns_for, top_places, weekly_chart
from tests.factories import make_entry

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def history(owner):
    with time_machine.travel(NOW, tick=False):
        # Two weeks before the last four: two incidents. The last four weeks: four.
        for days, kinds, place in (
            (40, ["watching"], "Elm Road"),
            (38, ["loitering"], "elm road"),
            (20, ["approaching_others"], "Work car park"),
            (10, ["watching", "contact"], "Elm Road"),
            (3, ["contact"], ""),
            (1, ["approaching_others"], "School gates"),
        ):
            make_entry(
                owner,
                behaviours=kinds,
                location=place,
                occurred_start=timezone.now() - timedelta(days=days),
            )
    return owner.diary


def test_the_summary_compares_the_last_four_weeks(history):
    with time_machine.travel(NOW, tick=False):
        found = patterns_for(history, timezone.now())
    assert found["summary"][0] == "6 incidents in all."
    assert (
        found["summary"][1] == "4 incidents in the last 4 weeks, up from 2 in the 4 weeks before."
    )
    assert found["summary"][2] == "First approach to someone you know: 10 June 2026."


def test_places_are_counted_case_blind(history):
    found = incidents(Entry.objects.filter(diary=history), history.zone)
    first = top_places(found)[0]
    assert (first.name, first.count) == ("Elm Road", 3)
    assert first.variants == [("Elm Road", 2), ("elm road", 1)]


def test_weekly_counts_stack_each_incident_once_by_its_main_kind(history):
    found = incidents(Entry.objects.filter(diary=history), history.zone)
    chart = weekly_chart(found)
    assert chart.table.columns[-1] == "All incidents"
    assert sum(row[-1] for row in chart.table.rows) == 6  # six entries, one of two kinds
    assert all(sum(row[1:-1]) == row[-1] for row in chart.table.rows)
    assert "Watching or spying" in chart.table.columns
    assert chart.svg.startswith("<svg") and "<rect" in chart.svg


def test_the_hour_grid_counts_in_the_owners_zone(owner):
    make_entry(owner, occurred_start=datetime(2026, 7, 1, 21, 30, tzinfo=UTC))  # Wed 22:30 BST
    found = incidents(Entry.objects.filter(diary=owner.diary), owner.diary.zone)
    chart = hour_chart(found)
    wednesday = chart.table.rows[2]
    assert wednesday[0] == "Wed" and wednesday[1 + 22] == 1


def test_the_page_shows_charts_with_tables_and_places(
    history, owner_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        page = owner_client.get(reverse("diary:patterns"))
    html = page.content.decode()
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    assert "Show as a table" in html
    assert "Elm Road (3)" in html and "elm road (1)" in html
    assert "<script" not in html.split("<main", 1)[1]


def test_text_in_charts_is_escaped(owner, owner_client):
    make_entry(owner, location="<script>alert(1)</script>")
    html = owner_client.get(reverse("diary:patterns")).content.decode()
    assert "<script>alert(1)" not in html


def test_an_empty_diary_says_so(owner_client):
    html = owner_client.get(reverse("diary:patterns")).content.decode()
    assert "Patterns appear here once" in html
