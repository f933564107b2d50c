"""Bringing texts, e-mails and calls in from an export: who is in it, and adding the messages
of the person she chooses as entries, each message once however often it is imported.

The export itself is kept byte for byte (encrypted at rest, with its SHA-256) and recorded in
the ledger; each message that becomes an entry records where in the file it came from. A file
that turns out to be bad half-way adds nothing: it is read through once before anything is
written, the chosen messages whole (of a mailbox, the others only as far as their headers).
"""

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from diary import messages
from diary.core import filestore
from diary.core.numbering import next_number
from diary.evidence.services import evidence_attach
from diary.imports import readers
from diary.imports.formats.base import OUTGOING, PHONE_CALL, Attachment, Message
from diary.jobs.progress import NoProgress, Reports
from diary.ledger.services import (
    IMPORT_CREATE,
    IMPORT_MESSAGE,
    ledger_append,
    ledger_append_many,
    lock_diary,
)
from diary.models import Diary, Entry, ImportedMessage, MessageImport, User
from diary.models.choices import Behaviour, Precision
from diary.records.services import entries_create_many

BATCH = 200  # messages a transaction: the diary's lock is never held for a whole import
WORDS_LIMIT = 5_000  # what an entry's "exact words" holds (EntryVersion.words_used)


@dataclass
class Party:
    """Someone in an export, as it spells them, with how many messages and when."""

    party: str
    name: str
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    channels: set[str] = field(default_factory=set)


def parties_in(found: Iterable[Message]) -> list[Party]:
    """Everyone in the export, most messages first: what she chooses the person from."""
    parties: dict[str, Party] = {}
    for message in found:
        party = parties.setdefault(message.party, Party(message.party, message.party_name))
        party.name = party.name or message.party_name
        party.count += 1
        party.channels.add(message.channel)
        if party.first is None or message.sent_at < party.first:
            party.first = message.sent_at
        if party.last is None or message.sent_at > party.last:
            party.last = message.sent_at
    return sorted(parties.values(), key=lambda p: (-p.count, p.party))


def identity_hash(message: Message) -> str:
    return hashlib.sha256(message.identity.encode()).hexdigest()


@dataclass(frozen=True)
class Imported:
    message_import: MessageImport
    added: int
    already: int  # in the diary from an earlier import of the same or an overlapping export


# A text she wrote that never left her phone (SMS Backup & Restore keeps drafts and failed
# sends) is not contact with anyone.
NEVER_SENT = {"draft", "outbox", "failed", "queued"}


def is_wanted(message: Message, parties: set[str], to_them: bool) -> bool:
    if message.party not in parties or message.details.get("status") in NEVER_SENT:
        return False
    return to_them or message.direction != OUTGOING


def _summary(message: Message, person: str) -> str:
    who = person or message.party_name or message.party
    what = messages.IMPORTED_WHAT.get(message.channel, messages.IMPORTED_WHAT["text"])
    if message.channel == PHONE_CALL:
        kind = str(message.details.get("call", ""))
        what = messages.IMPORTED_CALL.get(kind, what)
    said = messages.IMPORTED_TO if message.direction == OUTGOING else messages.IMPORTED_FROM
    text = str(said % {"what": what, "who": who})
    subject = message.details.get("subject")
    if subject:
        text += f": “{subject}”"
    if message.channel == PHONE_CALL and message.details.get("duration_seconds"):
        text += f" ({message.details['duration_seconds']} s)"
    return text


def _content(message: Message, person: str) -> dict[str, object]:
    words = message.text
    what = _summary(message, person)
    if len(words) > WORDS_LIMIT:
        words = words[:WORDS_LIMIT]
        what += "\n\n" + str(messages.IMPORTED_TOO_LONG % {"position": message.position})
    return {
        "precision": Precision.EXACT,
        "occurred_start": message.sent_at,
        "behaviours": [Behaviour.CONTACT],
        "channel": message.channel,
        "what_happened": what,
        "words_used": words,
    }


