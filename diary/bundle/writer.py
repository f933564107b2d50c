"""The bundle handed to the police: entries.csv, the original files, manifest.json, ledger.jsonl,
and verify.py to check it all offline (see docs/export-format.md).

The zip is encrypted as it is written (diary.core.filestore), one member at a time, and each
evidence file is decrypted into it in chunks, so neither a large diary's files nor the bundle
are ever all in memory, and no plaintext copy of the bundle touches the disk. The entries are
read a chunk at a time too, once for each member that needs them, and the CSV and the manifest
are written as they are made: a bundle's memory is bounded by a chunk, not by the diary.
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile, ZipInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from diary import messages
from diary.bundle.chronology import chronology_pdf, evidence_of
from diary.core.hashing import GENESIS_HASH, canonical_json, iso
from diary.ledger.services import object_label
from diary.models import (
    Diary,
    Entry,
    EntryVersion,
    Evidence,
    Export,
    ItemVersion,
    LedgerRecord,
)

FORMAT_VERSION = 1


BUNDLE_FILES = Path(__file__).resolve().parent / "offline"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Entries read from the database at a time (with their versions and files) while a bundle is
# written; and bytes of CSV or manifest gathered before each write into the zip.
ENTRIES_CHUNK = 500


WRITE_BYTES = 64 * 1024


CSV_COLUMNS = (
    ("reference", "Reference"),
    ("when", "When (UTC)"),
    ("precision", "How exact"),
    ("until", "Until (UTC)"),
    ("location", "Where"),
    ("behaviours", "Kind"),
    ("channel", "How"),
    ("what_happened", "What happened"),
    ("words_used", "Exact words"),
    ("vehicle", "Vehicle"),
    ("clothing", "What they wore"),
    ("others_present", "Who else was there"),
    ("impact", "Impact"),
    ("police_reported", "Reported to police"),
    ("police_reference", "Police reference"),
    ("police_officer", "Officer"),
    ("recorded_by", "Recorded by"),
    ("received_at", "First received (UTC)"),
    ("versions", "Versions"),
    ("evidence", "Evidence"),
)


def neutralise(value: Any) -> str:
    """A cell a spreadsheet would run as a formula starts with an apostrophe instead."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def entries_for_export(
    diary: Diary,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    behaviours: Iterable[str] = (),
) -> QuerySet[Entry]:
    """The entries a bundle covers: not withdrawn, in the period, of the chosen kinds."""
    entries = (
        Entry.objects.filter(diary=diary, withdrawal__isnull=True)
        .select_related("current")
        .prefetch_related(
            Prefetch("versions", queryset=EntryVersion.objects.order_by("number")),
            Prefetch(
                "evidence",
                queryset=Evidence.objects.order_by("number").prefetch_related("kind_changes"),
            ),
        )
        .order_by("current__occurred_start", "number")
    )
    if since:
        entries = entries.filter(current__occurred_start__gte=since)
    if until:
        entries = entries.filter(current__occurred_start__lte=until)
    kinds = [code for code in behaviours if code]
    if kinds:
        match = Q()
        for code in kinds:
            match |= Q(current__behaviours__contains=f"|{code}|")
        entries = entries.filter(match)
    return entries


def _evidence_cell(evidence: Evidence) -> str:
    """A file's reference and what it is, saying so when the owner corrected the kind."""
    change = evidence.kind_change
    if change is None:
        return f"{evidence.reference} ({evidence.get_kind_display()})"
    was = {"was": change.get_was_display()}
    return f"{evidence.reference} ({change.get_kind_display()}, {messages.FILE_KIND_WAS % was})"


def _csv_row(entry: Entry) -> dict[str, str]:
    v = entry.current
    assert v is not None  # every saved entry has one
    vehicle = " ".join(
        part for part in (v.vehicle_registration, v.vehicle_colour, v.vehicle_make) if part
    )
    row = {
        "reference": entry.reference,
        "when": iso(v.occurred_start),
        "precision": v.precision,
        "until": iso(v.occurred_end) if v.occurred_end else "",
        "location": v.location,
        "behaviours": "; ".join(v.behaviours),
        "channel": v.channel,
        "what_happened": v.what_happened,
        "words_used": v.words_used,
        "vehicle": vehicle,
        "clothing": v.clothing,
        "others_present": v.others_present,
        "impact": v.impact,
        "police_reported": "yes" if v.police_reported else "no",
        "police_reference": v.police_reference,
        "police_officer": v.police_officer,
        "recorded_by": entry.reported_by or "owner",
        "received_at": iso(entry.received_at),
        "versions": str(len(entry.versions.all())),
        "evidence": "; ".join(_evidence_cell(e) for e in entry.evidence.all()),
    }
    return {key: neutralise(value) for key, value in row.items()}


def entries_csv_chunks(entries: Iterable[Entry]) -> Iterator[bytes]:
    # A byte-order mark first, so spreadsheet programs read the text as UTF-8.
    yield "\ufeff".encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for _key, title in CSV_COLUMNS])
    for entry in entries:
        row = _csv_row(entry)
        writer.writerow([row[key] for key, _title in CSV_COLUMNS])
        if buffer.tell() >= WRITE_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def entries_csv(entries: Iterable[Entry]) -> bytes:
    return b"".join(entries_csv_chunks(entries))


def each_entry(entries: QuerySet[Entry]) -> Iterator[Entry]:
    """The entries a chunk at a time, each chunk with its versions and files prefetched."""
    return entries.iterator(chunk_size=ENTRIES_CHUNK)


