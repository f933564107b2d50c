"""The ledger's rows: one link of a diary's hash chain each."""

from typing import Any

from django.db import models

from diary.core.hashing import canonical_sha256, iso
from diary.models.diaries import Diary


class LedgerRecord(models.Model):
    """One link of a diary's hash chain. It holds hashes of content, never the content."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="ledger")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=40)
    object = models.CharField(max_length=80)
    actor = models.CharField(max_length=40)
    at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["diary_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["diary", "seq"], name="ledger_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"ledger record {self.seq} of diary {self.diary_id}"

    def body(self) -> dict[str, Any]:
        return record_body(self)

    def computed_hash(self) -> str:
        return canonical_sha256(record_body(self))


def record_body(record: Any) -> dict[str, Any]:
    """The fields a ledger record's hash covers, exactly as the canonical JSON spells them.
    Takes a LedgerRecord or any row with its fields (verify_ledger reads plain rows)."""
    return {
        "seq": record.seq,
        "kind": record.kind,
        "object": record.object,
        "actor": record.actor,
        "at": iso(record.at),
        "content_sha256": record.content_sha256,
        "prev_hash": record.prev_hash,
    }
