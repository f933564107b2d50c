"""Backup and restore: the whole database, every stored file and each diary's ledger head, in
one file encrypted with a key the operator holds (never SECRET_KEY).

The file is a tar stream, encrypted as it is written in 1 MiB chunks with AES-256-GCM:

    header   b"SIGHTLINE-BACKUP" 0x00 0x01 | key id (16) | nonce prefix (7)
    chunks   length (4, big-endian) | ciphertext with its 16-byte tag, repeated

Each chunk's nonce is the prefix, its number (4 bytes) and a last-chunk flag (1 byte); the
header is the associated data of every chunk. So a changed byte, a chunk moved, dropped or
added, and a file cut short are all found, and nothing is read from a chunk before its tag
checks (the construction is diary.core.sealed's, as for stored files, framed here with each
chunk's length). The key id (a hash of the key) tells a wrong key apart from a damaged file.

Inside, in this order: `backup.json` (format, time, migrations, row counts, ledger heads),
`database.jsonl` (Django's dumpdata in natural order, times to the microsecond: it loads on
SQLite and PostgreSQL alike),
`media/<name>` for every stored file a row names, exactly as kept at rest, and `files.json`
(each file's size and SHA-256). Restore reads the whole file once to check it before changing
anything, then loads it in one transaction that also writes the files and runs the full ledger
check; any failure rolls the database back and removes the files it wrote.
"""

import base64
import binascii
import hashlib
import json
import os
import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from diary.core.crypto import DecryptionError
from diary.core.sealed import SealedReader, SealedWriter, Sealer, read_exact
from diary.core.snapshot import read_snapshot
from diary.evidence.inventory import discard_stored, open_stored, referenced_files, restore_stored
from diary.jobs.progress import NoProgress, Reports, counted
from diary.ledger.verify import ledger_verify
from diary.models import LedgerRecord

MAGIC = b"SIGHTLINE-BACKUP\x00\x01"
KEY_ID_BYTES = 16
NONCE_PREFIX_BYTES = 7
HEADER_BYTES = len(MAGIC) + KEY_ID_BYTES + NONCE_PREFIX_BYTES
CHUNK = 1024 * 1024
FORMAT = 1
# Made again by `migrate` on the instance restored into, or not worth restoring (sessions).
# Jobs (and the task framework's rows) are work under way on this instance, not its data: a
# restored instance starts with none.
NOT_BACKED_UP = (
    "contenttypes",
    "auth.permission",
    "sessions",
    "diary.job",
    "django_tasks_database",
)


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why, for the operator."""


class WrongKey(BackupError):
    pass


class Damaged(BackupError):
    pass


# The key


def parse_key(raw: bytes | str) -> bytes:
    """A 256-bit key, written as 64 hex characters or base64, or as 32 raw bytes."""
    data = raw.encode() if isinstance(raw, str) else raw
    text = data.strip()
    for decode in (bytes.fromhex, base64.b64decode, base64.urlsafe_b64decode):
        try:
            key = decode(text.decode("ascii"))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            continue
        if len(key) == 32:
            return key
    if len(data) == 32:
        return data
    raise BackupError(
        "The backup key must be 32 random bytes, written as 64 hex characters "
        "(make one with `python manage.py backup --make-key FILE`)."
    )


def load_key(key_file: str | None) -> bytes:
    if key_file:
        try:
            return parse_key(Path(key_file).read_bytes())
        except OSError as error:
            raise BackupError(f"Cannot read the key file: {error.strerror}.") from None
    configured = getattr(settings, "BACKUP_KEY", "")
    if not configured:
        raise BackupError("Give the backup key with --key-file FILE, or set BACKUP_KEY.")
    if configured == settings.SECRET_KEY:
        raise BackupError("BACKUP_KEY must be a key of its own, not the SECRET_KEY.")
    return parse_key(configured)


def make_key_file(path: str) -> None:
    """Write a new random key, readable by its owner only; never over an existing file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"sightline backup key id\x00" + key).digest()[:KEY_ID_BYTES]


# Streaming encryption


class EncryptingWriter(SealedWriter):
    """A file-like object: what is written to it goes out encrypted, chunk by chunk."""

    def __init__(self, out: IO[bytes], key: bytes) -> None:
        prefix = secrets.token_bytes(NONCE_PREFIX_BYTES)
        header = MAGIC + key_id(key) + prefix
        out.write(header)
        super().__init__(out, Sealer(key, header, prefix), segment=CHUNK, length_prefixed=True)

    def close(self) -> None:
        if not self.closed:
            self.finish()
        super().close()


