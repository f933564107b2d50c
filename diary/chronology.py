"""chronology.pdf: the diary as a police chronology, rendered by WeasyPrint from a Django
template, in the owner's time zone, with the ledger head in every page footer."""

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from diary.choices import Behaviour
from diary.models import Diary, Entry, EntryWithdrawal, Item
from diary.patterns import patterns_for
from diary.risk import latest_checklist

# Other apps add pages (the witnesses, what was kept aside) without diary importing them:
# each returns HTML for the bundle's diary, given the bundle's filters and choices.
EXTRA_SECTIONS: list[Callable[[Diary, dict[str, Any]], str]] = []


def register_section(render: Callable[[Diary, dict[str, Any]], str]) -> None:
    if render not in EXTRA_SECTIONS:
        EXTRA_SECTIONS.append(render)


# Other apps add lines to the cover (how many witnesses) the same way: (label, value).
COVER_COUNTS: list[Callable[[Diary], tuple[str, int]]] = []


def register_cover_count(count: Callable[[Diary], tuple[str, int]]) -> None:
    if count not in COVER_COUNTS:
        COVER_COUNTS.append(count)


def chronology_context(
    diary: Diary, entries: Sequence[Entry], head_hash: str, filters: dict[str, Any]
) -> dict[str, Any]:
    labels = dict(Behaviour.choices)
    counts = Counter(code for entry in entries for code in entry.current.behaviours)
    evidence = [e for entry in entries for e in entry.evidence.all()]
    amended = [entry for entry in entries if len(entry.versions.all()) > 1]
    withdrawn = (
        EntryWithdrawal.objects.filter(entry__diary=diary)
        .select_related("entry", "entry__current")
        .order_by("withdrawn_at")
    )
    items = (
        Item.objects.filter(diary=diary)
        .select_related("current", "current__entry")
        .order_by("number")
    )
    starts = [entry.current.occurred_start for entry in entries]
    police = sorted(
        {entry.current.police_reference for entry in entries if entry.current.police_reference}
    )
    return {
        "diary": diary,
        "entries": entries,
        "evidence": evidence,
        "amended": amended,
        "withdrawn": withdrawn,
        "items": items,
        "police_references": police,
        "behaviour_counts": [
            (labels[code], counts[code]) for code, _ in Behaviour.choices if counts[code]
        ],
        "first_start": min(starts, default=None),
        "last_start": max(starts, default=None),
        "since": _day(filters.get("since")),
        "until": _day(filters.get("until")),
        "cover_counts": [count(diary) for count in COVER_COUNTS],
        "head_hash": head_hash,
        "filters": filters,
        "generated_at": timezone.now(),
        "extra_sections": [render(diary, filters) for render in EXTRA_SECTIONS],
        "risk": latest_checklist(diary),
        **{"pattern_" + key: value for key, value in patterns_for(diary, timezone.now()).items()},
    }


def _day(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def chronology_pdf(
    diary: Diary, entries: Sequence[Entry], head_hash: str, filters: dict[str, Any]
) -> bytes:
    from weasyprint import HTML

    with timezone.override(diary.time_zone):
        html = render_to_string(
            "diary/chronology.html", chronology_context(diary, entries, head_hash, filters)
        )
    return HTML(string=html).write_pdf()
