"""An export on its way in: uploaded and kept (encrypted) while it is read, whom it holds
shown to her, and, once she has chosen, its messages added. Each step that reads the whole
file is a job, so a 2 GB mailbox never holds a request."""

import contextlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from diary.core import filestore
from diary.core.hashing import iso
from diary.imports import readers
from diary.imports.formats.base import ImportProblem, Message
from diary.imports.services import (
    Imported,
    identity_hash,
    is_wanted,
    messages_import,
    parties_in,
)
from diary.jobs.progress import PlainError, Reports
from diary.jobs.services import Asked, job_request
from diary.models import Diary, ImportedMessage, Job, MessageImport, PendingImport, User

PENDING_IMPORT_HOURS = 24  # an export read but never added is deleted after this
PREVIEW = 3  # the first words of this many of each party's messages
SNIPPET = 140  # characters of each


@contextlib.contextmanager
def opened(pending: PendingImport) -> Iterator[IO[bytes]]:
    """The uploaded export's bytes, seekable (readers read it twice, and zips jump about)."""
    with filestore.decrypted_copy(pending.stored.name or "", pending.stored_key) as handle:
        yield handle


def pending_create(
    *,
    diary: Diary,
    actor: User,
    upload: UploadedFile,
    time_zone: str,
    day_first: bool | None,
) -> Asked:
    """Keep the upload (encrypted) and ask a worker to read it. The format is settled now, so
    a file that cannot be brought in is refused before anything waits for a worker."""
    name = upload.name or "export"
    format_ = readers.format_of(upload, name)
    with filestore.create(f"imports/{diary.pk}/pending-{uuid.uuid4().hex}.enc") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        with transaction.atomic():
            pending = PendingImport.objects.create(
                diary=diary,
                file_name=name[:255],
                stored=out.stored.name,
                stored_key=out.stored.key,
                size=out.stored.size,
                sha256=out.stored.sha256,
                format=format_,
                time_zone=time_zone,
                day_first=day_first,
            )
            return job_request(
                kind=Job.Kind.IMPORT_READ,
                diary=diary,
                actor=actor,
                params={"pending": str(pending.pk)},
            )
    except BaseException:
        filestore.delete(out.stored.name)
        raise


def _zone(pending: PendingImport) -> ZoneInfo | None:
    return ZoneInfo(pending.time_zone) if pending.time_zone else None


def pending_read(*, pending: PendingImport, progress: Reports) -> list[dict[str, Any]]:
    """Whom the export holds, with how many of each one's messages the diary has already and
    the first words of a few: what she chooses from. Kept on the pending import."""
    progress.stage("reading", 1)
    previews: dict[str, list[dict[str, str]]] = {}
    identities: dict[str, list[str]] = {}
    # How many of each party's messages an import would add, without and with hers to them:
    # pending_add then need not read the whole file through again before it writes.
    adds: dict[str, list[int]] = {}
    # Whose messages were all read whole: only for them may pending_add skip its own check.
    skimmed: set[str] = set()

    def noted(found: Iterator[Message]) -> Iterator[Message]:
        for message in found:
            shown = previews.setdefault(message.party, [])
            if message.skimmed:
                skimmed.add(message.party)
            elif len(shown) < PREVIEW:
                shown.append({"at": iso(message.sent_at), "text": message.text[:SNIPPET]})
            identities.setdefault(message.party, []).append(identity_hash(message))
            counts = adds.setdefault(message.party, [0, 0])
            for to_them in (False, True):
                counts[to_them] += is_wanted(message, {message.party}, to_them)
            yield message

    try:
        with opened(pending) as stream:
            found = readers.read(
                stream,
                format=pending.format,
                name=pending.file_name,
                zone=_zone(pending),
                day_first=pending.day_first,
                # A mailbox's bodies are most of its bytes: once a party's preview is full,
                # who and when is all this read needs of their messages.
                skim=lambda party: len(previews.get(party, ())) >= PREVIEW,
            )
            parties = parties_in(noted(found))
    except ImportProblem as problem:
        pending_discard(pending=pending)
        raise PlainError(str(problem)) from None
    summary = []
    for party in parties:
        hashes = identities[party.party]
        already = sum(
            ImportedMessage.objects.filter(diary=pending.diary, identity__in=hashes[i : i + 500])
            .values("pk")
            .count()
            for i in range(0, len(hashes), 500)
        )
        summary.append(
            {
                "party": party.party,
                "name": party.name,
                "count": party.count,
                "already": already,
                "first": iso(party.first) if party.first else None,
                "last": iso(party.last) if party.last else None,
                "channels": sorted(party.channels),
                "preview": previews.get(party.party, []),
                "adds": adds[party.party],
                "read_whole": party.party not in skimmed,
            }
        )
    PendingImport.objects.filter(pk=pending.pk).update(parties=summary)
    pending.parties = summary
    return summary


def pending_add(
    *,
    pending: PendingImport,
    actor: User | None,
    parties: list[str],
    to_them: bool,
    person: str,
    progress: Reports,
) -> Imported:
    """Add the chosen parties' messages (diary.imports.services): the file the upload was kept
    in becomes the MessageImport's original. pending_read has read these bytes through already,
    so a bad message would have been found there: they are not read through again before
    anything is written, unless some of the chosen were only skimmed there (a mailbox's)."""
    read_through = None
    found = {party["party"]: party for party in pending.parties or []}
    if parties and all(found.get(party, {}).get("read_whole") for party in parties):
        read_through = sum(found[party]["adds"][to_them] for party in set(parties))
    try:
        with opened(pending) as stream:
            done = messages_import(
                diary=pending.diary,
                actor=actor,
                stream=stream,
                name=pending.file_name,
                parties=parties,
                to_them=to_them,
                person=person,
                zone=_zone(pending),
                day_first=pending.day_first,
                progress=progress,
                read_through=read_through,
                begun=pending.message_import,
                on_begun=lambda begun: _going_into(pending, begun),
                # Kept encrypted since the upload: the import takes the same file over, and
                # 2 GB are not encrypted and written a second time.
                kept=filestore.Stored(
                    name=pending.stored.name or "",
                    key=pending.stored_key,
                    size=pending.size,
                    sha256=pending.sha256,
                )
                if pending.sha256
                else None,
            )
    except ImportProblem as problem:
        raise PlainError(str(problem)) from None
    pending_discard(pending=pending)
    return done


def _going_into(pending: PendingImport, message_import: MessageImport) -> None:
    PendingImport.objects.filter(pk=pending.pk).update(message_import=message_import)
    pending.message_import = message_import


def pending_ask_add(
    *, pending: PendingImport, actor: User, parties: list[str], to_them: bool, person: str
) -> Asked:
    return job_request(
        kind=Job.Kind.IMPORT_ADD,
        diary=pending.diary,
        actor=actor,
        params={
            "pending": str(pending.pk),
            "parties": parties,
            "to_them": to_them,
            "person": person,
        },
    )


def pending_discard(*, pending: PendingImport) -> None:
    """The row goes, and its file too unless an import took the file over as its original."""
    if pending.message_import_id is None:
        filestore.delete(pending.stored.name or "")
    PendingImport.objects.filter(pk=pending.pk).delete()


def pending_sweep(*, now: Any = None) -> int:
    """Exports read but never added, older than PENDING_IMPORT_HOURS: deleted with their file."""
    cutoff = (now or timezone.now()) - timedelta(hours=PENDING_IMPORT_HOURS)
    old = list(PendingImport.objects.filter(created_at__lt=cutoff))
    for pending in old:
        pending_discard(pending=pending)
    return len(old)
