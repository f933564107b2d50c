"""Files and recordings that arrive in pieces (the tus protocol, diary/uploads/).

An `Upload` is work under way, like a pending import: not evidence, never shown as evidence.
Each piece that arrives whole is kept at once (encrypted, flushed, hashed) as an `UploadPiece`,
so a recording whose phone is taken mid-way keeps everything up to its last piece. When the
upload ends (complete, or a recording that went quiet and is taken as cut off) its pieces are
joined into the original, which is kept through the evidence's own intake, and an
`UploadFinish` records it in the ledger with every piece's hash. The pieces then go: the
original and the finish's record are what stays.
"""

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from diary.core import filestore
from diary.core.fields import EncryptedCharField, WrappedKeyField
from diary.core.hashing import iso
from diary.models.diaries import Diary
from diary.models.entries import Entry
from diary.models.ledgered import Ledgered
from diary.models.safety import OwnerSession


def _expires() -> Any:
    return timezone.now() + timedelta(seconds=settings.UPLOAD_EXPIRES_SECONDS)


class Upload(models.Model):
    class Party(models.TextChoices):
        OWNER = "owner"
        CONTACT = "contact"

    class Kind(models.TextChoices):
        FILE = "file"  # a file chosen from the phone, of known length
        RECORDING = "recording"  # made in the page, its length known only when it stops

    class Media(models.TextChoices):
        NONE = "", "a file"
        AUDIO = "audio"
        VIDEO = "video"
        PHOTO = "photo"

    class State(models.TextChoices):
        OPEN = "open"
        COMPLETE = "complete"
        CUT_OFF = "cut_off"
        REFUSED = "refused"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="+")
    # The owner's entry the file goes on; none: a recording or photo that becomes an entry.
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, null=True, related_name="+")
    party = models.CharField(max_length=8, choices=Party.choices)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The owner's session that started it: only that session goes on with it, so her password
    # and an upload's id (her phone's page, or a copy of the database) reach nothing from
    # another browser.
    owner_session = models.ForeignKey(
        OwnerSession, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # A contact's device (witnesses.WitnessDevice's id: diary never imports witnesses; the
    # contact's pages find uploads by it, and only while its link works).
    contact_device = models.PositiveBigIntegerField(null=True, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    media = models.CharField(max_length=8, choices=Media.choices, blank=True, default="")
    name = EncryptedCharField(max_length=255, blank=True)
    # What the owner said of a file she chose ("Add files"): its kind and a description.
    evidence_kind = models.CharField(max_length=16, blank=True, default="")
    description = EncryptedCharField(max_length=300, blank=True)
    length = models.PositiveBigIntegerField(null=True)  # null until a recording stops
    offset = models.PositiveBigIntegerField(default=0)
    # The whole file's SHA-256 as the client declared it (hex), checked when it completes.
    declared_sha256 = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_piece_at = models.DateTimeField(null=True)
    expires_at = models.DateTimeField(default=_expires)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    refusal = models.CharField(max_length=300, blank=True, default="")
    # What it became: the ledger's label of the row that keeps it ("diary.evidence:12").
    result = models.CharField(max_length=100, blank=True, default="")
    result_url = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        indexes = [
            # tend_jobs: open recordings gone quiet, and open uploads past their time.
            models.Index(fields=["state", "kind", "last_piece_at"], name="upload_quiet"),
            models.Index(fields=["state", "expires_at"], name="upload_expiry"),
        ]

    def __str__(self) -> str:
        return f"upload {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN and self.expires_at > timezone.now()


class UploadPiece(models.Model):
    """One piece as it arrived, whole, kept encrypted with its SHA-256 taken on arrival."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="pieces")
    number = models.PositiveIntegerField()
    offset = models.PositiveBigIntegerField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored = models.FileField(max_length=200)
    stored_key = WrappedKeyField()
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["upload", "number"], name="upload_piece_number"),
            models.UniqueConstraint(fields=["upload", "offset"], name="upload_piece_offset"),
        ]

    def __str__(self) -> str:
        return f"piece {self.number} of {self.upload_id}"

    @property
    def stored_file(self) -> filestore.Ref:
        return filestore.Ref.of(self.stored, self.stored_key)


class UploadFinish(Ledgered):
    """How an upload ended and what it became, with each piece's hash: the ledger's record of
    a file or recording that arrived in pieces (written in the transaction that keeps it)."""

    class Outcome(models.TextChoices):
        COMPLETE = "complete"
        CUT_OFF = "cut_off"

    upload = models.OneToOneField(Upload, on_delete=models.PROTECT, related_name="finish")
    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    kind = models.CharField(max_length=16, choices=Upload.Kind.choices)
    media = models.CharField(max_length=8, blank=True, default="")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Each piece in order: [offset, size, sha256].
    pieces = models.JSONField(default=list)
    started_at = models.DateTimeField()
    # How long into the recording its last piece ended (as the server saw it), when cut off.
    cut_off_after = models.DurationField(null=True)
    result = models.CharField(max_length=100)
    finished_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"finish of {self.upload_id}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "upload": str(self.upload_id),
            "outcome": self.outcome,
            "kind": self.kind,
            "media": self.media,
            "size": self.size,
            "sha256": self.sha256,
            "pieces": self.pieces,
            "started_at": iso(self.started_at),
            "cut_off_after_seconds": (
                round(self.cut_off_after.total_seconds(), 3) if self.cut_off_after else None
            ),
            "result": self.result,
            "finished_at": iso(self.finished_at),
        }
