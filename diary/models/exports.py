"""Bundles handed over: what each covered, and the ledger head it was made at."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from diary.core import filestore
from diary.core.fields import ChoiceSetField, EncryptedTextField, WrappedKeyField
from diary.core.hashing import iso
from diary.models.choices import Behaviour
from diary.models.diaries import Diary
from diary.models.ledgered import Ledgered


class Export(Ledgered):
    """A bundle handed over: what it covered, and the ledger head it was made at."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="exports")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    behaviours = ChoiceSetField(choices=Behaviour.choices, blank=True)
    head_seq = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    manifest_sha256 = models.CharField(max_length=64)
    bundle = models.FileField(max_length=200)
    bundle_key = WrappedKeyField()
    size = models.PositiveBigIntegerField()
    # The SHA-256 of the zip as stored (its plaintext: the file the owner downloads); "" for a
    # bundle made before it was kept.
    bundle_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)
    # What heads the bundle's PDF, as the owner answered at export: kept so the next export
    # can offer the same answers, and shown nowhere else.
    title = EncryptedTextField(max_length=200, blank=True)
    owner_name = EncryptedTextField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["diary", "number"], name="export_number_unique"),
        ]

    def __str__(self) -> str:
        return f"export {self.number} of diary {self.diary_id}"

    @property
    def bundle_file(self) -> filestore.Ref:
        return filestore.Ref.of(self.bundle, self.bundle_key)

    @property
    def download_name(self) -> str:
        return f"bundle-{self.number:03d}-{self.created_at:%Y%m%d-%H%M}.zip"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "export": self.number,
            "created_at": iso(self.created_at),
            "created_by": self.created_by_id,
            "since": iso(self.since) if self.since else None,
            "until": iso(self.until) if self.until else None,
            "behaviours": self.behaviours,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "manifest_sha256": self.manifest_sha256,
        }

    def ledger_content_v2(self) -> dict[str, Any]:
        return {"bundle_sha256": self.bundle_sha256}

    @property
    def ledger_file(self) -> filestore.Ref | None:
        """The stored zip, which verify_ledger re-hashes against `bundle_sha256` (when kept)."""
        return self.bundle_file if self.bundle_sha256 else None

    @property
    def sha256(self) -> str:
        return self.bundle_sha256
