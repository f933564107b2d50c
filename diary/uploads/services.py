"""Files and recordings that arrive in pieces: make an upload, keep each piece as it arrives,
and join the pieces into evidence when the upload completes or a recording goes quiet.

A piece is kept only once it has arrived whole (and matched its checksum, if one was sent):
encrypted, flushed to storage and hashed, through diary.core.filestore, before its row
commits. A request cut off half-way keeps nothing of that piece; the client asks where the
server is (HEAD) and sends it again. So everything before the last whole piece is always on
the server, whatever happens to the phone.

When the last piece arrives (or tend_jobs finds a recording quiet for RECORDING_QUIET_SECONDS)
the pieces are joined, hashed, checked against the hash the client declared, and handed to the
finisher of the upload's party: the owner's keeps it as evidence on an entry (evidence_attach's
own intake), a contact's (witnesses registers it) as a submission. The finisher's rows, an
`UploadFinish` with every piece's hash and its ledger record commit in one transaction; then
the pieces go. An upload is never shown as evidence before that.
"""

import base64
import hashlib
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise

from diary import messages
from diary.core import filestore
from diary.evidence.intake import A_KIND, KINDS_FOR, STORED_SUFFIX, StoredFile, stored_upload
from diary.evidence.services import evidence_adopt
from diary.ledger.services import UPLOAD_FINISH, ledger_append, lock_diary, object_label
from diary.models import Diary, Entry, Upload, UploadFinish, UploadPiece, User
from diary.models.choices import EvidenceKind
from diary.records.services import entry_create

logger = logging.getLogger(__name__)

READ_CHUNK = 256 * 1024
# The most pieces one upload keeps. Each is a row and a stored file (a disk block or more,
# however small the piece), so a client sending a byte a request could otherwise make
# millions of both from one upload. A recording's pieces come every 3 seconds: this is over
# 8 hours of one; a file's are 4 MB.
PIECES_MAX = 10_000
# The most unfinished file uploads one party of a diary (her, or one of her contacts) holds at
# once, each up to EVIDENCE_MAX_BYTES of pieces until UPLOAD_EXPIRES_SECONDS. A new one past it
# ends another rather than being refused, so she is never kept from sending: first one that
# has had no piece at all, then the one that has waited longest for its next (a file resumes
# only while its page is open, so that one is left behind). Someone with her password starting
# uploads he never sends only pushes out his own; an upload of hers under way has a piece every
# few seconds. Recordings are not counted: a quiet one is kept as cut off within
# RECORDING_QUIET_SECONDS.
OPEN_FILE_UPLOADS_MAX = 20


class Readable(Protocol):
    """What a piece is read from: a file, or the request itself."""

    def read(self, size: int = -1, /) -> bytes: ...


class UploadProblem(Exception):
    """The request is refused and nothing of it is kept: the status and plain words say why."""

    def __init__(self, status: int, message: "str | Promise") -> None:
        super().__init__(str(message))
        self.status = status
        self.message = str(message)


def _not_found() -> UploadProblem:
    return UploadProblem(404, messages.UPLOAD_NOT_FOUND)


