"""The owner's diary: entries and their versions, evidence files, physical items, the ledger.

Nothing here is edited in place once recorded. A change to an entry or an item adds a version;
withdrawing adds a withdrawal. The only fields ever updated are the `current` pointers, which
name the latest version so the timeline needs no subquery to find it.
"""

import functools
import operator
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import filestore, messages
from diary.choices import Behaviour, Channel, EvidenceKind, ItemKind, Precision, Storage
from diary.fields import (
    ChoiceSetField,
    EncryptedCharField,
    EncryptedDecimalField,
    EncryptedJSONField,
    EncryptedTextField,
    SearchIndexField,
    WrappedKeyField,
)
from diary.hashing import canonical_sha256, iso

EARLIEST_YEAR = 1900


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """An owner signs in with an e-mail address; there are no usernames to guess."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return f"user {self.pk}"


def check_times(instance: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    """Errors for times in the future (beyond a little clock drift) or absurdly long ago;
    good times are converted to UTC on the instance."""
    errors: dict[str, Any] = {}
    latest_allowed = timezone.now() + timedelta(minutes=settings.FUTURE_TOLERANCE_MINUTES)
    for name in names:
        value = getattr(instance, name)
        if value is None:
            continue
        if value > latest_allowed:
            errors[name] = messages.WHEN_IN_FUTURE
        elif value.year < EARLIEST_YEAR:
            errors[name] = messages.WHEN_TOO_EARLY
        else:
            # Store UTC: an odd offset (+20:03) is legal in ISO 8601 but not in PostgreSQL.
            setattr(instance, name, value.astimezone(UTC))
    return errors


def check_occurrence(instance: Any) -> dict[str, Any]:
    """The rules for "when it happened": exact, approximate, or a range with an end."""
    errors = check_times(instance, ("occurred_start", "occurred_end"))
    if instance.precision == Precision.RANGE:
        if instance.occurred_end is None:
            errors.setdefault("occurred_end", messages.RANGE_NEEDS_END)
        elif instance.occurred_start and instance.occurred_end < instance.occurred_start:
            errors.setdefault("occurred_end", messages.END_BEFORE_START)
    elif instance.occurred_end is not None:
        errors.setdefault("occurred_end", messages.END_ONLY_FOR_RANGE)
    return errors


def json_value(value: Any) -> Any:
    """A field value as canonical JSON holds it: times in UTC, decimals to six places."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return f"{value:.6f}"
    return value


def json_values(obj: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    """`{name: json_value(obj.name)}` for each name, at half the cost (verify_ledger builds
    this for every version it checks; docs/performance.md): only the names whose fields hold
    times or decimals go through json_value."""
    get, typed = _json_plan(type(obj), names)
    values = dict(zip(names, get(obj), strict=True))
    for name in typed:
        values[name] = json_value(values[name])
    return values


@functools.cache
def _json_plan(
    model: type[models.Model], names: tuple[str, ...]
) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[str, ...]]:
    get = operator.attrgetter(*names)
    typed = tuple(
        name
        for name in names
        if isinstance(model._meta.get_field(name), models.DateTimeField | models.DecimalField)
    )
    return (get if len(names) > 1 else lambda obj: (get(obj),)), typed


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(messages.UNKNOWN_TIME_ZONE, code="time_zone")


def default_time_zone() -> str:
    return settings.OWNER_DEFAULT_TIME_ZONE


class Diary(models.Model):
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="diary"
    )
    # Neutral by default: someone glancing at the screen should learn nothing.
    title = models.CharField(_("title"), max_length=80, default="Notes")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "diaries"

    def __str__(self) -> str:
        return f"diary {self.pk}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def ledger_content(self) -> dict[str, Any]:
        return {"diary": self.pk, "owner": self.owner_id, "created_at": iso(self.created_at)}