class DecryptingReader(SealedReader):
    """The plaintext of a backup, each chunk handed out only once its tag checks."""

    def __init__(self, source: IO[bytes], key: bytes) -> None:
        header = read_exact(source, HEADER_BYTES)
        if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
            raise BackupError("This is not a Sightline backup file.")
        if header[len(MAGIC) : len(MAGIC) + KEY_ID_BYTES] != key_id(key):
            raise WrongKey("This backup was made with a different key. Nothing was restored.")
        sealer = Sealer(key, header, header[-NONCE_PREFIX_BYTES:])
        super().__init__(
            source, sealer, segment=CHUNK, length_prefixed=True, broken=lambda: Damaged(DAMAGED)
        )


DAMAGED = "This backup has been changed or is incomplete, so nothing was restored."


# Making a backup


@dataclass
class Summary:
    rows: int = 0
    files: int = 0
    bytes: int = 0
    heads: dict[str, dict[str, Any]] = field(default_factory=dict)


def _migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def backed_up_models() -> list[Any]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label not in NOT_BACKED_UP
        and model._meta.label_lower not in NOT_BACKED_UP
        and model._meta.managed
        and not model._meta.proxy
    ]


def _heads() -> dict[str, dict[str, Any]]:
    """Each diary's last ledger record, in one query."""
    last_seq = (
        LedgerRecord.objects.filter(diary_id=OuterRef("diary_id")).order_by("-seq").values("seq")
    )
    heads = LedgerRecord.objects.filter(seq=Subquery(last_seq[:1])).order_by("diary_id")
    return {
        str(diary_id): {"seq": seq, "hash": hash_}
        for diary_id, seq, hash_ in heads.values_list("diary_id", "seq", "hash")
    }


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
    archive.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.at + size
        chunk, self.at = self.data[self.at : end], min(end, len(self.data))
        return chunk


