"""Charts that count what they say: an incident is counted once, under its main kind, and the
bars, the table behind each chart and the summary agree, on the page and in the bundle's PDF."""

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from diary.bundle.services import export_create, unzip_to
from diary.models import Entry
from diary.records.patterns import (
    MAIN_KIND_RULE,
    hour_chart,
    incidents,
    main_kind,
    patterns_for,
    weekly_chart,
)
from tests.factories import make_entry

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def three_kinds_and_one(owner) -> None:
    """Two incidents in the week of 23 November: one of three kinds, one of one."""
    with time_machine.travel(NOW, tick=False):
        make_entry(
            owner,
            behaviours=["threats", "watching", "loitering"],
            occurred_start=timezone.now() - timedelta(days=2),
        )
        make_entry(owner, behaviours=["contact"], occurred_start=timezone.now() - timedelta(days=1))


def test_an_entry_with_three_kinds_counts_as_one_incident(owner):
    with time_machine.travel(NOW, tick=False):
        make_entry(owner, behaviours=["threats", "watching", "loitering"])
    chart = weekly_chart(incidents(Entry.objects.filter(diary=owner.diary), owner.diary.zone))

    assert chart.table.columns == ["Week of", "Loitering", "All incidents"]
    assert chart.table.rows == [["23 Nov 2026", 1, 1]]
    assert chart.svg.count("<rect") == 1
    assert "23 Nov 2026: 1 Loitering" in chart.svg


def test_the_main_kind_is_the_first_in_the_forms_order():
    assert main_kind(("threats", "watching", "loitering")) == "loitering"
    assert main_kind(("items", "contact")) == "contact"
    assert main_kind(()) == "other"


def test_every_chart_counts_an_entry_of_several_kinds_once(owner):
    with time_machine.travel(NOW, tick=False):
        make_entry(owner, behaviours=["approaching_others", "threats", "watching"])
    found = incidents(Entry.objects.filter(diary=owner.diary), owner.diary.zone)
    found_charts = patterns_for(owner.diary, NOW)["charts"]

    assert sum(sum(row[1:]) for row in hour_chart(found).table.rows) == 1
    approaches = found_charts[2].table
    assert sum(sum(row[1:]) for row in approaches.rows) == 1


def bar_values(svg: str) -> list[int]:
    return [int(n) for n in re.findall(r"<title>[^<:]+: (\d+) ", svg)]


def test_the_bars_add_up_to_the_summarys_total_on_the_page(owner, owner_client):
    three_kinds_and_one(owner)
    with time_machine.travel(NOW, tick=False):
        for days in (9, 16, 17):
            make_entry(
                owner,
                behaviours=["watching", "contact"],
                occurred_start=timezone.now() - timedelta(days=days),
            )
        html = owner_client.get(reverse("diary:patterns")).content.decode()

    assert "5 incidents in all." in html
    weekly = html.split('<figure class="chart-figure">')[1]
    assert sum(bar_values(weekly)) == 5
    rows = re.findall(r"<tr><th scope=\"row\">[^<]+</th>(.*?)</tr>", weekly)
    cells = [[int(n) for n in re.findall(r"<td>(\d+)</td>", row)] for row in rows]
    assert sum(row[-1] for row in cells) == 5
    assert all(sum(row[:-1]) == row[-1] for row in cells)
    assert unescape(str(MAIN_KIND_RULE)) in unescape(weekly)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_pdfs_table_matches_the_chart(owner, tmp_path):
    three_kinds_and_one(owner)
    with time_machine.travel(NOW, tick=False):
        export = export_create(diary=owner.diary, actor=owner)
    bundle = unzip_to(export, tmp_path)
    text = subprocess.run(
        [shutil.which("pdftotext"), "-layout", str(bundle / "chronology.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())

    assert "2 incidents in all." in flat
    assert " ".join(str(MAIN_KIND_RULE).split()) in flat
    assert "Incidents per week, by main kind" in flat
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Week of Contact or attempted contact Loitering All incidents" in lines
    assert "23 Nov 2026 1 1 2" in lines
