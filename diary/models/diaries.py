"""The diary an owner keeps, and every change to its title or time zone."""

import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.core.fields import EncryptedCharField
from diary.core.hashing import GENESIS_HASH, iso
from diary.models.ledgered import Ledgered


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(messages.UNKNOWN_TIME_ZONE, code="time_zone")


def default_time_zone() -> str:
    return settings.OWNER_DEFAULT_TIME_ZONE


class Diary(Ledgered):
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="diary"
    )
    # Neutral by default: someone glancing at the screen should learn nothing. Encrypted: the
    # title she chose may say what the diary is about.
    title = EncryptedCharField(_("title"), max_length=80, default="Notes")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The title and time zone it was made with (for rows of ledger content version 2): its
    # ledger then knows every title and zone it has had, and verify_ledger checks the row's own.
    created_title = EncryptedCharField(max_length=80, blank=True, default="", editable=False)
    created_time_zone = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The ledger's head (its last record's seq and hash; 0 and the genesis hash before the
    # first), kept on the row every append locks, so an append reads it with the lock instead
    # of asking for it again (docs/performance.md). Only diary.ledger.services writes it, in
    # the transaction that inserts the record; verify_ledger checks it names the last record.
    head_seq = models.PositiveBigIntegerField(default=0, editable=False)
    head_hash = models.CharField(max_length=64, default=GENESIS_HASH, editable=False)

    HEAD_FIELDS = frozenset({"head_seq", "head_hash"})

    class Meta:
        verbose_name_plural = "diaries"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A diary saved again never writes its ledger head: the instance saved may have been
        read before the last append, and only the append moves the head."""
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.HEAD_FIELDS
            ]
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"diary {self.pk}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def ledger_content_v1(self) -> dict[str, Any]:
        return {"diary": self.pk, "owner": self.owner_id, "created_at": iso(self.created_at)}

    def ledger_content_v2(self) -> dict[str, Any]:
        return {"title": self.created_title, "time_zone": self.created_time_zone}


class DiarySettingsChange(Ledgered):
    """The diary's title or time zone as the owner set it; the latest is copied onto the diary."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="settings_changes")
    title = EncryptedCharField(_("title"), max_length=80)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    changed_at = models.DateTimeField(default=timezone.now, editable=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"settings change {self.pk}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "time_zone": self.time_zone,
            "changed_at": iso(self.changed_at),
            "changed_by": self.changed_by_id,
        }
