"""Entries: one incident each, told in versions that are never changed; and withdrawals."""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.core.fields import (
    ChoiceSetField,
    EncryptedCharField,
    EncryptedDecimalField,
    EncryptedTextField,
    SearchIndexField,
)
from diary.core.hashing import canonical_sha256, iso, text_sha256
from diary.models.choices import Behaviour, Channel, Precision
from diary.models.diaries import Diary
from diary.models.ledgered import Ledgered
from diary.models.times import check_device_time, check_occurrence, json_values

if TYPE_CHECKING:
    from diary.models.items import Item


class Entry(models.Model):
    """One incident. What it says lives in its versions; `current` names the latest."""

    class Source(models.TextChoices):
        OWNER = "owner", _("You")
        WITNESS = "witness", _("A witness")
        IMPORTED = "imported", _("Imported from an export")

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="entries")
    number = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.OWNER)
    # For an entry accepted from a witness: "NAME (relationship)", as it was when accepted.
    reported_by = EncryptedCharField(max_length=200, blank=True)
    # Where it came from, when not written here (e.g. "witnesses.submission:12").
    origin = models.CharField(max_length=80, blank=True)
    # When the server first received it: set here, never changed.
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    current = models.OneToOneField(
        "EntryVersion", on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    # The current version's occurred_start, set with `current` and never otherwise: what the
    # timeline sorts by, kept here so its first page is read from the index below instead of
    # sorting every entry's current version (docs/performance.md). Not evidence: the version is.
    current_start = models.DateTimeField(null=True, editable=False)
    # Not a column: the items whose latest version names this entry, as entry_get finds them.
    linked_items: list["Item"]

    class Meta:
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(fields=["diary", "number"], name="entry_number_unique"),
        ]
        indexes = [
            models.Index(fields=["diary", "-current_start", "-number"], name="entry_timeline"),
        ]

    def __str__(self) -> str:
        return f"entry {self.reference}"

    @property
    def reference(self) -> str:
        return f"#{self.number}"

    @property
    def origin_id(self) -> int | None:
        """The id of the row this entry was taken from, if any (e.g. a submission)."""
        _label, _sep, pk = self.origin.partition(":")
        return int(pk) if pk.isdigit() else None

    @property
    def is_withdrawn(self) -> bool:
        return hasattr(self, "withdrawal")


