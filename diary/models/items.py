"""The physical items register: letters, "gifts", packages, damaged property."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.core.fields import EncryptedCharField, EncryptedTextField
from diary.core.hashing import iso
from diary.models.choices import ItemKind, Storage
from diary.models.diaries import Diary
from diary.models.entries import Entry
from diary.models.ledgered import Ledgered
from diary.models.times import check_times, json_values


class Item(models.Model):
    """A physical thing: a "gift", a letter, a package, damaged property."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="items")
    number = models.PositiveIntegerField()
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    current = models.OneToOneField(
        "ItemVersion", on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["diary", "number"], name="item_number_unique"),
        ]

    def __str__(self) -> str:
        return f"item {self.reference}"

    @property
    def reference(self) -> str:
        return f"I{self.number:03d}"


class ItemVersion(Ledgered):
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    entry = models.ForeignKey(
        Entry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="item_versions",
        verbose_name=_("linked entry"),
    )
    kind = models.CharField(_("what kind"), max_length=20, choices=ItemKind.choices)
    description = EncryptedTextField(_("what it is"), max_length=2_000)
    found_at = models.DateTimeField(_("when it was found or received"))
    found_where = EncryptedCharField(_("where"), max_length=300, blank=True)
    found_by = EncryptedCharField(_("who found it"), max_length=120, blank=True)
    storage = models.CharField(
        _("how it is kept"), max_length=20, choices=Storage.choices, blank=True
    )
    handling = EncryptedTextField(_("how it was handled"), max_length=2_000, blank=True)
    current_location = EncryptedCharField(_("where it is now"), max_length=300, blank=True)
    police_handed_at = models.DateTimeField(_("handed to the police on"), null=True, blank=True)
    police_handed_to = EncryptedCharField(_("handed to"), max_length=120, blank=True)
    exhibit_reference = EncryptedCharField(_("exhibit reference"), max_length=60, blank=True)

    CONTENT_FIELDS = (
        "entry",
        "kind",
        "description",
        "found_at",
        "found_where",
        "found_by",
        "storage",
        "handling",
        "current_location",
        "police_handed_at",
        "police_handed_to",
        "exhibit_reference",
    )

    class Meta:
        ordering = ["item_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="item_version_unique"),
        ]

    def __str__(self) -> str:
        return f"version {self.number} of item {self.item_id}"

    def clean(self) -> None:
        errors = check_times(self, ("found_at", "police_handed_at"))
        if self.police_handed_at and self.found_at and self.police_handed_at < self.found_at:
            errors.setdefault("police_handed_at", messages.HANDED_BEFORE_FOUND)
        if errors:
            raise ValidationError(errors)

    def content_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}

    def content(self) -> dict[str, Any]:
        return {"entry": self.entry_id, **json_values(self, self.CONTENT_FIELDS[1:])}

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "item": self.item_id,
            "version": self.number,
            "recorded_at": iso(self.recorded_at),
            "recorded_by": self.recorded_by_id,
            **self.content(),
        }
