"""What the diary shows over time: counts by week, by hour and weekday, approaches to other
people, the places seen most often, and a plain summary. Charts are SVG drawn here on the
server (no JavaScript), each with the table it was drawn from as its text alternative."""

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

from diary.choices import Behaviour
from diary.models import Diary, Entry

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


def incidents(entries: QuerySet[Entry], zone: ZoneInfo) -> list[Incident]:
    """One query: the latest version of every entry still in the timeline."""
    rows = entries.filter(withdrawal__isnull=True).values_list(
        "current__occurred_start", "current__behaviours", "current__location", "source"
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


def weekly_chart(found: list[Incident]) -> Chart:
    """Incidents per week, stacked by kind (an entry of two kinds counts in both)."""
    codes = [code for code, _label in Behaviour.choices]
    labels = dict(Behaviour.choices)
    weeks = _weeks(found)
    counts: dict[date, Counter[str]] = {week: Counter() for week in weeks}
    for incident in found:
        counts[week_of(incident.when)].update(incident.behaviours or ("other",))
    used = [code for code in codes if any(counts[w][code] for w in weeks)]
    table = Table(_("Incidents per week, by kind"), [_("Week of"), *(str(labels[c]) for c in used)])
    for week in weeks:
        table.rows.append([date_format(week, "j M Y"), *(counts[week][c] for c in used)])
    top = max((sum(counts[w].values()) for w in weeks), default=0) or 1
    bar, gap, height, left, bottom = 16, 4, 160, 28, 24
    width = left + max(len(weeks), 1) * (bar + gap) + 10
    body = [
        f'<text x="2" y="12" font-size="10">{top}</text>',
        f'<line x1="{left}" y1="{height}" x2="{width}" y2="{height}" stroke="#888"/>',
    ]
    for n, week in enumerate(weeks):
        x, y = left + n * (bar + gap), height
        for code in used:
            value = counts[week][code]
            if not value:
                continue
            h = value * (height - 20) / top
            y -= h
            colour = PALETTE[codes.index(code) % len(PALETTE)]
            body.append(
                f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(date_format(week, 'j M'))}: {value} "
                f"{escape(labels[code])}</title></rect>"
            )
        if n % 4 == 0:
            body.append(
                f'<text x="{x}" y="{height + 14}" font-size="9">'
                f"{escape(date_format(week, 'j M'))}</text>"
            )
    for n, code in enumerate(used):
        lx, ly = left + (n % 2) * 220, height + bottom + 6 + (n // 2) * 14
        body.append(
            f'<rect x="{lx}" y="{ly - 8}" width="9" height="9" '
            f'fill="{PALETTE[codes.index(code) % len(PALETTE)]}"/>'
            f'<text x="{lx + 13}" y="{ly}" font-size="9">{escape(labels[code])}</text>'
        )
    total_height = height + bottom + 10 + ((len(used) + 1) // 2) * 14
    svg = _svg(max(width, 460), total_height, str(table.caption), body)
    return Chart(_("Incidents per week"), svg, table)


def hour_chart(found: list[Incident]) -> Chart:
    """When things happen: hour of day by day of the week."""
    grid = Counter((i.when.weekday(), i.when.hour) for i in found)
    top = max(grid.values(), default=0) or 1
    table = Table(_("Incidents by day and hour"), [_("Day"), *(f"{h:02d}" for h in range(24))])
    cell, left, topm = 17, 34, 14
    body = []
    for h in range(0, 24, 3):
        body.append(f'<text x="{left + h * cell}" y="10" font-size="9">{h:02d}</text>')
    for d, day in enumerate(WEEKDAYS):
        table.rows.append([_(day), *(grid[(d, h)] for h in range(24))])
        y = topm + d * cell
        body.append(f'<text x="0" y="{y + 12}" font-size="9">{escape(_(day))}</text>')
        for h in range(24):
            value = grid[(d, h)]
            shade = 0.08 + 0.92 * value / top if value else 0.0
            body.append(
                f'<rect x="{left + h * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="#1b6a8c" fill-opacity="{shade:.2f}" stroke="#ddd" stroke-width="0.5">'
                f"<title>{escape(_(day))} {h:02d}:00: {value}</title></rect>"
            )
    svg = _svg(left + 24 * cell + 4, topm + 7 * cell + 4, str(table.caption), body)
    return Chart(_("Day and time"), svg, table)


def approaches_chart(found: list[Incident]) -> Chart:
    """Approaches to family, friends, colleagues or neighbours, per week, by who recorded it."""
    approaches = [i for i in found if APPROACHES in i.behaviours]
    weeks = _weeks(approaches)
    table = Table(
        _("Approaches to people you know, per week"),
        [_("Week of"), _("You recorded"), _("A contact reported")],
    )
    counts = {w: Counter() for w in weeks}
    for incident in approaches:
        counts[week_of(incident.when)][incident.source] += 1
    top = max((sum(c.values()) for c in counts.values()), default=0) or 1
    bar, gap, height, left = 16, 4, 100, 28
    body = [f'<text x="2" y="12" font-size="10">{top}</text>']
    for n, week in enumerate(weeks):
        own, theirs = counts[week][Entry.Source.OWNER], counts[week][Entry.Source.WITNESS]
        table.rows.append([date_format(week, "j M Y"), own, theirs])
        x, y = left + n * (bar + gap), height
        for value, colour in ((own, "#1b6a8c"), (theirs, "#d07a1c")):
            if value:
                h = value * (height - 20) / top
                y -= h
                body.append(
                    f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colour}"/>'
                )
        if n % 4 == 0:
            body.append(
                f'<text x="{x}" y="{height + 14}" font-size="9">'
                f"{escape(date_format(week, 'j M'))}</text>"
            )
    body.append(
        f'<rect x="{left}" y="{height + 22}" width="9" height="9" fill="#1b6a8c"/>'
        f'<text x="{left + 13}" y="{height + 30}" font-size="9">{escape(_("You recorded"))}</text>'
        f'<rect x="{left + 140}" y="{height + 22}" width="9" height="9" fill="#d07a1c"/>'
        f'<text x="{left + 153}" y="{height + 30}" font-size="9">'
        f"{escape(_('A contact reported'))}</text>"
    )
    width = max(left + max(len(weeks), 1) * (bar + gap) + 10, 320)
    svg = _svg(width, height + 36, str(table.caption), body)
    return Chart(_("Approaches to people you know"), svg, table)


def top_places(found: list[Incident], limit: int = 10) -> list[tuple[str, int]]:
    seen: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for incident in found:
        place = " ".join(incident.location.split())
        if place:
            key = place.casefold()
            seen[key] += 1
            shown.setdefault(key, place)
    return [(shown[key], count) for key, count in seen.most_common(limit)]


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
        _("%(recent)s incidents in the last 4 weeks, %(trend)s.")
        % {"recent": recent, "trend": trend}
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
