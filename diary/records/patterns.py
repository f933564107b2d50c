"""What the diary shows over time: counts by week, by hour and weekday, approaches to other
people, the places seen most often, and a plain summary. Charts are SVG drawn here on the
server (no JavaScript), each with the table it was drawn from as its text alternative."""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from diary.models import Diary, Entry
from diary.models.choices import Behaviour

# Distinguishable colours, in the order of Behaviour.
PALETTE = (
    "#1b6a8c",
    "#d07a1c",
    "#3f8f4f",
    "#a23b72",
    "#6b5ca5",
    "#8c6d1f",
    "#2f9aa6",
    "#c4473a",
    "#5f6b75",
    "#9aa6ad",
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
APPROACHES = Behaviour.APPROACHING_OTHERS
KINDS = tuple(code for code, _label in Behaviour.choices)
MAIN_KIND_RULE = _lazy(
    "Each incident is counted once. An incident of several kinds is counted under the first "
    "of them in the order the entry form lists them."
)


@dataclass(frozen=True)
class Incident:
    when: datetime  # in the owner's zone
    behaviours: tuple[str, ...]
    location: str
    source: str


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    svg: SafeString
    table: Table
    # (label, colour): drawn in HTML beside the SVG, so it wraps on a narrow screen.
    legend: list[tuple[str, str]] = field(default_factory=list)
    # How the chart counts, in plain words, shown under it.
    note: Any = ""


def incidents(entries: QuerySet[Entry], zone: ZoneInfo) -> list[Incident]:
    """One query: the latest version of every entry still in the timeline, earliest first
    (top_places gives a tie to the spelling seen first)."""
    rows = (
        entries.filter(withdrawal__isnull=True)
        .order_by("current_start", "number")
        .values_list(
            "current__occurred_start", "current__behaviours", "current__location", "source"
        )
    )
    return [
        Incident(start.astimezone(zone), tuple(codes or ()), location or "", source)
        for start, codes, location, source in rows
        if start is not None
    ]


def week_of(moment: datetime) -> date:
    return moment.date() - timedelta(days=moment.weekday())


def _weeks(found: list[Incident]) -> list[date]:
    if not found:
        return []
    first, last = min(week_of(i.when) for i in found), max(week_of(i.when) for i in found)
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _svg(width: int, height: int, label: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every text inside is escaped where it is made
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" class="chart">{"".join(body)}</svg>'
    )


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: list[int]


# Bar charts share one frame: a fixed width, so a few weeks get wide bars and a year narrow ones.
# Sized for a phone: the frame is drawn about 300 pixels wide there, and text stays readable.
FRAME_WIDTH, PLOT_LEFT, PLOT_TOP, PLOT_HEIGHT = 420, 30, 10, 140
FONT = 14


def _ticks(top: int) -> list[int]:
    """Up to four whole-number steps from 0 to at least top."""
    step = max(1, -(-top // 4))
    return list(range(0, top + step, step))


def _stacked_bars(weeks: list[date], series: list[Series], label: str) -> SafeString:
    """Bars per week stacked by series, with a y axis and week labels that never overlap.
    Every text is escaped here."""
    totals = [sum(s.values[n] for s in series) for n in range(len(weeks))]
    ticks = _ticks(max(totals, default=0))
    scale = PLOT_HEIGHT / (ticks[-1] or 1)
    plot_width = FRAME_WIDTH - PLOT_LEFT - 10
    slot = plot_width / max(len(weeks), 1)
    bar = max(min(slot * 0.75, 40), 1.5)
    base = PLOT_TOP + PLOT_HEIGHT
    body = []
    for tick in ticks:
        y = base - tick * scale
        body.append(
            f'<line x1="{PLOT_LEFT}" y1="{y:.1f}" x2="{FRAME_WIDTH - 10}" y2="{y:.1f}" '
            f'stroke="{"#888" if tick == 0 else "#e2e2e2"}" stroke-width="1"/>'
            f'<text x="{PLOT_LEFT - 6}" y="{y + 5:.1f}" font-size="{FONT}" text-anchor="end">'
            f"{tick}</text>"
        )
    # A label about every 90 units, always on the first week.
    every = max(1, round(90 / slot))
    for n, week in enumerate(weeks):
        x = PLOT_LEFT + n * slot + (slot - bar) / 2
        y = base
        for one in series:
            value = one.values[n]
            if not value:
                continue
            h = value * scale
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{one.colour}"><title>{escape(date_format(week, "j M Y"))}: {value} '
                f"{escape(one.label)}</title></rect>"
            )
        if n % every == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{base + FONT + 4}" font-size="{FONT}" '
                f'text-anchor="middle">{escape(date_format(week, "j M"))}</text>'
            )
    return _svg(FRAME_WIDTH, base + FONT + 8, label, body)


def _legend(series: list[Series]) -> list[tuple[str, str]]:
    return [(one.label, one.colour) for one in series]


def main_kind(behaviours: tuple[str, ...]) -> str:
    """The kind an incident is counted under: the first of its kinds in the order the entry
    form lists them, or "Other" when none was chosen."""
    for code in KINDS:
        if code in behaviours:
            return code
    return Behaviour.OTHER


def weekly_chart(found: list[Incident]) -> Chart:
    """Incidents per week, each counted once, stacked by its main kind (see main_kind)."""
    labels = dict(Behaviour.choices)
    weeks = _weeks(found)
    counts: dict[date, Counter[str]] = {week: Counter() for week in weeks}
    for incident in found:
        counts[week_of(incident.when)][main_kind(incident.behaviours)] += 1
    used = [code for code in KINDS if any(counts[w][code] for w in weeks)]
    table = Table(
        _("Incidents per week, by main kind"),
        [_("Week of"), *(str(labels[c]) for c in used), _("All incidents")],
    )
    for week in weeks:
        table.rows.append(
            [date_format(week, "j M Y"), *(counts[week][c] for c in used), counts[week].total()]
        )
    series = [
        Series(
            str(labels[code]),
            PALETTE[KINDS.index(code) % len(PALETTE)],
            [counts[week][code] for week in weeks],
        )
        for code in used
    ]
    return Chart(
        _("Incidents per week"),
        _stacked_bars(weeks, series, table.caption),
        table,
        _legend(series),
        note=MAIN_KIND_RULE,
    )


def hour_chart(found: list[Incident]) -> Chart:
    """When things happen: hour of day by day of the week."""
    grid = Counter((i.when.weekday(), i.when.hour) for i in found)
    top = max(grid.values(), default=0) or 1
    table = Table(_("Incidents by day and hour"), [_("Day"), *(f"{h:02d}" for h in range(24))])
    cell, left, topm = 16, 42, 20
    body = []
    for h in range(0, 24, 6):
        body.append(f'<text x="{left + h * cell}" y="{FONT}" font-size="{FONT}">{h:02d}:00</text>')
    for d, day in enumerate(WEEKDAYS):
        table.rows.append([_(day), *(grid[(d, h)] for h in range(24))])
        y = topm + d * cell
        body.append(f'<text x="0" y="{y + 13}" font-size="{FONT}">{escape(_(day))}</text>')
        for h in range(24):
            value = grid[(d, h)]
            shade = 0.08 + 0.92 * value / top if value else 0.0
            body.append(
                f'<rect x="{left + h * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="#1b6a8c" fill-opacity="{shade:.2f}" stroke="#ccc" stroke-width="0.5">'
                f"<title>{escape(_(day))} {h:02d}:00: {value}</title></rect>"
            )
    svg = _svg(left + 24 * cell + 4, topm + 7 * cell + 4, str(table.caption), body)
    return Chart(_("Day and time"), svg, table)


def approaches_chart(found: list[Incident]) -> Chart:
    """Approaches to family, friends, colleagues or neighbours, per week, by who recorded it,
    over the same weeks as the whole diary, so quiet weeks show as gaps."""
    weeks = _weeks(found)
    counts: dict[date, Counter[str]] = {w: Counter() for w in weeks}
    for incident in found:
        if APPROACHES in incident.behaviours:
            counts[week_of(incident.when)][incident.source] += 1
    table = Table(
        _("Approaches to people you know, per week"),
        [_("Week of"), _("You recorded"), _("A contact reported")],
    )
    for week in weeks:
        if counts[week]:
            table.rows.append(
                [
                    date_format(week, "j M Y"),
                    counts[week][Entry.Source.OWNER],
                    counts[week][Entry.Source.WITNESS],
                ]
            )
    series = [
        Series(_("You recorded"), PALETTE[0], [counts[w][Entry.Source.OWNER] for w in weeks]),
        Series(
            _("A contact reported"), PALETTE[1], [counts[w][Entry.Source.WITNESS] for w in weeks]
        ),
    ]
    return Chart(
        _("Approaches to people you know"),
        _stacked_bars(weeks, series, table.caption),
        table,
        _legend(series),
    )


@dataclass(frozen=True)
class Place:
    """One place, however it was written: the spelling used most often, every incident there,
    and each spelling with its own count when there was more than one."""

    name: str
    count: int
    variants: list[tuple[str, int]]


_BRACKETED_TAIL = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")


def place_key(written: str) -> str:
    """What two spellings of one place share: a trailing detail in brackets dropped, case,
    punctuation and spacing ignored. "Outside my flat, Elm Road (front door)" and "outside my
    flat elm road" are one place."""
    text = written.strip()
    while True:
        shorter = _BRACKETED_TAIL.sub("", text)
        if shorter == text or not shorter:
            break
        text = shorter
    text = "".join(" " if unicodedata.category(ch)[0] in "PSZ" else ch for ch in text.casefold())
    return " ".join(text.split())


def top_places(found: list[Incident], limit: int = 10) -> list[Place]:
    spellings: dict[str, Counter[str]] = {}
    for incident in found:
        written = " ".join(incident.location.split())
        key = place_key(written)
        if key:
            spellings.setdefault(key, Counter())[written] += 1
    places = [
        # most_common keeps first-seen order among equals, so a tie goes to the earliest.
        Place(seen.most_common(1)[0][0], seen.total(), seen.most_common() if len(seen) > 1 else [])
        for seen in spellings.values()
    ]
    places.sort(key=lambda place: -place.count)
    return places[:limit]


def summary(found: list[Incident], now: datetime) -> list[str]:
    """A few plain sentences: the last four weeks against the four before, first approach."""
    recent = sum(1 for i in found if now - timedelta(weeks=4) <= i.when <= now)
    before = sum(1 for i in found if now - timedelta(weeks=8) <= i.when < now - timedelta(weeks=4))
    if recent > before:
        trend = _("up from %(before)s in the 4 weeks before") % {"before": before}
    elif recent < before:
        trend = _("down from %(before)s in the 4 weeks before") % {"before": before}
    else:
        trend = _("the same as in the 4 weeks before")
    lines = [
        ngettext("%(n)s incident in all.", "%(n)s incidents in all.", len(found))
        % {"n": len(found)},
        _("%(recent)s incidents in the last 4 weeks, %(trend)s.")
        % {"recent": recent, "trend": trend},
    ]
    approaches = sorted(i.when for i in found if APPROACHES in i.behaviours)
    if approaches:
        lines.append(
            _("First approach to someone you know: %(day)s.")
            % {"day": date_format(approaches[0], "j F Y")}
        )
    return lines


def patterns_for(diary: Diary, now: datetime) -> dict[str, Any]:
    found = incidents(Entry.objects.filter(diary=diary), diary.zone)
    return {
        "count": len(found),
        "charts": [weekly_chart(found), hour_chart(found), approaches_chart(found)],
        "places": top_places(found),
        "summary": summary(found, now.astimezone(diary.zone)) if found else [],
    }