def _upload(attachment: Attachment) -> SimpleUploadedFile:
    with attachment.open() as handle:
        data = handle.read()
    return SimpleUploadedFile(attachment.name, data, attachment.content_type)


def _batches(found: Iterator[Message], size: int) -> Iterator[list[Message]]:
    batch: list[Message] = []
    for message in found:
        batch.append(message)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def messages_import(
    *,
    diary: Diary,
    actor: User | None,
    stream: IO[bytes],
    name: str,
    parties: Iterable[str],
    to_them: bool = False,
    person: str = "",
    zone: ZoneInfo | None = None,
    day_first: bool | None = None,
    dns: Callable[[bytes], bytes | None] | None = None,
    progress: Reports | None = None,
    read_through: int | None = None,
    begun: MessageImport | None = None,
    on_begun: Callable[[MessageImport], None] | None = None,
    kept: filestore.Stored | None = None,
) -> Imported:
    """Add as entries the messages of `parties` (as the export spells them; `to_them` adds
    her messages to them too), keep the export, and record both. Raises ImportProblem (plain
    words) for a bad file, having added nothing; a message already in the diary is counted in
    `already` and not added again. `read_through` is how many messages are wanted, when the
    caller has read these same bytes through already, with the same zone and date order, every
    wanted message whole, without a problem (pending_read): the read that checks them first is
    then not repeated. Other parties' messages are only skimmed, in both reads.

    `begun`: the import a run cut off half-way made of these same bytes and choices; this run
    goes on with it (its messages already added are skipped as any already in the diary), and
    the export is not kept again. `on_begun(import)` is called in the transaction that records
    a new import, so the caller can note it for such a retry. `kept`: these same bytes, kept
    encrypted already (an upload waiting to be added): the import takes that file as its
    original instead of keeping a copy."""
    progress = progress or NoProgress()
    chosen = set(parties)
    if not chosen:
        raise ValidationError({"parties": messages.IMPORT_NOBODY_CHOSEN})
    format_ = readers.format_of(stream, name)

    def read() -> Iterator[Message]:
        return readers.read(
            stream,
            format=format_,
            name=name,
            zone=zone,
            day_first=day_first,
            dns=dns,
            skim=lambda party: party not in chosen,
        )

    # Read it all once before writing anything: a bad line near the end adds nothing.
    if read_through is None:
        progress.stage("reading", 1)
        wanted = sum(1 for message in read() if is_wanted(message, chosen, to_them))
    else:
        wanted = read_through

    message_import = begun or _keep(
        diary=diary,
        actor=actor,
        stream=stream,
        format_=format_,
        name=name,
        zone=zone,
        chosen={"parties": sorted(chosen), "to_them": to_them, "person": person},
        on_begun=on_begun,
        progress=progress,
        kept=kept,
    )

    progress.stage("adding", wanted)
    processed = 0
    seen: set[str] = set()
    chosen_messages = (message for message in read() if is_wanted(message, chosen, to_them))
    for batch in _batches(chosen_messages, BATCH):
        _add(message_import, batch, seen, actor, person)
        processed += len(batch)
        progress.step(len(batch))
    # Counted, not summed as it went: a run that goes on with a begun import added some of
    # them before it was cut off.
    added = ImportedMessage.objects.filter(message_import=message_import).count()
    return Imported(message_import, added, processed - added)


