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
from diary.core.hashing import iso
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

    class Meta:
        verbose_name_plural = "diaries"

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