def ledger_lines(diary: Diary, head_seq: int) -> Iterator[bytes]:
    records = LedgerRecord.objects.filter(diary=diary, seq__lte=head_seq).order_by("seq")
    for record in records.iterator(2_000):
        yield canonical_json({**record.body(), "hash": record.hash}) + b"\n"


class _Bundle:
    """Writes members into the zip and remembers each one's path and SHA-256."""

    def __init__(self, archive: ZipFile) -> None:
        self.archive = archive
        self.files: list[dict[str, Any]] = []

    def add_bytes(self, path: str, data: bytes) -> None:
        self.archive.writestr(path, data, compress_type=ZIP_DEFLATED)
        self.files.append(
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        )

    def add_stream(
        self, path: str, chunks: Iterable[bytes], compress: bool = True, listed: bool = True
    ) -> str:
        info = ZipInfo(path, date_time=timezone.now().timetuple()[:6])
        # Photos and videos are compressed already; storing them saves time for nothing lost.
        info.compress_type = ZIP_DEFLATED if compress else ZIP_STORED
        digest, size = hashlib.sha256(), 0
        with self.archive.open(info, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        if listed:
            self.files.append({"path": path, "sha256": digest.hexdigest(), "size": size})
        return digest.hexdigest()


def _object(obj: Any, reference: str, **extra: Any) -> dict[str, Any]:
    content = obj.ledger_content()
    return {
        "object": object_label(obj),
        "reference": reference,
        "content": content,
        "content_sha256": hashlib.sha256(canonical_json(content)).hexdigest(),
        **extra,
    }


def _objects(diary: Diary, entries: QuerySet[Entry]) -> Iterator[dict[str, Any]]:
    """Every version of every entry and each of their files, then every item version."""
    for entry in each_entry(entries):
        for version in entry.versions.all():
            yield _object(version, f"{entry.reference} v{version.number}")
        for evidence in entry.evidence.all():
            path = f"evidence/{evidence.download_name}"
            yield _object(evidence, evidence.reference, path=path)
            for change in sorted(evidence.kind_changes.all(), key=lambda c: c.pk):
                yield _object(change, f"{evidence.reference} kind")
    items = (
        ItemVersion.objects.filter(item__diary=diary)
        .select_related("item")
        .order_by("item__number", "number")
    )
    for item_version in items.iterator(chunk_size=ENTRIES_CHUNK):
        yield _object(item_version, f"{item_version.item.reference} v{item_version.number}")


def _json(value: Any, indent: int) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    # JSON strings hold no raw line breaks, so every line break is one of the layout's.
    return text.replace("\n", "\n" + " " * indent)


def json_chunks(document: dict[str, Any]) -> Iterator[bytes]:
    """`json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)`, byte for byte,
    written as it is made: a top-level value that is an iterator (not a list or a dict) is
    drawn and written one item at a time, so it is never all in memory."""
    pieces: list[str] = []
    size = 0

    def gathered(text: str) -> Iterator[bytes]:
        nonlocal size
        pieces.append(text)
        size += len(text)
        if size >= WRITE_BYTES:
            yield "".join(pieces).encode()
            pieces.clear()
            size = 0

    if not document:
        yield b"{}"
        return
    for number, key in enumerate(sorted(document)):
        value = document[key]
        yield from gathered(("{\n" if number == 0 else ",\n") + f"  {_json(key, 2)}: ")
        if isinstance(value, Iterator):
            opened = False
            for item in value:
                yield from gathered(("[\n" if not opened else ",\n") + "    " + _json(item, 4))
                opened = True
            yield from gathered("\n  ]" if opened else "[]")
        else:
            yield from gathered(_json(value, 2))
    pieces.append("\n}")
    yield "".join(pieces).encode()


class BundleStream(Protocol):
    """Where a bundle goes: a stream written front to back, as zipfile writes one."""

    def write(self, data: bytes, /) -> int: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


def write_bundle(
    out: BundleStream,
    *,
    diary: Diary,
    entries: QuerySet[Entry],
    head: LedgerRecord | None,
    earlier: Iterable[Export],
    filters: dict[str, Any],
) -> str:
    """Write the whole bundle as a zip into `out`; return the SHA-256 of its manifest."""
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    with ZipFile(out, "w", compression=ZIP_DEFLATED, allowZip64=True) as archive:
        bundle = _Bundle(archive)
        for evidence in evidence_of(entries).iterator(chunk_size=ENTRIES_CHUNK):
            path = f"evidence/{evidence.download_name}"
            bundle.add_stream(path, evidence.original_file.chunks(), compress=False)
        bundle.add_bytes("chronology.pdf", chronology_pdf(diary, entries, head_hash, filters))
        bundle.add_stream("entries.csv", entries_csv_chunks(each_entry(entries)))
        bundle.add_stream("ledger.jsonl", ledger_lines(diary, head_seq))
        for name in ("verify.py", "VERIFY.txt"):
            bundle.add_bytes(name, (BUNDLE_FILES / name).read_bytes())
        references = entries.prefetch_related(None).select_related(None).only("pk", "number")
        manifest = {
            "format_version": FORMAT_VERSION,
            "diary": {"id": diary.pk, "title": diary.title, "time_zone": diary.time_zone},
            "generated_at": iso(timezone.now()),
            "filters": filters,
            "ledger_head": {"seq": head_seq, "hash": head_hash},
            "earlier_exports": [
                {
                    "export": export.number,
                    "created_at": iso(export.created_at),
                    "head_seq": export.head_seq,
                    "head_hash": export.head_hash,
                }
                for export in earlier
            ],
            "entries": (entry.reference for entry in references.iterator(chunk_size=2_000)),
            "objects": _objects(diary, entries),
            "files": bundle.files,
        }
        return bundle.add_stream("manifest.json", json_chunks(manifest), listed=False)