def _too_large() -> UploadProblem:
    return UploadProblem(
        413, messages.FILE_TOO_LARGE % {"limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)}
    )


@dataclass(frozen=True)
class Joined:
    """The whole of an upload, joined from its pieces, for a finisher to keep."""

    upload: Upload
    file: UploadedFile
    sha256: str
    outcome: str
    cut_off_after: timedelta | None
    first_received: datetime

    @property
    def note(self) -> str:
        """What the file's description says of how it ended: "Recording cut off at 00:42"."""
        if self.cut_off_after is None:
            return ""
        return str(messages.RECORDING_CUT_OFF % {"at": clock(self.cut_off_after)})


def clock(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else f"{rest // 60:02d}:{rest % 60:02d}"
    )


@dataclass(frozen=True)
class Kept:
    """What a finisher made of an upload: the ledger's label of its row, and its page."""

    label: str
    url: str = ""


Finisher = Callable[[Joined], Kept]
FINISHERS: dict[str, Finisher] = {}


def register_finisher(party: str, finish: Finisher) -> None:
    """Who keeps a finished upload of this party (witnesses registers the contacts')."""
    FINISHERS[party] = finish


def upload_create(
    *,
    diary: Diary,
    party: str,
    kind: str,
    media: str = "",
    name: str = "",
    length: int | None = None,
    declared_sha256: str = "",
    entry: Entry | None = None,
    made_by: User | None = None,
    owner_session: int | None = None,
    contact_device: int | None = None,
    evidence_kind: str = "",
    description: str = "",
) -> Upload:
    """Start an upload (tus creation). A file says its length; a recording says it later. An
    owner's upload names the session that started it (`owner_session`), the only one that may
    go on with it; a contact's, their device."""
    if kind not in Upload.Kind.values or media not in Upload.Media.values:
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    if length is None and kind != Upload.Kind.RECORDING:
        raise UploadProblem(400, messages.UPLOAD_LENGTH_NEEDED)
    if length is not None and length > settings.EVIDENCE_MAX_BYTES:
        raise _too_large()
    if length is not None and length < 1:
        raise UploadProblem(400, messages.FILE_EMPTY)
    if evidence_kind and evidence_kind not in EvidenceKind.values:
        raise UploadProblem(400, messages.UNKNOWN_CHOICE)
    if len(description) > 300:
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    declared = declared_sha256.lower()
    if declared and (len(declared) != 64 or any(c not in "0123456789abcdef" for c in declared)):
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    if kind != Upload.Kind.RECORDING:
        _room_for_a_file(diary, party, owner_session=owner_session, contact_device=contact_device)
    return Upload.objects.create(
        diary=diary,
        party=party,
        kind=kind,
        media=media,
        name=name[:255],
        length=length,
        declared_sha256=declared,
        entry=entry,
        made_by=made_by,
        owner_session_id=owner_session,
        contact_device=contact_device,
        evidence_kind=evidence_kind,
        description=description.strip(),
    )


@contextmanager
def _spooled(body: Readable, limit: int) -> Iterator[tuple[IO[bytes], int, str, str]]:
    """The request's body in a temporary file, with its size and hashes (SHA-256 hex, and the
    base64 of its digest as tus's checksum extension sends it). Refuses a body over `limit`
    as soon as it passes it."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile() as spool:
        while chunk := body.read(READ_CHUNK):
            size += len(chunk)
            if size > limit:
                raise UploadProblem(
                    413,
                    messages.UPLOAD_PIECE_TOO_LARGE
                    % {"limit": filesizeformat(settings.UPLOAD_PIECE_MAX_BYTES)},
                )
            digest.update(chunk)
            spool.write(chunk)
        spool.seek(0)
        yield spool, size, digest.hexdigest(), base64.b64encode(digest.digest()).decode()


def upload_append(
    *,
    upload: Upload,
    offset: int,
    body: Readable,
    checksum: str | None = None,
    length: int | None = None,
    whole_sha256: str = "",
) -> Upload:
    """Keep one piece (tus PATCH) at `offset`, which must be where the upload is now. `checksum`
    is the piece's SHA-256 in base64 (tus's Upload-Checksum); `length`, for a recording, says
    it has stopped and how large it is in all; `whole_sha256` (hex) what the whole should hash
    to. The last piece finishes the upload. Raises UploadProblem, keeping nothing of this piece."""
    if not upload.is_open:
        raise _not_found()
    if offset != upload.offset:
        raise UploadProblem(409, messages.UPLOAD_OFFSET_MOVED)
    total = length if length is not None else upload.length
    if length is not None and upload.length is not None and length != upload.length:
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    if total is not None and total > settings.EVIDENCE_MAX_BYTES:
        raise _too_large()
    room = (total if total is not None else settings.EVIDENCE_MAX_BYTES) - offset
    if room < 0:
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    limit = min(settings.UPLOAD_PIECE_MAX_BYTES, room)
    with _spooled(body, limit if total is not None else settings.UPLOAD_PIECE_MAX_BYTES) as (
        spool,
        size,
        sha256,
        b64,
    ):
        if size > room:
            raise _too_large()
        if checksum is not None and checksum != b64:
            raise UploadProblem(460, messages.UPLOAD_CHECKSUM_WRONG)
        if total is not None and offset + size > total:
            raise _too_large()
        if size == 0 and not (total is not None and offset == total):
            return upload  # an empty PATCH: nothing to keep
        stored = (
            filestore.save(f"uploads/{upload.diary_id}/{uuid.uuid4().hex}{STORED_SUFFIX}", spool)
            if size
            else None
        )
    try:
        upload = _piece_keep(
            upload=upload, offset=offset, size=size, sha256=sha256, stored=stored, length=length
        )
    except BaseException:
        if stored is not None:
            filestore.delete(stored.name)
        raise
    if whole_sha256:
        if upload.declared_sha256 and upload.declared_sha256 != whole_sha256.lower():
            raise UploadProblem(460, messages.UPLOAD_WHOLE_CHECKSUM_WRONG)
        if not upload.declared_sha256:
            upload.declared_sha256 = whole_sha256.lower()
            Upload.objects.filter(pk=upload.pk).update(declared_sha256=upload.declared_sha256)
    if upload.length is not None and upload.offset == upload.length:
        upload_finish(upload=upload, outcome=UploadFinish.Outcome.COMPLETE)
        upload.refresh_from_db()
    return upload


@transaction.atomic
def _piece_keep(
    *,
    upload: Upload,
    offset: int,
    size: int,
    sha256: str,
    stored: filestore.Stored | None,
    length: int | None,
) -> Upload:
    now = timezone.now()
    # Another request may have kept this offset meanwhile: only one piece goes at an offset.
    fresh = Upload.objects.select_for_update().get(pk=upload.pk)
    if not fresh.is_open:
        raise _not_found()
    if fresh.offset != offset:
        raise UploadProblem(409, messages.UPLOAD_OFFSET_MOVED)
    if stored is not None:
        number = fresh.pieces.count() + 1
        if number > PIECES_MAX:
            raise UploadProblem(413, messages.UPLOAD_TOO_MANY_PIECES)
        UploadPiece.objects.create(
            upload=fresh,
            number=number,
            offset=offset,
            size=size,
            sha256=sha256,
            stored=stored.name,
            stored_key=stored.key,
            received_at=now,
        )
        fresh.offset = offset + size
        fresh.last_piece_at = now
    if length is not None:
        if length < fresh.offset:
            raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
        fresh.length = length
    fresh.save(update_fields=["offset", "last_piece_at", "length"])
    return fresh


def _joined(upload: Upload, pieces: list[UploadPiece]) -> tuple[UploadedFile, str]:
    """The pieces, decrypted one after another into one temporary file (as Django keeps a
    large upload; the caller closes it), with the SHA-256 of the whole."""
    digest = hashlib.sha256()
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by upload_finish)
    try:
        for piece in pieces:
            for chunk in piece.stored_file.chunks():
                digest.update(chunk)
                spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)
    # A recording's name has no extension: the content sniffed says what it is.
    name = upload.name or "recording"
    return UploadedFile(file=spool, name=name, size=size), digest.hexdigest()


def upload_finish(*, upload: Upload, outcome: str) -> UploadFinish | None:
    """Join the pieces and keep the whole through the party's finisher, with the finish's
    ledger record, in one transaction; then remove the pieces. A whole that does not match
    the declared hash, or that intake refuses, is refused: nothing is kept, the pieces go,
    and the upload says why. Returns the finish, or None for a refusal (or nothing to keep)."""
    pieces = list(upload.pieces.order_by("offset"))
    if not pieces:
        _upload_end(upload, Upload.State.REFUSED, str(messages.FILE_EMPTY))
        return None
    try:
        file, sha256 = _joined(upload, pieces)
    except (OSError, filestore.FileIntegrityError):
        # Another request (the last piece, or tend_jobs) finished it meanwhile and its pieces
        # went; anything else is a stored piece that no longer reads, which is not kept as
        # anything.
        if Upload.objects.filter(pk=upload.pk, state=Upload.State.OPEN).exists():
            raise
        raise _not_found() from None
    with file:
        if upload.declared_sha256 and upload.declared_sha256 != sha256:
            if upload.kind != Upload.Kind.RECORDING:
                _upload_end(upload, Upload.State.REFUSED, str(messages.UPLOAD_WHOLE_CHECKSUM_WRONG))
                raise UploadProblem(460, messages.UPLOAD_WHOLE_CHECKSUM_WRONG)
            # A recording's pieces are what arrived, each hashed as it came, and a phone in
            # someone else's hands can send any hash: the whole is refused as complete, but
            # nothing that arrived goes. The upload stays open and, once quiet, is kept as cut
            # off (a cut-off recording is not the whole the hash was declared for).
            if outcome != UploadFinish.Outcome.CUT_OFF:
                raise UploadProblem(460, messages.UPLOAD_WHOLE_CHECKSUM_WRONG)
        cut_off = None
        if outcome == UploadFinish.Outcome.CUT_OFF:
            cut_off = (pieces[-1].received_at - upload.created_at) if pieces else timedelta(0)
        joined = Joined(upload, file, sha256, outcome, cut_off, pieces[0].received_at)
        try:
            finish = _finish_keep(joined, pieces)
        except ValidationError as error:
            problem = "; ".join(text for texts in error.message_dict.values() for text in texts)
            _upload_end(upload, Upload.State.REFUSED, problem[:300])
            raise UploadProblem(422, problem) from None
    return finish


@transaction.atomic
def _finish_keep(joined: Joined, pieces: list[UploadPiece]) -> UploadFinish:
    upload = joined.upload
    lock_diary(upload.diary)
    fresh = Upload.objects.select_for_update().get(pk=upload.pk)
    if fresh.state != Upload.State.OPEN:
        raise UploadProblem(404, messages.UPLOAD_NOT_FOUND)
    if fresh.offset != sum(piece.size for piece in pieces):
        # A piece was kept after these were read (the signal back as the sweep took the
        # recording for cut off): join again with it, rather than delete a piece answered 204.
        raise UploadProblem(409, messages.UPLOAD_OFFSET_MOVED)
    kept = FINISHERS[upload.party](joined)
    finish = UploadFinish.objects.create(
        upload=fresh,
        diary_id=upload.diary_id,
        outcome=joined.outcome,
        kind=upload.kind,
        media=upload.media,
        size=joined.file.size or 0,
        sha256=joined.sha256,
        pieces=[[piece.offset, piece.size, piece.sha256] for piece in pieces],
        started_at=upload.created_at,
        cut_off_after=joined.cut_off_after,
        result=kept.label,
    )
    ledger_append(
        diary=upload.diary, kind=UPLOAD_FINISH, obj=finish, actor="system", diary_locked=True
    )
    fresh.state = (
        Upload.State.CUT_OFF
        if joined.outcome == UploadFinish.Outcome.CUT_OFF
        else Upload.State.COMPLETE
    )
    fresh.result, fresh.result_url = kept.label, kept.url[:200]
    fresh.save(update_fields=["state", "result", "result_url"])
    # The pieces go with the transaction; their files once it has committed.
    UploadPiece.objects.filter(upload_id=upload.pk).delete()
    names = [piece.stored.name or "" for piece in pieces]
    transaction.on_commit(lambda: _files_discard(names))
    return finish


def _files_discard(names: list[str]) -> None:
    for name in names:
        filestore.delete(name)


def _pieces_discard(upload_id: uuid.UUID, names: list[str]) -> None:
    """The pieces of an upload refused or past its time: nothing of it is kept."""
    UploadPiece.objects.filter(upload_id=upload_id).delete()
    _files_discard(names)


def _room_for_a_file(
    diary: Diary, party: str, *, owner_session: int | None, contact_device: int | None
) -> None:
    """End the party's unfinished file uploads beyond OPEN_FILE_UPLOADS_MAX - 1, those with no
    piece first, then those that have waited longest for one (see OPEN_FILE_UPLOADS_MAX)."""
    mine = Upload.objects.filter(diary=diary, party=party, state=Upload.State.OPEN)
    if party != Upload.Party.OWNER:
        mine = mine.filter(contact_device=contact_device)
    waiting = (
        mine.exclude(kind=Upload.Kind.RECORDING)
        .annotate(active=Coalesce("last_piece_at", "created_at"))
        .order_by(F("last_piece_at").desc(nulls_last=True), "-active", "-pk")
    )[OPEN_FILE_UPLOADS_MAX - 1 :]
    for upload in waiting:
        _upload_end(upload, Upload.State.REFUSED, str(messages.UPLOAD_NOT_FOUND))


def _upload_end(upload: Upload, state: str, refusal: str) -> None:
    names = list(upload.pieces.values_list("stored", flat=True))
    Upload.objects.filter(pk=upload.pk, state=Upload.State.OPEN).update(
        state=state, refusal=refusal
    )
    _pieces_discard(upload.pk, names)


@contextmanager
def kept_recording(joined: Joined, *, folder: str) -> Iterator[StoredFile]:
    """The joined file through evidence intake (sniffed, encrypted, hashed): a recording the
    page says is sound, in a WebM (which a sniffer calls video), is kept as audio."""
    upload = joined.upload
    with stored_upload(joined.file, folder=folder, zone=upload.diary.zone) as stored:
        if stored.sha256 != joined.sha256:  # the bytes intake kept are the bytes joined
            raise ValidationError({"file": messages.UPLOAD_WHOLE_CHECKSUM_WRONG})
        if upload.media == Upload.Media.AUDIO and stored.kind == EvidenceKind.VIDEO:
            stored.kind = EvidenceKind.AUDIO
        chosen = upload.evidence_kind
        if chosen and chosen not in KINDS_FOR[stored.kind]:
            mismatch = {"actual": A_KIND[stored.kind], "chosen": A_KIND[chosen]}
            raise ValidationError({"kind": messages.FILE_KIND_MISMATCH % mismatch})
        if chosen:
            stored.kind = chosen
        yield stored


def _owner_keeps(joined: Joined) -> Kept:
    """The owner's upload: evidence on her entry, or on a new entry for a recording or photo
    made on the page (dated when it started)."""
    upload = joined.upload
    entry = upload.entry
    made_here = str(messages.RECORDING_MADE_HERE.get(upload.media, ""))
    with kept_recording(joined, folder=f"evidence/{upload.diary_id}") as stored:
        if entry is None:
            entry = entry_create(
                diary=upload.diary,
                actor=upload.made_by,
                content={
                    "what_happened": " ".join(filter(None, [made_here, joined.note])),
                    "occurred_start": upload.created_at,
                    "precision": "exact",
                },
                received_at=joined.first_received,
            )
        evidence = evidence_adopt(
            entry=entry,
            actor=upload.made_by,
            stored=stored,
            description=joined.note or upload.description,
            received_at=joined.first_received,
        )
    return Kept(object_label(evidence), reverse("diary:entry", args=[entry.pk]))


register_finisher(Upload.Party.OWNER, _owner_keeps)


def recordings_tend(*, now: object = None) -> int:
    """Keep as cut off every recording that has had no piece for RECORDING_QUIET_SECONDS (the
    phone taken, smashed or flat), and end every other upload past its time (its pieces go;
    nothing of an unfinished file is ever evidence). Returns how many recordings were kept."""
    moment = now or timezone.now()
    quiet = moment - timedelta(seconds=settings.RECORDING_QUIET_SECONDS)  # type: ignore[operator]
    kept = 0
    recordings = Upload.objects.filter(
        Q(last_piece_at__lt=quiet) | Q(last_piece_at__isnull=True, created_at__lt=quiet),
        state=Upload.State.OPEN,
        kind=Upload.Kind.RECORDING,
    ).select_related("diary", "entry", "made_by")
    for upload in recordings:
        try:
            kept += upload_finish(upload=upload, outcome=UploadFinish.Outcome.CUT_OFF) is not None
        except UploadProblem as problem:
            logger.info("a quiet recording could not be kept: %s", problem.message)
        except Exception:  # a damaged piece: the others are still kept, and it is tried again
            logger.exception("a quiet recording (upload %s) could not be kept", upload.pk)
    for upload in Upload.objects.filter(state=Upload.State.OPEN, expires_at__lt=moment):
        _upload_end(upload, Upload.State.REFUSED, str(messages.UPLOAD_NOT_FOUND))
    return kept
