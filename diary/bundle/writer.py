"""The bundle handed to the police: entries.csv, the original files, manifest.json, ledger.jsonl,
and verify.py and verify.html to check it all offline (see docs/export-format.md).

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
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile, ZipInfo

from django.db.models import Choices, Count, Prefetch, Q, QuerySet
from django.utils import timezone

from diary import messages
from diary.bundle.chronology import (
    PERSON_PHOTO_PATH,
    batches,
    chronology_pdf,
    evidence_of,
    person_rows,
)
from diary.core import signing
from diary.core.hashing import GENESIS_HASH, canonical_json, iso
from diary.jobs.progress import NoProgress, Reports, counted
from diary.ledger.services import object_label
from diary.models import (
    Diary,
    DiarySettingsChange,
    Entry,
    EntryVersion,
    Evidence,
    Export,
    HeadTimestamp,
    Item,
    ItemVersion,
    LedgerRecord,
    MessageImport,
    PersonVersion,
)
from diary.models.choices import Behaviour
from diary.person.selectors import person_latest

FORMAT_VERSION = 2


SIGNATURE_FORMAT = "sightline-signature/1"


BUNDLE_FILES = Path(__file__).resolve().parent / "offline"


# The checkers a bundle carries, and /verify/ offers on their own.
VERIFIERS = ("verify.py", "verify.html")


def verifier_files() -> list[tuple[str, bytes]]:
    """Each checker there is, by name, with the very bytes a bundle carries."""
    return [
        (name, (BUNDLE_FILES / name).read_bytes())
        for name in VERIFIERS
        if (BUNDLE_FILES / name).is_file()
    ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Entries read from the database at a time (with their versions and files) while a bundle is
# written; and bytes of CSV or manifest gathered before each write into the zip.
ENTRIES_CHUNK = 500


WRITE_BYTES = 64 * 1024


CSV_COLUMNS = (
    ("reference", "Reference"),
    ("when_local", "Occurred (local)"),
    ("when", "Occurred (UTC)"),
    ("precision", "How exact"),
    ("until_local", "Until (local)"),
    ("until", "Until (UTC)"),
    ("location", "Where"),
    ("position", "Map position (latitude, longitude)"),
    ("behaviours", "Kind"),
    ("channel", "How"),
    ("what_happened", "What happened"),
    ("words_used", "Exact words"),
    ("vehicle_registration", "Vehicle registration"),
    ("vehicle_make", "Vehicle make and model"),
    ("vehicle_colour", "Vehicle colour"),
    ("clothing", "What they wore"),
    ("others_present", "Who else was there"),
    ("impact", "How it affected them"),
    ("police_reported", "Reported to police"),
    ("police_reference", "Police reference"),
    ("police_officer", "Officer"),
    ("police_said", "What the police said"),
    ("police_action", "Action promised"),
    ("recorded_by", "Recorded by"),
    ("received_at_local", "First received (local)"),
    ("received_at", "First received (UTC)"),
    # What the writer's device said its clock read: its claim, which the server does not check.
    ("device_time_local", "Device clock said (the device's claim, local)"),
    ("device_time", "Device clock said (the device's claim, UTC)"),
    ("versions", "Versions"),
    ("evidence", "Evidence"),
)


# Other apps add columns to entries.csv (a contact's report behind an entry accepted from
# them) without diary importing them: the columns' titles, and a function that gives the
# cells of those columns for a chunk of entries, by entry id, given the bundle's filters.
ExtraCells = Callable[[list[Entry], dict[str, Any]], dict[int, list[str]]]
EXTRA_COLUMNS: list[tuple[tuple[str, ...], ExtraCells]] = []


def register_csv_columns(titles: tuple[str, ...], cells: ExtraCells) -> None:
    if all(cells is not known for _titles, known in EXTRA_COLUMNS):
        EXTRA_COLUMNS.append((titles, cells))


ITEM_CSV_COLUMNS = (
    ("reference", "Reference"),
    ("entry", "Linked entry"),
    ("kind", "What kind"),
    ("description", "What it is"),
    ("found_at_local", "Found or received (local)"),
    ("found_at", "Found or received (UTC)"),
    ("found_where", "Where"),
    ("found_by", "Who found it"),
    ("storage", "How it is kept"),
    ("handling", "How it was handled"),
    ("current_location", "Where it is now"),
    ("police_handed_at_local", "Handed to the police (local)"),
    ("police_handed_at", "Handed to the police (UTC)"),
    ("police_handed_to", "Handed to"),
    ("exhibit_reference", "Exhibit reference"),
    ("versions", "Versions"),
)


def utc_text(value: datetime | None) -> str:
    """A time in UTC to the second, as ISO 8601 writes it: 2026-10-25T00:30:00Z."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_text(value: datetime | None, zone: tzinfo) -> str:
    """A time in the diary's zone to the second, with its offset: 2026-10-25 01:30:00 +01:00
    (the offset tells apart the two 01:30s of the night the clocks go back)."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


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
        .select_related("current", "imported__message_import")
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


def _csv_row(entry: Entry, zone: tzinfo) -> dict[str, str]:
    v = entry.current
    assert v is not None  # every saved entry has one
    position = f"{v.latitude:.6f}, {v.longitude:.6f}" if v.latitude is not None else ""
    row = {
        "reference": entry.reference,
        "when_local": local_text(v.occurred_start, zone),
        "when": utc_text(v.occurred_start),
        "precision": v.get_precision_display(),
        "until_local": local_text(v.occurred_end, zone),
        "until": utc_text(v.occurred_end),
        "location": v.location,
        "position": position,
        "behaviours": "; ".join(choice_labels(Behaviour, v.behaviours)),
        "channel": v.get_channel_display(),
        "what_happened": v.what_happened,
        "words_used": v.words_used,
        "vehicle_registration": v.vehicle_registration,
        "vehicle_make": v.vehicle_make,
        "vehicle_colour": v.vehicle_colour,
        "clothing": v.clothing,
        "others_present": v.others_present,
        "impact": v.impact,
        "police_reported": "Yes" if v.police_reported else "No",
        "police_reference": v.police_reference,
        "police_officer": v.police_officer,
        "police_said": v.police_said,
        "police_action": v.police_action,
        "recorded_by": entry.reported_by or "The owner",
        "received_at_local": local_text(entry.received_at, zone),
        "received_at": utc_text(entry.received_at),
        "device_time_local": local_text(v.device_time, zone),
        "device_time": utc_text(v.device_time),
        "versions": str(len(entry.versions.all())),
        "evidence": "; ".join(evidence_label(e) for e in entry.evidence.all()),
    }
    return {key: neutralise(value) for key, value in row.items()}


def choice_labels(choices: type[Choices], codes: Iterable[str]) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(code, code)) for code in codes]


def evidence_label(evidence: Evidence) -> str:
    """E001 (Photo): the owner's description of it (the kind as she corrected it, if she did)."""
    label = _evidence_cell(evidence)
    return f"{label}: {evidence.description}" if evidence.description else label