class DiarySettingsChange(models.Model):
    """The diary's title or time zone as the owner set it; the latest is copied onto the diary."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="settings_changes")
    title = models.CharField(_("title"), max_length=80)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    changed_at = models.DateTimeField(default=timezone.now, editable=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"settings change {self.pk}"

    def ledger_content(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "time_zone": self.time_zone,
            "changed_at": iso(self.changed_at),
            "changed_by": self.changed_by_id,
        }


class Entry(models.Model):
    """One incident. What it says lives in its versions; `current` names the latest."""

    class Source(models.TextChoices):
        OWNER = "owner", _("You")
        WITNESS = "witness", _("A witness")

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

    class Meta:
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(fields=["diary", "number"], name="entry_number_unique"),
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
        errors = check_occurrence(self)
        if errors:
            raise ValidationError(errors)


class EntryVersion(Account):
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

    # What text search finds (diary.selectors): a blind index of these fields, never the text.
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
        errors = check_occurrence(self)
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

    def ledger_content(self) -> dict[str, Any]:
        return {
            "entry": self.entry_id,
            "version": self.number,
            "recorded_at": iso(self.recorded_at),
            "recorded_by": self.recorded_by_id,
            **self.content(),
        }

    @property
    def content_sha256(self) -> str:
        return canonical_sha256(self.ledger_content())


class EntryWithdrawal(models.Model):
    """Hides an entry from the timeline. The entry and every version stay, listed as withdrawn."""

    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="withdrawal")
    reason = EncryptedTextField(_("why"), max_length=2_000)
    withdrawn_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"withdrawal of entry {self.entry_id}"

    def ledger_content(self) -> dict[str, Any]:
        return {
            "entry": self.entry_id,
            "reason": self.reason,
            "withdrawn_at": iso(self.withdrawn_at),
            "withdrawn_by": self.withdrawn_by_id,
        }


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
    # What the file itself claims (EXIF). Anyone can set it, so it is never trusted.
    device_time = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    @property
    def original_file(self) -> filestore.Ref:
        return filestore.Ref(self.original.name, self.original_key)

    @property
    def preview_file(self) -> filestore.Ref:
        return filestore.Ref(self.preview.name, self.preview_key)

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


class Evidence(KeptFile):
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
    def reference(self) -> str:
        return f"E{self.number:03d}"

    @property
    def download_name(self) -> str:
        return f"{self.reference}{self.extension}"

    def ledger_content(self) -> dict[str, Any]:
        return {
            "evidence": self.reference,
            "entry": self.entry_id,
            **self.file_content(),
            "uploaded_by": self.uploaded_by_id,
            "description": self.description,
        }


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


class ItemVersion(models.Model):
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

    def ledger_content(self) -> dict[str, Any]:
        return {
            "item": self.item_id,
            "version": self.number,
            "recorded_at": iso(self.recorded_at),
            "recorded_by": self.recorded_by_id,
            **self.content(),
        }


class Export(models.Model):
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

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["diary", "number"], name="export_number_unique"),
        ]

    def __str__(self) -> str:
        return f"export {self.number} of diary {self.diary_id}"

    @property
    def bundle_file(self) -> filestore.Ref:
        return filestore.Ref(self.bundle.name, self.bundle_key)

    @property
    def download_name(self) -> str:
        return f"bundle-{self.number:03d}-{self.created_at:%Y%m%d-%H%M}.zip"

    def ledger_content(self) -> dict[str, Any]:
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


class RiskChecklist(models.Model):
    """One completed risk checklist: the owner's answers as they gave them, dated and kept.
    A new checklist never replaces an earlier one. There is no score."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="risk_checklists")
    number = models.PositiveIntegerField()
    completed_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The wording the questions had when answered (diary.risk.QUESTIONS_VERSION).
    questions_version = models.PositiveSmallIntegerField(default=1)
    # {question_code: {"answer": code, "note": text}}, as diary.risk validated it.
    answers = EncryptedJSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["diary", "number"], name="risk_checklist_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"risk checklist {self.number} of diary {self.diary_id}"

    def ledger_content(self) -> dict[str, Any]:
        return {
            "risk_checklist": self.number,
            "completed_at": iso(self.completed_at),
            "completed_by": self.completed_by_id,
            "questions_version": self.questions_version,
            "answers": self.answers,
        }


