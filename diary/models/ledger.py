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
        # A contact's receipt finds the record of their send by the object it names.
        indexes = [models.Index(fields=["diary", "object"], name="ledger_object")]

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


class HeadTimestamp(models.Model):
    """An RFC 3161 token in which an outside authority says a ledger head existed by its time.

    Kept as the authority sent it and never changed. It is not itself a ledger record: a record
    of it would be a new head, waiting for a token of its own, and the token needs no word of
    the server's to be believed: its signature is the authority's."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="timestamps")
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    authority = models.CharField(max_length=300)
    token = models.BinaryField()
    gen_time = models.DateTimeField()
    ca_pem = models.TextField()
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["diary_id", "seq", "authority"]
        constraints = [
            models.UniqueConstraint(
                fields=["diary", "seq", "authority"], name="head_timestamp_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"timestamp of record {self.seq} of diary {self.diary_id} by {self.authority}"


class TimestampFailure(models.Model):
    """A try at a timestamp that did not come back: shown to the owner until one succeeds."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField()
    authority = models.CharField(max_length=300)
    at = models.DateTimeField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["diary_id", "at"]
        indexes = [models.Index(fields=["diary", "at"], name="timestamp_failure_recent")]

    def __str__(self) -> str:
        return f"timestamp of record {self.seq} of diary {self.diary_id} failed: {self.reason}"
