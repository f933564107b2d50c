"""Files kept byte for byte: the evidence on entries (and, in witnesses, what contacts send)."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary.core import filestore
from diary.core.fields import EncryptedCharField, WrappedKeyField
from diary.core.hashing import iso
from diary.models.choices import EvidenceKind
from diary.models.diaries import Diary
from diary.models.entries import Entry
from diary.models.ledgered import Ledgered


class KeptFile(models.Model):
    """A file kept byte-exact under a server-made name, with the SHA-256 taken on arrival and an
    optional metadata-free preview. Diary evidence and witnesses' files both are one."""

    kind = models.CharField(_("kind"), max_length=16, choices=EvidenceKind.choices)
    original = models.FileField(max_length=200)
    original_key = WrappedKeyField()
    original_name = EncryptedCharField(max_length=255)
    mime_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    preview = models.FileField(max_length=200, blank=True)
    preview_key = WrappedKeyField()
    # The preview's own SHA-256 (of its JPEG bytes), taken as it was made; "" without one.
    preview_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)
    # What the file itself claims (EXIF). Anyone can set it, so it is never trusted.
    device_time = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    # Why opening the original could tell whoever made it when and where it was opened
    # (diary.evidence.callhome's reasons, comma-separated); "" for a file that cannot. Not in
    # the ledger's content: it is a reading of the bytes, which the ledger already hashes.
    call_home = models.CharField(max_length=100, blank=True, default="")
    # When that reading was made; null for a file kept before files were checked, until
    # `manage.py check_call_home` reads it (so "" alone does not mean "checked and harmless").
    call_home_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def could_call_home(self) -> bool:
        return bool(self.call_home)

    @property
    def call_home_reasons(self) -> list[str]:
        return [reason for reason in self.call_home.split(",") if reason]

    @property
    def original_file(self) -> filestore.Ref:
        return filestore.Ref.of(self.original, self.original_key)

    @property
    def preview_file(self) -> filestore.Ref:
        return filestore.Ref.of(self.preview, self.preview_key)

    @property
    def ledger_file(self) -> filestore.Ref:
        """The stored bytes verify_ledger re-hashes against `sha256`."""
        return self.original_file

    def file_content(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "original_name": self.original_name,
            "mime_type": self.mime_type,
            "size": self.size,
            "sha256": self.sha256,
            "device_time": iso(self.device_time) if self.device_time else None,
            "received_at": iso(self.received_at),
        }

    def ledger_content_v2(self) -> dict[str, Any]:
        """Which preview was made from this original: the hash of its bytes, which
        verify_ledger checks the stored preview against (its stored name is not kept: moving
        or re-encrypting a file changes the name, never the bytes)."""
        return {"preview_sha256": self.preview_sha256 or None}

    @property
    def ledger_preview(self) -> filestore.Ref | None:
        """The stored preview verify_ledger re-hashes against `preview_sha256` (when kept)."""
        return self.preview_file if self.preview_sha256 and self.preview else None


class Evidence(KeptFile, Ledgered):
    """One original file on an entry, with the hash taken the moment it arrived."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="evidence")
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="evidence")
    number = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    description = EncryptedCharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "evidence"
        constraints = [
            models.UniqueConstraint(fields=["diary", "number"], name="evidence_number_unique"),
        ]

    def __str__(self) -> str:
        return f"evidence {self.reference}"

    @property
    def kind_change(self) -> "EvidenceKindChange | None":
        """The owner's latest correction of what the file is, if she made one. Read from
        `kind_changes` (prefetch it for a list of files)."""
        changes = sorted(self.kind_changes.all(), key=lambda change: change.pk)
        return changes[-1] if changes else None

    @property
    def shown_kind(self) -> str:
        """What the file is: the owner's correction, else the kind it was received as."""
        change = self.kind_change
        return change.kind if change else self.kind

    def get_shown_kind_display(self) -> str:
        return str(EvidenceKind(self.shown_kind).label)

    @property
    def reference(self) -> str:
        return f"E{self.number:03d}"

    @property
    def download_name(self) -> str:
        return f"{self.reference}{self.extension}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "evidence": self.reference,
            "entry": self.entry_id,
            **self.file_content(),
            "uploaded_by": self.uploaded_by_id,
            "description": self.description,
        }


class EvidenceKindChange(Ledgered):
    """The owner says a file is another kind than it was received as (a screenshot taken for a
    photo). The file's own row keeps the kind it came in as; each correction is a row of its
    own, with its ledger record, and the latest one is what the file is shown as."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="+")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="kind_changes")
    kind = models.CharField(_("kind"), max_length=16, choices=EvidenceKind.choices)
    was = models.CharField(max_length=16, choices=EvidenceKind.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"kind of evidence {self.evidence_id}: {self.was} -> {self.kind}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "evidence": f"E{self.evidence.number:03d}",
            "was": self.was,
            "kind": self.kind,
            "changed_by": self.changed_by_id,
            "changed_at": iso(self.changed_at),
        }