class Account(models.Model):
    """One incident as told: when, where, what happened, the words used, the person.
    An owner's entry version and a witness's submission are both accounts."""

    precision = models.CharField(
        _("how exact"), max_length=16, choices=Precision.choices, default=Precision.EXACT
    )
    occurred_start = models.DateTimeField(_("when"), db_index=True)
    occurred_end = models.DateTimeField(_("until"), null=True, blank=True)
    location = EncryptedCharField(_("where"), max_length=300, blank=True)
    what_happened = EncryptedTextField(_("what happened"), max_length=10_000)
    words_used = EncryptedTextField(_("the exact words used"), max_length=5_000, blank=True)
    vehicle_registration = EncryptedCharField(_("vehicle registration"), max_length=20, blank=True)
    vehicle_make = EncryptedCharField(_("vehicle make and model"), max_length=80, blank=True)
    vehicle_colour = EncryptedCharField(_("vehicle colour"), max_length=40, blank=True)
    clothing = EncryptedTextField(_("what they wore"), max_length=1_000, blank=True)
    others_present = EncryptedTextField(_("who else was there"), max_length=1_000, blank=True)
    # What the writer's own device said the time was as they sent it (ISO 8601 with its offset,
    # kept in UTC). Anyone can set a device's clock: it is shown as the device's claim and used
    # for nothing else. Null when the device said nothing (no JavaScript, an older client).
    device_time = models.DateTimeField(_("the device's clock"), null=True, blank=True)

    ACCOUNT_FIELDS = (
        "precision",
        "occurred_start",
        "occurred_end",
        "location",
        "what_happened",
        "words_used",
        "vehicle_registration",
        "vehicle_make",
        "vehicle_colour",
        "clothing",
        "others_present",
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        errors = {**check_device_time(self), **check_occurrence(self)}
        if errors:
            raise ValidationError(errors)


class EntryVersion(Account, Ledgered):
    """What an entry said at one moment. Never changed; an amendment adds the next version."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    latitude = EncryptedDecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = EncryptedDecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    behaviours = ChoiceSetField(_("what kind of thing"), choices=Behaviour.choices, blank=True)
    channel = models.CharField(_("how"), max_length=16, choices=Channel.choices, blank=True)
    impact = EncryptedTextField(_("how it affected you"), max_length=5_000, blank=True)
    police_reported = models.BooleanField(_("reported to the police"), default=False)
    police_reference = EncryptedCharField(_("crime reference"), max_length=60, blank=True)
    police_officer = EncryptedCharField(_("officer's name and number"), max_length=120, blank=True)
    police_said = EncryptedTextField(_("what the police said"), max_length=2_000, blank=True)
    police_action = EncryptedTextField(_("action promised"), max_length=2_000, blank=True)

    # What text search finds (diary.records.selectors): a blind index of these fields, never
    # the text.
    SEARCH_FIELDS = (
        "what_happened",
        "words_used",
        "location",
        "vehicle_registration",
        "vehicle_make",
        "vehicle_colour",
        "clothing",
        "others_present",
        "impact",
        "police_reference",
        "police_officer",
    )
    search_index = SearchIndexField(sources=SEARCH_FIELDS, scope="entry.diary_id")

    # Everything above that the owner wrote, in the order an export shows it.
    CONTENT_FIELDS = (
        "precision",
        "occurred_start",
        "occurred_end",
        "location",
        "latitude",
        "longitude",
        "behaviours",
        "channel",
        "what_happened",
        "words_used",
        "vehicle_registration",
        "vehicle_make",
        "vehicle_colour",
        "clothing",
        "others_present",
        "impact",
        "police_reported",
        "police_reference",
        "police_officer",
        "police_said",
        "police_action",
    )

    class Meta:
        ordering = ["entry_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="entry_version_unique"),
            models.CheckConstraint(
                condition=Q(occurred_end__isnull=True)
                | Q(occurred_end__gte=models.F("occurred_start")),
                name="entry_version_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"version {self.number} of entry {self.entry_id}"

    def clean(self) -> None:
        errors = {**check_device_time(self), **check_occurrence(self)}
        if (self.latitude is None) != (self.longitude is None):
            errors.setdefault("longitude", messages.LAT_LONG_TOGETHER)
        if errors:
            raise ValidationError(errors)

    def content_values(self) -> dict[str, Any]:
        """What the owner wrote, as Python values: the starting point of an amendment."""
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}

    def content(self) -> dict[str, Any]:
        """What the owner wrote, as JSON-ready values."""
        return json_values(self, self.CONTENT_FIELDS)

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "entry": self.entry_id,
            "version": self.number,
            "recorded_at": iso(self.recorded_at),
            "recorded_by": self.recorded_by_id,
            **self.content(),
        }

    LEDGER_RELATED = ("entry",)

    def ledger_content_v2(self) -> dict[str, Any]:
        """What version 1 left to the entry's row: its reference, when the server first received
        it, where it came from and who it is credited to (a contact's name by its hash); and
        the device's claimed clock."""
        entry = self.entry
        return {
            "device_time": iso(self.device_time) if self.device_time else None,
            "entry_number": entry.number,
            "entry_received_at": iso(entry.received_at),
            "source": entry.source,
            "origin": entry.origin,
            "reported_by_sha256": text_sha256(entry.reported_by) if entry.reported_by else None,
        }

    @property
    def content_sha256(self) -> str:
        return canonical_sha256(self.ledger_content())


class EntryWithdrawal(Ledgered):
    """Hides an entry from the timeline. The entry and every version stay, listed as withdrawn."""

    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="withdrawal")
    reason = EncryptedTextField(_("why"), max_length=2_000)
    withdrawn_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"withdrawal of entry {self.entry_id}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "entry": self.entry_id,
            "reason": self.reason,
            "withdrawn_at": iso(self.withdrawn_at),
            "withdrawn_by": self.withdrawn_by_id,
        }
