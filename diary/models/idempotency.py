"""The answers keyed sends got, so a retried send is not recorded twice."""

from django.db import models
from django.utils import timezone

from diary.core.fields import EncryptedJSONField


class IdempotencyKey(models.Model):
    """The answer a keyed send got, so a retry of it (a bad signal, a double tap) gets the same
    answer instead of making a second record. Written in the same transaction as the record.

    Keys belong to one actor (`owner:<id>` or `witness:<id>`, as the ledger names them), so
    nobody can replay another's; they are forgotten after IDEMPOTENCY_KEY_HOURS."""

    actor = models.CharField(max_length=40)
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    # Encrypted: the answer holds what was sent.
    response = EncryptedJSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "scope", "key"], name="idempotency_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_age")]

    def __str__(self) -> str:
        return f"idempotency key {self.pk}"