def _keep(
    *,
    diary: Diary,
    actor: User | None,
    stream: IO[bytes],
    format_: str,
    name: str,
    zone: ZoneInfo | None,
    chosen: dict[str, object],
    on_begun: Callable[[MessageImport], None] | None,
    progress: Reports,
    kept: filestore.Stored | None,
) -> MessageImport:
    """The export kept byte for byte (encrypted) and recorded as the import, in the ledger."""
    stored = kept or _copy(stream, diary, progress)
    try:
        with transaction.atomic():
            lock_diary(diary)
            message_import = MessageImport(
                diary=diary,
                number=next_number(MessageImport.objects.filter(diary=diary)),
                created_by=actor,
                format=format_,
                file_name=name[:255],
                size=stored.size,
                sha256=stored.sha256,
                time_zone=str(zone) if zone else "",
                chosen=chosen,
            )
            message_import.original.name = stored.name
            message_import.original_key = stored.key
            message_import.save()
            ledger_append(
                diary=diary, kind=IMPORT_CREATE, obj=message_import, actor=actor, diary_locked=True
            )
            if on_begun is not None:
                on_begun(message_import)
    except BaseException:
        if kept is None:
            filestore.delete(stored.name)
        raise
    return message_import


def _copy(stream: IO[bytes], diary: Diary, progress: Reports) -> filestore.Stored:
    progress.stage("keeping", 1)
    stream.seek(0)
    with filestore.create(f"imports/{diary.pk}/{uuid.uuid4().hex}.enc") as out:
        while block := stream.read(filestore.COPY_CHUNK):
            out.write(block)
    return out.stored


def _json_safe(details: dict[str, object]) -> dict[str, object]:
    safe: dict[str, object] = json.loads(json.dumps(details, default=str))
    return safe


def _attach(entry: Entry, attachments: Iterable[Attachment], actor: User | None) -> list[str]:
    """Each file that came with the message, kept as evidence on its entry. One the evidence
    checks refuse (a kind of file the diary does not keep) is named instead: it stays in the
    export file, which is kept whole."""
    not_kept = []
    for attachment in attachments:
        try:
            with transaction.atomic():
                evidence_attach(entry=entry, actor=actor, upload=_upload(attachment))
        except ValidationError as error:
            problem = "; ".join(error.messages)
            not_kept.append(
                str(messages.IMPORTED_FILE_NOT_KEPT % {"name": attachment.name, "problem": problem})
            )
    return not_kept


@transaction.atomic
def _add(
    message_import: MessageImport,
    batch: list[Message],
    seen: set[str],
    actor: User | None,
    person: str,
) -> None:
    """One transaction, under one lock, in a constant number of queries (as many more as there
    are attached files): the messages of `batch` not yet in the diary, each an entry (numbered
    in order, validated as any entry is) with the record of where it came from, both in the
    ledger, entries first."""
    diary = message_import.diary
    lock_diary(diary)
    identities = [identity_hash(message) for message in batch]
    there = set(
        ImportedMessage.objects.filter(diary=diary, identity__in=identities).values_list(
            "identity", flat=True
        )
    )
    fresh: list[tuple[Message, str]] = []
    for message, identity in zip(batch, identities, strict=True):
        if identity in there or identity in seen:
            continue
        seen.add(identity)
        fresh.append((message, identity))
    entries = entries_create_many(
        diary=diary,
        actor=actor,
        contents=[_content(message, person) for message, _identity in fresh],
        source=Entry.Source.IMPORTED,
        origin=f"import:{message_import.number}",
    )
    imported = []
    for (message, identity), entry in zip(fresh, entries, strict=True):
        not_kept = _attach(entry, message.attachments, actor) if message.attachments else []
        imported.append(
            ImportedMessage(
                diary=diary,
                message_import=message_import,
                entry=entry,
                identity=identity,
                position=message.position[:120],
                channel=message.channel,
                direction=message.direction,
                party=message.party[:320],
                party_name=message.party_name[:200],
                sent_at=message.sent_at,
                details=_json_safe(
                    {**message.details, "message_id": message.message_id, "not_kept": not_kept}
                ),
            )
        )
    ImportedMessage.objects.bulk_create(imported)
    ledger_append_many(
        diary=diary, kind=IMPORT_MESSAGE, objs=imported, actor=actor, diary_locked=True
    )