class _Hashing:
    """Passes reads through, hashing and counting what went by."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source, self.digest, self.size = source, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _snapshot(folder: Path) -> tuple[dict[str, Any], Path, list[str]]:
    """Dump the database, with its ledger heads and the files its rows name, as one consistent
    moment: a single read-only snapshot (diary.core.snapshot), which holds no writer back.
    Files are never changed once stored, so they can be copied after it ends."""
    dump = folder / "database.exactjsonl"
    with read_snapshot():
        call_command(
            "dumpdata",
            format="exactjsonl",
            use_natural_foreign_keys=True,
            exclude=list(NOT_BACKED_UP),
            output=str(dump),
            verbosity=0,
        )
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "migrations": _migrations(),
            "rows": {
                model._meta.label_lower: model._default_manager.count()
                for model in backed_up_models()
            },
            "ledger_heads": _heads(),
        }
        names = sorted(referenced_files())
    return manifest, dump, names


def _add_stored(archive: tarfile.TarFile, name: str) -> dict[str, Any]:
    """Add one stored file, exactly as kept at rest, hashing it on the way."""
    with open_stored(name) as stored:
        hashing = _Hashing(stored)
        info = tarfile.TarInfo(f"media/{name}")
        info.size, info.mode = stored.size, 0o600
        info.mtime = int(timezone.now().timestamp())
        archive.addfile(info, hashing)
    return {"name": name, "size": hashing.size, "sha256": hashing.digest.hexdigest()}


def backup_create(out: Path, key: bytes, progress: Reports | None = None) -> Summary:
    """Write an encrypted backup to `out` (via a temporary file beside it, so a backup cut
    short never sits under the real name)."""
    progress = progress or NoProgress()
    partial = out.with_name(out.name + ".partial")
    summary = Summary()
    with tempfile.TemporaryDirectory() as scratch:
        progress.stage("rows", 1)
        manifest, dump, names = _snapshot(Path(scratch))
        progress.stage("files", len(names))
        summary.rows = sum(manifest["rows"].values())
        summary.files = len(names)
        summary.heads = manifest["ledger_heads"]
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                writer = EncryptingWriter(handle, key)
                with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                    _add_bytes(tar, "backup.json", json.dumps(manifest, indent=1).encode())
                    tar.add(dump, arcname="database.jsonl")
                    files = [_add_stored(tar, name) for name in counted(names, progress)]
                    _add_bytes(tar, "files.json", json.dumps(files, indent=1).encode())
                writer.close()
                summary.bytes = sum(entry["size"] for entry in files)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return summary


# Restoring


def _members(reader: DecryptingReader) -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
    with tarfile.open(fileobj=reader, mode="r|") as tar:
        for member in tar:
            yield member, tar.extractfile(member) if member.isfile() else None
    reader.drain()


def _media_name(member: tarfile.TarInfo) -> str:
    name = member.name.removeprefix("media/")
    parts = Path(name).parts
    if not name or Path(name).is_absolute() or ".." in parts or not member.isfile():
        raise Damaged(DAMAGED)
    return name


def _copy_hashing(source: IO[bytes], sink: Callable[[bytes], Any] | None = None) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: source.read(CHUNK), b""):
        digest.update(block)
        if sink is not None:
            sink(block)
    return digest.hexdigest()


@dataclass
class Checked:
    manifest: dict[str, Any]
    files: dict[str, dict[str, Any]]


def backup_check(path: Path, key: bytes) -> Checked:
    """Read the whole backup once, changing nothing: every chunk's tag, the layout, and each
    file against its listed hash."""
    manifest: dict[str, Any] | None = None
    seen: dict[str, str] = {}
    listed: list[dict[str, Any]] | None = None
    try:
        with path.open("rb") as source:
            for member, content in _members(DecryptingReader(source, key)):
                if member.name == "backup.json" and content is not None:
                    manifest = json.loads(content.read())
                elif member.name == "files.json" and content is not None:
                    listed = json.loads(content.read())
                elif member.name.startswith("media/") and content is not None:
                    seen[_media_name(member)] = _copy_hashing(content)
                elif member.name == "database.jsonl" and content is not None:
                    _copy_hashing(content)
                else:
                    raise Damaged(DAMAGED)
    except (tarfile.TarError, ValueError, KeyError, EOFError):
        raise Damaged(DAMAGED) from None
    if manifest is None or listed is None or manifest.get("format") != FORMAT:
        raise Damaged(DAMAGED)
    files = {entry["name"]: entry for entry in listed}
    if {name: entry["sha256"] for name, entry in files.items()} != seen:
        raise Damaged(DAMAGED)
    return Checked(manifest=manifest, files=files)


def rows_present() -> int:
    return sum(model._default_manager.count() for model in backed_up_models())


def _check_migrations(manifest: dict[str, Any]) -> None:
    here = _migrations()
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if name not in here.get(app, [])
    )
    if unknown:
        raise BackupError(
            "This backup was made by a newer version of Sightline; update this one first "
            f"(it does not have these migrations: {', '.join(unknown)})."
        )


@dataclass
class Restored:
    rows: int
    files: int
    records: int
    heads: dict[int, str]


def backup_restore(path: Path, key: bytes, *, force: bool = False) -> Restored:
    """Restore a backup into this instance, all or nothing, and verify the ledger."""
    checked = backup_check(path, key)
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)
    _check_migrations(checked.manifest)
    present = rows_present()
    if present and not force:
        raise BackupError(
            f"This instance already has data ({present} rows). Restore only into an empty "
            "one, or use --force to replace everything in it."
        )
    written: list[str] = []
    try:
        with transaction.atomic():
            if present:
                call_command("flush", interactive=False, verbosity=0)
            with path.open("rb") as source, tempfile.TemporaryDirectory() as scratch:
                for member, content in _members(DecryptingReader(source, key)):
                    if content is None or member.name in ("backup.json", "files.json"):
                        continue
                    if member.name == "database.jsonl":
                        dump = Path(scratch) / "database.exactjsonl"
                        with dump.open("wb") as handle:
                            shutil.copyfileobj(content, handle, CHUNK)
                        call_command("loaddata", str(dump), verbosity=0)
                        continue
                    name = _media_name(member)
                    hashing = _Hashing(content)
                    written.append(name)
                    restore_stored(name, hashing)  # type: ignore[arg-type]  # File needs only read()
                    if hashing.digest.hexdigest() != checked.files[name]["sha256"]:
                        raise Damaged(DAMAGED)
            result = ledger_verify()
            if not result.ok:
                raise BackupError(f"The restored ledger does not verify: {result.problem}.")
            expected = {
                int(diary): head["hash"] for diary, head in checked.manifest["ledger_heads"].items()
            }
            if result.heads != expected:
                raise BackupError("The restored ledger heads differ from the backup's.")
    except DecryptionError as error:
        # Rows and files stay encrypted at rest in a backup: this instance lacks their key.
        discard_stored(written)
        raise BackupError(f"The restored data cannot be read here: {error}") from None
    except BaseException:
        discard_stored(written)
        raise
    return Restored(
        rows=sum(checked.manifest["rows"].values()),
        files=len(written),
        records=result.records,
        heads=result.heads,
    )
