"""The bundle handed to the police: entries.csv, the original files, manifest.json, ledger.jsonl,
and verify.py to check it all offline (see docs/export-format.md).

The zip is written to a temporary file on disk as it is built, one member at a time, and each
evidence file is copied through in chunks, so a large diary's files are never all in memory.
"""

import csv
import hashlib
import io
import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile, ZipInfo

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils import timezone

from diary import ledger
from diary.chronology import chronology_pdf
from diary.evidence import store_durably
from diary.hashing import GENESIS_HASH, canonical_json, iso
from diary.ledger import object_label
from diary.models import (
    Diary,
    Entry,
    EntryVersion,
    Evidence,
    Export,
    ItemVersion,
    LedgerRecord,
    User,
)

FORMAT_VERSION = 1
BUNDLE_FILES = Path(__file__).resolve().parent / "bundle"
CHUNK = 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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
            Prefetch("evidence", queryset=Evidence.objects.order_by("number")),
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


def _csv_row(entry: Entry) -> dict[str, str]:
    v = entry.current
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
        "evidence": "; ".join(e.reference for e in entry.evidence.all()),
    }
    return {key: neutralise(value) for key, value in row.items()}


def entries_csv(entries: Iterable[Entry]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for _key, title in CSV_COLUMNS])
    for entry in entries:
        row = _csv_row(entry)
        writer.writerow([row[key] for key, _title in CSV_COLUMNS])
    # A byte-order mark, so spreadsheet programs read the text as UTF-8.
    return "\ufeff".encode() + buffer.getvalue().encode()


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

    def add_stream(self, path: str, chunks: Iterable[bytes], compress: bool = True) -> str:
        info = ZipInfo(path, date_time=timezone.now().timetuple()[:6])
        # Photos and videos are compressed already; storing them saves time for nothing lost.
        info.compress_type = ZIP_DEFLATED if compress else ZIP_STORED
        digest, size = hashlib.sha256(), 0
        with self.archive.open(info, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.files.append({"path": path, "sha256": digest.hexdigest(), "size": size})
        return digest.hexdigest()


def _file_chunks(field: Any) -> Iterator[bytes]:
    with field.open("rb") as handle:
        yield from iter(lambda: handle.read(CHUNK), b"")


def _object(obj: Any, reference: str, **extra: Any) -> dict[str, Any]:
    content = obj.ledger_content()
    return {
        "object": object_label(obj),
        "reference": reference,
        "content": content,
        "content_sha256": hashlib.sha256(canonical_json(content)).hexdigest(),
        **extra,
    }


def write_bundle(
    out: IO[bytes],
    *,
    diary: Diary,
    entries: Iterable[Entry],
    head: LedgerRecord | None,
    earlier: Iterable[Export],
    filters: dict[str, Any],
) -> bytes:
    """Write the whole bundle as a zip into `out`; return the manifest's bytes."""
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    entries = list(entries)
    objects: list[dict[str, Any]] = []
    with ZipFile(out, "w", compression=ZIP_DEFLATED, allowZip64=True) as archive:
        bundle = _Bundle(archive)
        for entry in entries:
            for version in entry.versions.all():
                objects.append(_object(version, f"{entry.reference} v{version.number}"))
            for evidence in entry.evidence.all():
                path = f"evidence/{evidence.download_name}"
                bundle.add_stream(path, _file_chunks(evidence.original), compress=False)
                objects.append(_object(evidence, evidence.reference, path=path))
        items = (
            ItemVersion.objects.filter(item__diary=diary)
            .select_related("item")
            .order_by("item__number", "number")
        )
        for version in items:
            objects.append(_object(version, f"{version.item.reference} v{version.number}"))
        bundle.add_bytes("chronology.pdf", chronology_pdf(diary, entries, head_hash, filters))
        bundle.add_bytes("entries.csv", entries_csv(entries))
        bundle.add_stream("ledger.jsonl", ledger_lines(diary, head_seq))
        for name in ("verify.py", "VERIFY.txt"):
            bundle.add_bytes(name, (BUNDLE_FILES / name).read_bytes())
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
            "entries": [entry.reference for entry in entries],
            "objects": objects,
            "files": bundle.files,
        }
        data = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True).encode()
        archive.writestr("manifest.json", data)
    return data


def export_create(
    *,
    diary: Diary,
    actor: User | None,
    since: datetime | None = None,
    until: datetime | None = None,
    behaviours: Iterable[str] = (),
    include_contacts: bool = False,
    include_reasons: bool = False,
) -> Export:
    """Make a bundle, keep it, and record it in the ledger. Witnesses' contact details and the
    reasons for withdrawing or keeping things aside go in only if the owner asks. The diary
    stays locked while the bundle is built, so its ledger head cannot move underneath it."""
    kinds = sorted({code for code in behaviours if code})
    filters = {
        "since": iso(since) if since else None,
        "until": iso(until) if until else None,
        "behaviours": kinds,
        "include_contacts": include_contacts,
        "include_reasons": include_reasons,
    }
    stored = ""
    try:
        with transaction.atomic():
            ledger.lock_diary(diary)
            head = ledger.ledger_head(diary)
            earlier = list(Export.objects.filter(diary=diary).order_by("number"))
            entries = entries_for_export(diary, since=since, until=until, behaviours=kinds)
            with tempfile.TemporaryFile() as out:
                manifest = write_bundle(
                    out, diary=diary, entries=entries, head=head, earlier=earlier, filters=filters
                )
                size = out.tell()
                out.seek(0)
                stored = store_durably(
                    default_storage, f"exports/{diary.pk}/{uuid.uuid4().hex}.zip", File(out)
                )
            number = (Export.objects.filter(diary=diary).aggregate(n=Max("number"))["n"] or 0) + 1
            export = Export(
                diary=diary,
                number=number,
                created_by=actor,
                since=since,
                until=until,
                behaviours=kinds,
                head_seq=head.seq if head else 0,
                head_hash=head.hash if head else GENESIS_HASH,
                manifest_sha256=hashlib.sha256(manifest).hexdigest(),
                size=size,
            )
            export.bundle.name = stored
            export.save()
            ledger.ledger_append(diary=diary, kind=ledger.EXPORT_CREATE, obj=export, actor=actor)
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return export


def unzip_to(export: Export, folder: Path) -> Path:
    """Unpack a bundle (for checking it, in tests and by hand)."""
    with export.bundle.open("rb") as handle, ZipFile(handle) as archive:
        archive.extractall(folder)
    return folder