def person_csv(person: PersonVersion | None, zone: tzinfo) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Field", "Value"])
    for label, value in person_rows(person):
        if label == "Saved (UTC)" and person is not None:
            # As entries.csv gives every time: in the diary's zone with its offset, then UTC.
            writer.writerow(["Saved (local)", local_text(person.recorded_at, zone)])
            value = utc_text(person.recorded_at)
        writer.writerow([label, neutralise(value)])
    return "\ufeff".encode() + buffer.getvalue().encode()


def _written(rows: Iterator[list[str]], titles: list[str]) -> Iterator[bytes]:
    # A byte-order mark first, so spreadsheet programs read the text as UTF-8.
    yield "\ufeff".encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(titles)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= WRITE_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def entries_csv_chunks(
    entries: Iterable[Entry], *, diary: Diary, filters: dict[str, Any] | None = None
) -> Iterator[bytes]:
    zone = diary.zone
    extras = list(EXTRA_COLUMNS)
    titles = [title for _key, title in CSV_COLUMNS]
    titles += [title for extra_titles, _cells in extras for title in extra_titles]

    def rows() -> Iterator[list[str]]:
        for chunk in batches(entries, ENTRIES_CHUNK):
            extra_cells = [
                (len(extra_titles), cells(chunk, filters or {})) for extra_titles, cells in extras
            ]
            for entry in chunk:
                row = _csv_row(entry, zone)
                cells_out = [row[key] for key, _title in CSV_COLUMNS]
                for width, by_entry in extra_cells:
                    cells_out += [neutralise(c) for c in by_entry.get(entry.pk, [""] * width)]
                yield cells_out

    return _written(rows(), titles)


def entries_csv(
    entries: Iterable[Entry], *, diary: Diary, filters: dict[str, Any] | None = None
) -> bytes:
    return b"".join(entries_csv_chunks(entries, diary=diary, filters=filters))


