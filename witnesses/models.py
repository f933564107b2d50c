"""Trusted contacts: the people an owner invites by link, what they are shown, what they send.

State that changes (a link's expiry, a witness's sharing level) lives on `Witness` and
`WitnessLink`; every change to it is also kept as an append-only `WitnessEvent`, which is what
the ledger names. Submissions, their files, follow-ups and the owner's decisions are never
changed once written.
"""

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from diary.core import filestore
from diary.core.fields import EncryptedCharField, EncryptedTextField, WrappedKeyField
from diary.core.hashing import canonical_sha256, iso, text_sha256
from diary.models import Account, Diary, Entry, KeptFile, Ledgered, OwnerSession, json_values

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_reference() -> str:
    """A short receipt reference. Random, so it tells a witness nothing about other sends."""
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


class Relationship(models.TextChoices):
    FAMILY = "family", _("Family")
    FRIEND = "friend", _("Friend")
    NEIGHBOUR = "neighbour", _("Neighbour")
    COLLEAGUE = "colleague", _("Colleague")
    OTHER = "other", _("Other")


class Sharing(models.TextChoices):
    BRIEF = "brief", _("The brief only")
    MARKED = "marked", _("The brief and the entries you mark as shared")
    ALL = "all", _("The brief and your whole timeline, read-only")


class Witness(models.Model):
    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="witnesses")
    name = EncryptedCharField(_("name, as you know them"), max_length=120)
    relationship = models.CharField(_("relationship"), max_length=16, choices=Relationship.choices)
    contact = EncryptedCharField(
        _("phone or e-mail"),
        max_length=200,
        blank=True,
        help_text=_("Only for you. Nobody is ever contacted from here."),
    )
    sharing = models.CharField(
        _("what they can see"), max_length=16, choices=Sharing.choices, default=Sharing.BRIEF
    )
    sees_photo = models.BooleanField(_("show them the photo in the brief"), default=False)
    # A forwarded link then opens nothing while the contact's own phone is still on it.
    one_device = models.BooleanField(_("one phone or browser only"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "witnesses"

    def __str__(self) -> str:
        return f"witness {self.pk}"

    @property
    def attribution(self) -> str:
        return f"{self.name} ({self.get_relationship_display().lower()})"


class WitnessLink(models.Model):
    """One invite link. Only the SHA-256 of its token is kept; the token itself is shown once."""

    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="links")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The owner's session that made the link, or last extended it: the lockout check stops
    # links made from any other session. Blank for links made before this was noted, or away
    # from a browser (the demo). Sessions are never deleted, only ended.
    made_in_session = models.ForeignKey(
        OwnerSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"link {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class WitnessDevice(models.Model):
    """A browser that opened a link: its witness session. The cookie holds a random key; only
    the key's SHA-256 is stored here."""

    link = models.ForeignKey(WitnessLink, on_delete=models.PROTECT, related_name="devices")
    key_sha256 = models.CharField(max_length=64, unique=True)
    browser = models.CharField(max_length=80, blank=True)
    first_seen = models.DateTimeField(default=timezone.now, editable=False)
    last_seen = models.DateTimeField(default=timezone.now)
    # "Keep me on this phone": the cookie then lasts as long as the link, not the browser session.
    kept = models.BooleanField(default=False)
    # "Leave this site" on that device: its cookie, wherever a copy of it is, opens nothing more.
    left_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"device {self.pk}"


class WitnessEvent(Ledgered):
    """Something the owner did to a witness or their link: invite, extend, revoke, reissue,
    change what they can see. Append-only; these are what the ledger records."""

    class Kind(models.TextChoices):
        INVITE = "invite", _("Invited")
        EXTEND = "extend", _("Link extended")
        REVOKE = "revoke", _("Link revoked")
        REISSUE = "reissue", _("New link made")
        SHARE = "share", _("What they can see changed")
        PHOTO = "photo", _("Photo in the brief shown or hidden")
        ONE_DEVICE = "one_device", _("One device only turned on or off")

    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="events")
    link = models.ForeignKey(WitnessLink, on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now, editable=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} of witness {self.witness_id}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "witness": self.witness_id,
            "link": self.link_id,
            "kind": self.kind,
            "detail": self.detail,
            "at": iso(self.at),
            "by": self.by_id,
        }

    LEDGER_RELATED = ("witness",)

    def ledger_content_v2(self) -> dict[str, Any]:
        """Who the contact is, as the bundle names them: the hash of the name (never the name)
        and the relationship."""
        return {
            "name_sha256": text_sha256(self.witness.name),
            "relationship": self.witness.relationship,
        }


DEFAULT_SAFETY = _(
    "Do not approach or confront them.\n"
    "If anyone is in danger, call 999.\n"
    "Write down the exact words used as soon as you can.\n"
    "Only record what you saw or heard yourself."
)


