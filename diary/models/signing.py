"""The record of the instance's signing keys following one another (diary.ledger.keys)."""

from django.db import models


class KeyRotation(models.Model):
    """ "Key A is followed by key B from T", signed by both keys: someone holding only A's
    fingerprint can follow the chain to the key that signs now. Append-only, one a pair."""

    old_fingerprint = models.CharField(max_length=64)
    old_public_key = models.CharField(max_length=44)
    new_fingerprint = models.CharField(max_length=64)
    new_public_key = models.CharField(max_length=44)
    at = models.DateTimeField()
    old_signature = models.CharField(max_length=88)
    new_signature = models.CharField(max_length=88)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["old_fingerprint", "new_fingerprint"], name="key_rotation_once"
            ),
        ]

    def __str__(self) -> str:
        return f"key {self.old_fingerprint[:8]} followed by {self.new_fingerprint[:8]}"
