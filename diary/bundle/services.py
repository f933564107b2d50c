"""Making a bundle: written, kept encrypted, and recorded in the ledger."""

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TypedDict
from zipfile import ZipFile

from django.db import transaction

from diary.bundle.offline import verify as offline
from diary.bundle.writer import entries_for_export, write_bundle
from diary.core import filestore
from diary.core.hashing import GENESIS_HASH, iso
from diary.core.numbering import next_number
from diary.core.snapshot import read_snapshot
from diary.jobs.progress import NoProgress, Reports
from diary.ledger.anchoring import anchor
from diary.ledger.keys import key_rotations_record
from diary.ledger.services import EXPORT_CREATE, ledger_append, ledger_head, lock_diary
from diary.models import (
    Diary,
    Export,
    User,
)


class BundleFilters(TypedDict, total=False):
    """What a bundle covers (all of the diary by default), and what else the owner asked in."""

    since: datetime | None
    until: datetime | None
    behaviours: Iterable[str]
    include_contacts: bool
    include_reasons: bool
    title: str
    owner_name: str


def export_create(
    *,
    diary: Diary,
    actor: User | None,
    since: datetime | None = None,
    until: datetime | None = None,
    behaviours: Iterable[str] = (),
    include_contacts: bool = False,
    include_reasons: bool = False,
    title: str = "",
    owner_name: str = "",
    progress: Reports | None = None,
    writing: Callable[[str], None] | None = None,
    then: Callable[[Export], None] | None = None,
) -> Export:
    """Make a bundle, check it, keep it, and record it in the ledger. Witnesses' contact
    details and the reasons for withdrawing or keeping things aside go in only if the owner
    asks.

    The bundle is read from one snapshot of the database, at the ledger head it names, with no
    lock held: contacts' sends and the owner's own writes go on while it is made (they land
    after that head, and in the next bundle). Only recording it takes the diary's lock, for a
    moment. `writing(name)` hears where the bundle is being stored before a byte is written
    (so a job killed half-way can remove it); `then(export)` runs inside the transaction that
    records it (a job's access log line and its end: all of them, or none)."""
    progress = progress or NoProgress()
    kinds = sorted({code for code in behaviours if code})
    filters = {
        "since": iso(since) if since else None,
        "until": iso(until) if until else None,
        "behaviours": kinds,
        "include_contacts": include_contacts,
        "include_reasons": include_reasons,
    }
    cover = {"title": title.strip(), "owner_name": owner_name.strip()}
    if not transaction.get_connection().in_atomic_block:
        progress.stage("timestamp", 1)
        anchor(diary)  # the head, timestamped before the bundle that ends with it
    key_rotations_record()  # the bundle is signed by the current key: its rotation on record
    name = f"exports/{diary.pk}/{uuid.uuid4().hex}.enc"
    if writing is not None:
        writing(name)
    stored = ""
    try:
        with read_snapshot():
            head = ledger_head(diary)
            earlier = list(Export.objects.filter(diary=diary).order_by("number"))
            entries = entries_for_export(diary, since=since, until=until, behaviours=kinds)
            with filestore.create(name) as out:
                manifest_sha256 = write_bundle(
                    out,
                    diary=diary,
                    entries=entries,
                    head=head,
                    earlier=earlier,
                    filters=filters,
                    cover=cover,
                    progress=progress,
                )
        stored = out.stored.name
        progress.stage("checking", 1)
        bundle_check(out.stored)
        with transaction.atomic():
            lock_diary(diary)
            export = Export(
                diary=diary,
                number=next_number(Export.objects.filter(diary=diary)),
                created_by=actor,
                since=since,
                until=until,
                behaviours=kinds,
                head_seq=head.seq if head else 0,
                head_hash=head.hash if head else GENESIS_HASH,
                manifest_sha256=manifest_sha256,
                size=out.stored.size,
                bundle_sha256=out.stored.sha256,
                **cover,
            )
            export.bundle.name, export.bundle_key = stored, out.stored.key
            export.save()
            ledger_append(
                diary=diary, kind=EXPORT_CREATE, obj=export, actor=actor, diary_locked=True
            )
            if then is not None:
                then(export)
    except BaseException:
        filestore.delete(stored or name)
        raise
    return export


class BundleFailedCheck(Exception):
    """The bundle just written does not pass the checker shipped inside it: a bug, never the
    owner's doing, and never handed to her."""


def bundle_check(stored: filestore.Stored) -> None:
    """Check the bundle as written, with the same verify.py it carries, before anyone is told
    it is ready: a bundle that fails the police's check is worse than none. The plaintext it
    reads is an unnamed temporary file, gone with the process however it ends (even killed),
    reached through /proc on Linux; elsewhere a file in a private folder, removed after."""
    with filestore.decrypted_copy(stored.name, stored.key) as plaintext:
        through_proc = Path(f"/proc/self/fd/{plaintext.fileno()}")
        if through_proc.exists():
            _checked(through_proc)
            return
        with tempfile.TemporaryDirectory(prefix="sightline-check-") as folder:
            path = Path(folder) / "bundle.zip"
            with path.open("wb") as copy:
                shutil.copyfileobj(plaintext, copy, filestore.COPY_CHUNK)
            _checked(path)


def _checked(path: Path) -> None:
    try:
        offline.verify(path)
    except offline.Failed as failure:
        raise BundleFailedCheck(str(failure)) from None


def unzip_to(export: Export, folder: Path) -> Path:
    """Unpack a bundle (for checking it, in tests and by hand)."""
    with (
        filestore.decrypted_copy(export.bundle_file.name, export.bundle_key) as handle,
        ZipFile(handle) as archive,
    ):
        archive.extractall(folder)
    return folder