def items_csv_chunks(diary: Diary) -> Iterator[bytes]:
    """items.csv: the physical items register, one row per item (its latest version)."""
    zone = diary.zone
    items = (
        Item.objects.filter(diary=diary)
        .select_related("current", "current__entry")
        .annotate(version_count=Count("versions"))
        .order_by("number")
    )

    def rows() -> Iterator[list[str]]:
        for item in items.iterator(chunk_size=ENTRIES_CHUNK):
            v = item.current
            assert v is not None  # every saved item has one
            row = {
                "reference": item.reference,
                "entry": v.entry.reference if v.entry else "",
                "kind": v.get_kind_display(),
                "description": v.description,
                "found_at_local": local_text(v.found_at, zone),
                "found_at": utc_text(v.found_at),
                "found_where": v.found_where,
                "found_by": v.found_by,
                "storage": v.get_storage_display(),
                "handling": v.handling,
                "current_location": v.current_location,
                "police_handed_at_local": local_text(v.police_handed_at, zone),
                "police_handed_at": utc_text(v.police_handed_at),
                "police_handed_to": v.police_handed_to,
                "exhibit_reference": v.exhibit_reference,
                "versions": str(item.version_count),
            }
            yield [neutralise(row[key]) for key, _title in ITEM_CSV_COLUMNS]

    return _written(rows(), [title for _key, title in ITEM_CSV_COLUMNS])


def verify_text(files: list[dict[str, Any]]) -> bytes:
    """VERIFY.txt, its examples naming a file that is in this bundle: its first evidence file,
    or entries.csv when it has none (an example naming a missing file would be the first thing
    an officer tried, and it would fail)."""
    paths = [file["path"] for file in files]
    example = next((path for path in paths if path.startswith("evidence/")), "entries.csv")
    text = (BUNDLE_FILES / "VERIFY.txt").read_text()
    text = text.replace("{example_windows}", example.replace("/", "\\"))
    return text.replace("{example}", example).encode()


def each_entry(entries: QuerySet[Entry]) -> Iterator[Entry]:
    """The entries a chunk at a time, each chunk with its versions and files prefetched."""
    return entries.iterator(chunk_size=ENTRIES_CHUNK)


def imports_of(entries: QuerySet[Entry]) -> QuerySet[MessageImport]:
    """The exports the bundle's entries were brought in from, in the order they came."""
    return (
        MessageImport.objects.filter(messages__entry__in=entries.values("pk"))
        .distinct()
        .order_by("number")
    )


def ledger_lines(diary: Diary, head_seq: int, progress: Reports | None = None) -> Iterator[bytes]:
    records = LedgerRecord.objects.filter(diary=diary, seq__lte=head_seq).order_by("seq")
    for record in records.iterator(2_000):
        yield canonical_json({**record.body(), "hash": record.hash}) + b"\n"
        if progress is not None:
            progress.step()


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


def add_timestamps(bundle: _Bundle, diary: Diary) -> list[dict[str, Any]]:
    """Every authority's token for the diary, each authority's root certificate once, and the
    list of them for the manifest. Every one, not only those up to the head: none can be newer
    than the head, which the diary's lock holds still, unless records were cut from the end,
    and then the tokens of the missing records say so."""
    listed: list[dict[str, Any]] = []
    roots_written: set[str] = set()
    tokens = HeadTimestamp.objects.filter(diary=diary).order_by("seq", "pk")
    for number, stamp in enumerate(tokens.iterator(chunk_size=ENTRIES_CHUNK), start=1):
        ca = stamp.ca_pem.encode()
        ca_path = f"timestamps/authorities/{hashlib.sha256(ca).hexdigest()[:16]}.pem"
        if ca_path not in roots_written:
            bundle.add_bytes(ca_path, ca)
            roots_written.add(ca_path)
        path = f"timestamps/{stamp.seq}-{number}.tst"
        bundle.add_bytes(path, bytes(stamp.token))
        listed.append(
            {
                "seq": stamp.seq,
                "hash": stamp.hash,
                "authority": stamp.authority,
                "path": path,
                "ca_path": ca_path,
            }
        )
    return listed


def _object(obj: Any, reference: str, **extra: Any) -> dict[str, Any]:
    content = obj.ledger_content()
    return {
        "object": object_label(obj),
        "reference": reference,
        "content": content,
        "content_sha256": hashlib.sha256(canonical_json(content)).hexdigest(),
        **extra,
    }


