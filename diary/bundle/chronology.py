"""chronology.pdf: the diary as a police chronology, rendered by WeasyPrint from a Django
template, in the owner's time zone, with the ledger head and "Page X of Y" in every footer.

WeasyPrint holds a whole document's layout in memory until it writes it: a chronology of
1,000 entries in one document peaked at 430 MB, and 10,000 entries at 2.9 GB. So the
chronology is laid out in parts (the front pages, then a hundred entries at a time, and so on),
each a document of its own written to PDF bytes before the next begins, and the entries are
read from the database a part at a time. The parts are joined with pypdf, and the footers are
stamped on afterwards, once the number of pages is known (docs/performance.md).
"""

import base64
import functools
import hashlib
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from django.db.models import Max, Min, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from diary import messages
from diary.core import signing
from diary.models import Diary, Entry, EntryWithdrawal, Evidence, Item, PersonVersion
from diary.models.choices import Behaviour
from diary.records.patterns import patterns_for
from diary.risk.selectors import latest_checklist
from diary.templatetags.diary_tags import offsets_shown

OFFLINE_VERIFIER = Path(__file__).resolve().parent / "offline" / "verify.py"


@functools.cache
def verifier_sha256() -> str:
    """The SHA-256 of verify.py, on the cover: an examiner compares the copy they hold."""
    return hashlib.sha256(OFFLINE_VERIFIER.read_bytes()).hexdigest()


# Other apps add pages (the witnesses, what was kept aside) without diary importing them:
# each returns HTML for the bundle's diary, given the bundle's filters and choices.
EXTRA_SECTIONS: list[Callable[[Diary, dict[str, Any]], str]] = []

# Rows per part. A part's layout takes about 0.3 MB an entry; a part that ends part-way down a
# page leaves the rest of that page blank, so parts are not made smaller than they need to be.
ENTRIES_PER_PART = 100
EVIDENCE_PER_PART = 400
AMENDED_PER_PART = 40
FOOTERS_PER_PART = 200

T = TypeVar("T")


def register_section(render: Callable[[Diary, dict[str, Any]], str]) -> None:
    if render not in EXTRA_SECTIONS:
        EXTRA_SECTIONS.append(render)


# Other apps add lines to the cover (how many witnesses) the same way: (label, value).
COVER_COUNTS: list[Callable[[Diary], tuple[str, int]]] = []


def register_cover_count(count: Callable[[Diary], tuple[str, int]]) -> None:
    if count not in COVER_COUNTS:
        COVER_COUNTS.append(count)


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def evidence_of(entries: QuerySet[Entry]) -> QuerySet[Evidence]:
    """The files of the bundle's entries, in the order of the entries, then their numbers."""
    return (
        Evidence.objects.filter(entry__in=entries.values("pk"))
        .order_by("entry__current__occurred_start", "entry__number", "number")
        .prefetch_related("kind_changes")
    )


def chronology_context(
    diary: Diary, entries: QuerySet[Entry], head_hash: str, filters: dict[str, Any]
) -> dict[str, Any]:
    """What every part may show: the cover's counts, read without holding every entry, and the
    closing sections."""
    labels = dict(Behaviour.choices)
    counts: Counter[str] = Counter()
    police: set[str] = set()
    entry_count = 0
    rows = entries.prefetch_related(None).values_list(
        "current__behaviours", "current__police_reference"
    )
    for codes, reference in rows.iterator(chunk_size=2_000):
        entry_count += 1
        counts.update(codes)
        if reference:
            police.add(reference)
    now = timezone.now()
    return {
        "diary": diary,
        "entry_count": entry_count,
        "evidence_count": evidence_of(entries).count(),
        "item_count": Item.objects.filter(diary=diary).count(),
        "police_references": sorted(police),
        "behaviour_counts": [
            (labels[code], counts[code]) for code, _ in Behaviour.choices if counts[code]
        ],
        **entries.aggregate(
            first_start=Min("current__occurred_start"), last_start=Max("current__occurred_start")
        ),
        "since": _day(filters.get("since")),
        "until": _day(filters.get("until")),
        "cover_counts": [count(diary) for count in COVER_COUNTS],
        "head_hash": head_hash,
        "signing_fingerprint": signing.grouped(signing.current_key().fingerprint),
        "verifier_sha256": verifier_sha256(),
        "filters": filters,
        "generated_at": now,
        "risk": latest_checklist(diary),
        **{"pattern_" + key: value for key, value in patterns_for(diary, now).items()},
    }


# Where the photo of "About the person" sits in the bundle.
PERSON_PHOTO_PATH = "person/photo.jpg"