class BriefVersion(Ledgered):
    """What the owner shows their witnesses. Editing adds a version; the latest is shown."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="brief_versions")
    number = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    person = EncryptedTextField(_("who to look out for"), max_length=2_000, blank=True)
    photo = models.FileField(max_length=200, blank=True)
    photo_key = WrappedKeyField()
    photo_sha256 = models.CharField(max_length=64, blank=True)
    vehicles = EncryptedTextField(_("vehicles"), max_length=1_000, blank=True)
    places = EncryptedTextField(_("places"), max_length=1_000, blank=True)
    what_to_record = EncryptedTextField(_("what to write down"), max_length=2_000, blank=True)
    safety = EncryptedTextField(_("keeping safe"), max_length=2_000, default=DEFAULT_SAFETY)

    CONTENT_FIELDS = ("person", "vehicles", "places", "what_to_record", "safety")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["diary", "number"], name="brief_version_unique"),
        ]

    def __str__(self) -> str:
        return f"brief {self.number} of diary {self.diary_id}"

    @property
    def photo_file(self) -> filestore.Ref:
        return filestore.Ref.of(self.photo, self.photo_key)

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "version": self.number,
            "recorded_at": iso(self.recorded_at),
            "recorded_by": self.recorded_by_id,
            "photo_sha256": self.photo_sha256,
            **{name: str(getattr(self, name)) for name in self.CONTENT_FIELDS},
        }


class SubmissionKind(models.TextChoices):
    SAW = "saw", _("I saw them")
    APPROACHED = "approached", _("They approached me or spoke to me")
    CONTACTED = "contacted", _("They contacted me by message, call or post")
    FOUND = "found", _("I found an item or damage")
    OTHER = "other", _("Something else")


# The same kinds, as the owner reads them in their inbox ("me" there would be the contact).
KIND_FOR_OWNER: dict[str, Promise] = {
    SubmissionKind.SAW: _("Saw them"),
    SubmissionKind.APPROACHED: _("Was approached or spoken to"),
    SubmissionKind.CONTACTED: _("Was contacted by message, call or post"),
    SubmissionKind.FOUND: _("Found an item or damage"),
    SubmissionKind.OTHER: _("Something else"),
}


class Statement(models.TextChoices):
    YES = "yes", _("Yes")
    MAYBE = "maybe", _("Maybe")
    NO = "no", _("No")


class Submission(Account, Ledgered):
    """What a witness sent, exactly as sent. The owner's decision is kept beside it."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="submissions")
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="submissions")
    link = models.ForeignKey(WitnessLink, on_delete=models.PROTECT, related_name="+")
    # The device it was sent from: only that device is shown it again. Not in the ledger
    # record, so the hashes of what was sent stay as they were.
    device = models.ForeignKey(
        WitnessDevice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(max_length=12, unique=True, default=new_reference)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    kind = models.CharField(_("what happened"), max_length=16, choices=SubmissionKind.choices)
    what_happened = EncryptedTextField(_("what you saw or heard"), max_length=10_000)
    statement = models.CharField(
        _("would you give the police a statement?"),
        max_length=8,
        choices=Statement.choices,
        blank=True,
    )
    statement_contact = EncryptedCharField(
        _("how the police can reach you"), max_length=200, blank=True
    )

    CONTENT_FIELDS = (
        "kind",
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
        "statement",
        "statement_contact",
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["diary", "-received_at"], name="submission_inbox")]

    def __str__(self) -> str:
        return f"submission {self.reference}"

    @property
    def kind_for_owner(self) -> str:
        return str(KIND_FOR_OWNER.get(self.kind, self.get_kind_display()))

    def content(self) -> dict[str, Any]:
        return json_values(self, self.CONTENT_FIELDS)

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "witness": self.witness_id,
            "link": self.link_id,
            "received_at": iso(self.received_at),
            **self.content(),
        }

    def ledger_content_v2(self) -> dict[str, Any]:
        return {"device_time": iso(self.device_time) if self.device_time else None}

    @property
    def content_sha256(self) -> str:
        """The hash on the witness's receipt: of exactly what they sent."""
        return canonical_sha256(self.ledger_content())


class SubmissionFile(KeptFile, Ledgered):
    """A file a witness sent, byte-exact. Accepting the submission makes it diary evidence."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="files")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"file {self.pk} of submission {self.submission_id}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {"submission": self.submission_id, **self.file_content()}


class FollowUp(Ledgered):
    """A note a witness adds to something they sent. The original stays untouched."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="follow_ups")
    text = EncryptedTextField(_("add a note"), max_length=5_000)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"follow-up {self.pk}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "submission": self.submission_id,
            "text": self.text,
            "received_at": iso(self.received_at),
        }


class Decision(Ledgered):
    """The owner's answer to a submission: into the timeline, or kept aside with a reason."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Added to the diary")
        KEPT_ASIDE = "kept_aside", _("Kept aside")

    submission = models.OneToOneField(Submission, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # Private to the owner: a witness never sees it.
    reason = EncryptedTextField(_("why (only you see this)"), max_length=2_000, blank=True)
    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="decision"
    )
    decided_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.outcome} for submission {self.submission_id}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "submission": self.submission_id,
            "outcome": self.outcome,
            "reason": self.reason,
            "entry": self.entry_id,
            "decided_at": iso(self.decided_at),
            "decided_by": self.decided_by_id,
        }


class SharedEntry(Ledgered):
    """An entry the owner marked as shared, for witnesses who see marked entries.

    Unsharing sets `unshared_at` (the row is kept); sharing again adds a new row."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(default=timezone.now, editable=False)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    unshared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(unshared_at__isnull=True),
                name="one_open_share_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"share of entry {self.entry_id}"

    def ledger_content_v1(self) -> dict[str, Any]:
        return {"entry": self.entry_id, "shared_at": iso(self.shared_at), "by": self.shared_by_id}