def _objects(
    diary: Diary,
    entries: QuerySet[Entry],
    person: PersonVersion | None = None,
    imports: Iterable[MessageImport] = (),
) -> Iterator[dict[str, Any]]:
    """The exports the entries were brought in from, every version of every entry and each of
    their files, then every item version, then "About the person" as the bundle shows it."""
    # The diary as made, and each change to its title and time zone: verify.py checks the zone
    # every local time is printed in against the last of them.
    yield _object(diary, "The diary")
    changes = DiarySettingsChange.objects.filter(diary=diary).order_by("pk")
    for number, setting in enumerate(changes, start=1):
        yield _object(setting, f"Settings change {number}")
    for kept in imports:
        yield _object(kept, kept.reference, path=kept.bundle_path)
    for entry in each_entry(entries):
        for version in entry.versions.all():
            current = {"current": True} if version.pk == entry.current_id else {}
            yield _object(version, f"{entry.reference} v{version.number}", **current)
        imported = (
            getattr(entry, "imported", None) if entry.source == Entry.Source.IMPORTED else None
        )
        if imported is not None:
            yield _object(imported, f"{entry.reference} source")
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
    if person is not None:
        extra = {"photo_path": PERSON_PHOTO_PATH} if person.photo else {}
        yield _object(person, f"About the person v{person.number}", **extra)


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
    cover: dict[str, str] | None = None,
    progress: Reports | None = None,
) -> str:
    """Write the whole bundle as a zip into `out`; return the SHA-256 of its manifest.
    `progress` hears of each stage (files, chronology, entries, ledger) and each step in it."""
    progress = progress or NoProgress()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    person = person_latest(diary)
    with ZipFile(out, "w", compression=ZIP_DEFLATED, allowZip64=True) as archive:
        bundle = _Bundle(archive)
        files = evidence_of(entries)
        progress.stage("files", files.count())
        for evidence in counted(files.iterator(chunk_size=ENTRIES_CHUNK), progress):
            path = f"evidence/{evidence.download_name}"
            bundle.add_stream(path, evidence.original_file.chunks(), compress=False)
        if person is not None and person.photo:
            bundle.add_stream(PERSON_PHOTO_PATH, person.photo_file.chunks(), compress=False)
        # Each export her entries were brought in from, byte for byte.
        imports = list(imports_of(entries))
        for kept in imports:
            zipped = kept.bundle_path.endswith(".zip")
            bundle.add_stream(kept.bundle_path, kept.original_file.chunks(), compress=not zipped)
        progress.stage("chronology", 1)
        pdf = chronology_pdf(diary, entries, head_hash, filters, cover=cover, person=person)
        bundle.add_bytes("chronology.pdf", pdf)
        progress.stage("entries", entries.count())
        rows = counted(each_entry(entries), progress)
        bundle.add_stream("entries.csv", entries_csv_chunks(rows, diary=diary, filters=filters))
        bundle.add_stream("items.csv", items_csv_chunks(diary))
        bundle.add_bytes("person.csv", person_csv(person, diary.zone))
        progress.stage("ledger", head_seq)
        bundle.add_stream("ledger.jsonl", ledger_lines(diary, head_seq, progress))
        timestamps = add_timestamps(bundle, diary)
        # verify.py, and verify.html: the same checks in a browser, for a computer without Python.
        for name, data in verifier_files():
            bundle.add_bytes(name, data)
        bundle.add_bytes("VERIFY.txt", verify_text(bundle.files))
        references = entries.prefetch_related(None).select_related(None).only("pk", "number")
        manifest = {
            "format_version": FORMAT_VERSION,
            "signing_key": signing.current_key().described(),
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
            "timestamps": timestamps,
            "entries": (entry.reference for entry in references.iterator(chunk_size=2_000)),
            "objects": _objects(diary, entries, person, imports),
            "files": bundle.files,
        }
        manifest_sha256 = bundle.add_stream("manifest.json", json_chunks(manifest), listed=False)
        archive.writestr(
            "signature.json", signature_json(manifest_sha256), compress_type=ZIP_DEFLATED
        )
        return manifest_sha256


def signature_json(manifest_sha256: str) -> bytes:
    """signature.json: the instance's Ed25519 signature over a statement naming the manifest by
    its SHA-256, so it covers every byte of manifest.json (and through its hashes every other
    member) while the manifest is still written as a stream, never whole in memory."""
    key = signing.current_key()
    statement = {"format": SIGNATURE_FORMAT, "manifest_sha256": manifest_sha256}
    document = {
        **key.described(),
        **statement,
        "signature": signing.b64(key.sign(canonical_json(statement))),
    }
    return json.dumps(document, indent=2, sort_keys=True).encode() + b"\n"