def person_rows(person: PersonVersion | None) -> list[tuple[str, str]]:
    """(label, value) for each field of "About the person", as the PDF and person.csv show
    them; nothing when she has not filled it in."""
    if person is None:
        return []
    return [
        ("Name", str(person.name)),
        ("Description", str(person.description)),
        ("Relationship to the owner", person.relationship_label),
        ("Vehicles", str(person.vehicles)),
        ("Known addresses", str(person.addresses)),
        ("Photo", PERSON_PHOTO_PATH if person.photo else ""),
        ("Version", str(person.number)),
        ("Saved (UTC)", f"{person.recorded_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}"),
    ]


def cover_heading(cover: dict[str, str] | None) -> tuple[str, str]:
    """The PDF's heading and the owner's name under it, as she answered at export. The diary's
    own title ("Notes" by default) is for her screens, not for the police: left empty, the
    heading is a neutral "Incident diary", "of <name>" when she gave one."""
    title = (cover or {}).get("title", "").strip()
    name = (cover or {}).get("owner_name", "").strip()
    if title:
        return title, name
    if name:
        return str(messages.BUNDLE_HEADING_OF % {"name": name}), name
    return str(messages.BUNDLE_HEADING), ""


def person_context(person: PersonVersion | None) -> dict[str, Any]:
    """About the person, for the PDF's opening pages: its rows in words, and the photo inline
    (it is re-encoded and at most 1200 pixels a side when saved, so it is small)."""
    if person is None:
        return {"person": None}
    photo = ""
    if person.photo:
        photo = "data:image/jpeg;base64," + base64.b64encode(
            b"".join(person.photo_file.chunks())
        ).decode("ascii")
    shown_apart = ("Photo", "Version", "Saved (UTC)")
    rows = [(label, value) for label, value in person_rows(person) if label not in shown_apart]
    return {"person": person, "person_rows": rows, "person_photo": photo}


def _day(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _parts(
    diary: Diary, entries: QuerySet[Entry], context: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Each part's template context, in the order the pages come; read as they are needed."""
    yield {**context, "part": "front"}
    yield from _table_parts(context, "entries", entries, ENTRIES_PER_PART)
    items = (
        Item.objects.filter(diary=diary)
        .select_related("current", "current__entry")
        .order_by("number")
    )
    yield from _table_parts(
        context, "evidence", evidence_of(entries), EVIDENCE_PER_PART, items=items
    )
    filters = context["filters"]
    yield {
        **context,
        "part": "back",
        "extra_sections": [render(diary, filters) for render in EXTRA_SECTIONS],
    }
    withdrawn = (
        EntryWithdrawal.objects.filter(entry__diary=diary)
        .select_related("entry", "entry__current")
        .order_by("withdrawn_at")
    )
    amended = entries.filter(current__number__gt=1)
    yield from _table_parts(context, "amended", amended, AMENDED_PER_PART, withdrawn=withdrawn)


def _table_parts(
    context: dict[str, Any], part: str, rows: QuerySet[Any], size: int, **last: Any
) -> Iterator[dict[str, Any]]:
    """One part for every `size` rows (one, showing "none", when there are no rows); what
    follows the table goes into the last part."""
    chunks = batches(rows.iterator(chunk_size=size), size)
    chunk = next(chunks, [])
    first = True
    while True:
        following = next(chunks, None)
        yield {
            **context,
            "part": part,
            part: chunk,
            "first": first,
            "last": following is None,
            **(last if following is None else {}),
        }
        if following is None:
            return
        chunk, first = following, False


def chronology_pdf(
    diary: Diary,
    entries: QuerySet[Entry],
    head_hash: str,
    filters: dict[str, Any],
    *,
    cover: dict[str, str] | None = None,
    person: PersonVersion | None = None,
) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    style = CSS(string=render_to_string("diary/chronology.css"), font_config=fonts)

    def pdf_of(context: dict[str, Any]) -> PdfReader:
        html = render_to_string("diary/chronology.html", context)
        data = HTML(string=html).write_pdf(stylesheets=[style], font_config=fonts)
        return PdfReader(io.BytesIO(data))

    writer = PdfWriter()
    # Every time with its UTC offset: the two 01:30s of the night the clocks go back differ.
    with timezone.override(diary.time_zone), offsets_shown():
        heading, owner_name = cover_heading(cover)
        context = {
            **chronology_context(diary, entries, head_hash, filters),
            "heading": heading,
            "owner_name": owner_name,
            "kept_by": messages.BUNDLE_KEPT_BY,
            **person_context(person),
        }
        for part in _parts(diary, entries, context):
            writer.append(pdf_of(part))  # its pages and its bookmarks
        total = len(writer.pages)
        for start in range(0, total, FOOTERS_PER_PART):
            folios = range(start + 1, min(start + FOOTERS_PER_PART, total) + 1)
            footers = pdf_of({**context, "part": "footers", "folios": folios, "total": total})
            for number, footer in enumerate(footers.pages, start=start):
                page = writer.pages[number]
                page.merge_page(footer)
                page.compress_content_streams()
    writer.add_metadata({"/Title": f"{heading} — chronology"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