# Account safety: the owner's signed-in sessions, what the access log shows, notes seen once.


class OwnerSession(models.Model):
    """One signed-in browser of an owner, from sign-in until it ends. The owner sees these and
    can end any of them. `session_key` names Django's session, so ending deletes it."""

    class Ended(models.TextChoices):
        SIGNED_OUT = "signed_out", _("Signed out")
        ENDED = "ended", _("Ended from another session")
        ENDED_ALL = "ended_all", _("Ended with “sign out everywhere else”")
        IDLE = "idle", _("Signed out after a while without use")
        TOO_LONG = "too_long", _("Signed out after the longest time allowed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owner_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    browser = models.CharField(max_length=80, blank=True)
    # Encrypted: an address can tell where the owner is staying.
    ip = EncryptedCharField(max_length=45, null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now, editable=False)
    # Written at most once a minute (diary.security.SEEN_EVERY), never on every request.
    last_seen = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_how = models.CharField(max_length=16, choices=Ended.choices, blank=True)

    class Meta:
        indexes = [
            # The sessions page: an owner's sessions still open.
            models.Index(fields=["user", "ended_at"], name="owner_session_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ended_how="")
                | Q(ended_at__isnull=False) & ~Q(ended_how=""),
                name="owner_session_ended_with_how",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of user {self.user_id}"


class AccessEvent(models.Model):
    """One line of the owner's access log: sign-ins and refused tries, sessions ended, bundles
    made and downloaded, contacts' devices opening a link or visiting. Append-only."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in refused: wrong password")
        SECOND_STEP_FAILED = "second_step_failed", _("Right password, but the second step failed")
        LOCKED_OUT = "locked_out", _("Sign-ins paused from one connection after failed tries")
        SIGN_OUT = "sign_out", _("Signed out")
        SESSION_ENDED = "session_ended", _("A session was ended")
        SESSIONS_ENDED = "sessions_ended", _("Every other session was ended")
        TIMED_OUT = "timed_out", _("Signed out automatically")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset by e-mail")
        EMAIL_CHANGED = "email_changed", _("E-mail address changed")
        TWO_FACTOR_ADDED = "two_factor_added", _("Two-step sign-in added")
        TWO_FACTOR_REMOVED = "two_factor_removed", _("Two-step sign-in removed")
        EXPORT = "export", _("Bundle made")
        EXPORT_DOWNLOAD = "export_download", _("Bundle downloaded")
        WITNESS_DEVICE = "witness_device", _("A contact's link opened on a new device")
        WITNESS_VISIT = "witness_visit", _("A contact's device visited")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_events"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now, editable=False)
    browser = models.CharField(max_length=80, blank=True)
    # Encrypted: an address can tell where the owner is staying.
    ip = EncryptedCharField(max_length=45, null=True, blank=True)
    # Which of the owner's sessions did it, or was ended; blank for the rest.
    session = models.ForeignKey(
        OwnerSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A short note: which contact, which bundle. Never entry text. Encrypted: it names people.
    detail = EncryptedCharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            # The access log page: one owner's events, newest first.
            models.Index(fields=["user", "-at", "-id"], name="access_event_log"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"


class Notice(models.Model):
    """A note shown until the owner has read it once (the quick exit's limits, the welcome)."""

    class Kind(models.TextChoices):
        QUICK_EXIT = "quick_exit", _("What the quick exit cannot do")
        WELCOME = "welcome", _("Welcome: a safe device and two-step sign-in")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    seen_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notice_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} seen by user {self.user_id}"


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
