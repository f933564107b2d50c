"""Messages and calls brought in from the exports phones and mailboxes make: the export file,
kept byte for byte as evidence, and for each message that became an entry, where in that file
it came from and what the export said of it beyond its words."""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary.core import filestore
from diary.core.fields import EncryptedCharField, EncryptedJSONField, WrappedKeyField
from diary.core.hashing import canonical_sha256, iso, text_sha256
from diary.models.diaries import Diary
from diary.models.entries import Entry
from diary.models.ledgered import Ledgered


class MessageImport(Ledgered):
    """One export file brought in, and whom she chose from it."""

    class Format(models.TextChoices):
        WHATSAPP = "whatsapp", _("WhatsApp chat")
        TELEGRAM = "telegram", _("Telegram chat")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Texts and calls from an Android phone")

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="message_imports")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    format = models.CharField(max_length=16, choices=Format.choices)
    file_name = EncryptedCharField(max_length=255)
    original = models.FileField(max_length=200)
    original_key = WrappedKeyField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The zone times without one (WhatsApp's) were read in, as she answered; "" if none.
    time_zone = models.CharField(max_length=64, blank=True)
    # Whom she chose, as the export spells them, and whether messages to them count too.
    chosen = EncryptedJSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["diary", "number"], name="message_import_number"),
        ]

    def __str__(self) -> str:
        return f"import {self.number} of diary {self.diary_id}"

    @property
    def reference(self) -> str:
        return f"Import {self.number}"

    @property
    def original_file(self) -> filestore.Ref:
        return filestore.Ref.of(self.original, self.original_key)

    @property
    def bundle_path(self) -> str:
        """Where the bundle keeps the export: named by its number, with the extension of the
        file she brought in (her file's own name is in the manifest, not in a path)."""
        _stem, dot, suffix = self.file_name.rpartition(".")
        extension = suffix.lower() if dot and suffix.isalnum() and len(suffix) <= 5 else "bin"
        return f"imports/import-{self.number:03d}.{extension}"

    # verify_ledger re-hashes the stored export against `sha256`.
    ledger_file = original_file

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "import": self.number,
            "created_at": iso(self.created_at),
            "created_by": self.created_by_id,
            "format": self.format,
            "file_name_sha256": text_sha256(self.file_name),
            "size": self.size,
            "sha256": self.sha256,
            "time_zone": self.time_zone,
            "chosen_sha256": canonical_sha256(self.chosen or {}),
        }


class ImportedMessage(Ledgered):
    """One message or call from an export, as it became an entry."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="+")
    message_import = models.ForeignKey(
        MessageImport, on_delete=models.PROTECT, related_name="messages"
    )
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="imported")
    # The same message imported again (the same export, or one that overlaps) is found by
    # this: the SHA-256 of the export's own id, or of who, when and what.
    identity = models.CharField(max_length=64)
    position = models.CharField(max_length=120)  # "line 214", "offset 1048576", "sms 12"
    channel = models.CharField(max_length=16)
    direction = models.CharField(max_length=8)
    party = EncryptedCharField(max_length=320)
    party_name = EncryptedCharField(max_length=200, blank=True)
    sent_at = models.DateTimeField()
    # What the export said beyond the words: an e-mail's Message-ID, Received chain and DKIM
    # verdict, a call's kind and length, the chat's name.
    details = EncryptedJSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["diary", "identity"], name="imported_message_once"),
        ]

    def __str__(self) -> str:
        return f"message {self.position} of import {self.message_import_id}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "import": self.message_import_id,
            "entry": self.entry_id,
            "identity": self.identity,
            "position": self.position,
            "channel": self.channel,
            "direction": self.direction,
            "party_sha256": text_sha256(self.party),
            "party_name_sha256": text_sha256(self.party_name),
            "sent_at": iso(self.sent_at),
            "details_sha256": canonical_sha256(self.details or {}),
        }


class PendingImport(models.Model):
    """An export uploaded and read, waiting for her to choose whom to bring in. Not evidence
    yet (nothing was added): the file becomes a MessageImport when she adds its messages, and
    is deleted, with this row, if she never does (tend_jobs, after PENDING_IMPORT_HOURS)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    diary = models.ForeignKey(Diary, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    file_name = EncryptedCharField(max_length=255)
    stored = models.FileField(max_length=200)
    stored_key = WrappedKeyField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)  # of the bytes as uploaded
    format = models.CharField(max_length=16, choices=MessageImport.Format.choices, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    day_first = models.BooleanField(null=True)
    # Who is in it, once read: each party with its count, dates, how many are in the diary
    # already and the first words of a few messages (the preview).
    parties = EncryptedJSONField(default=list)
    # The import its messages are going into, once adding has begun, which keeps `stored` as
    # its original from then on: a retry of a job cut off half-way goes on with this one.
    message_import = models.OneToOneField(
        MessageImport, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"pending import {self.pk}"

    @property
    def stored_file(self) -> filestore.Ref:
        return filestore.Ref.of(self.stored, self.stored_key)
