"""About the person: what the owner knows of the person responsible, in versions."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary.core import filestore
from diary.core.fields import EncryptedTextField, WrappedKeyField
from diary.core.hashing import iso
from diary.models.diaries import Diary
from diary.models.ledgered import Ledgered


class Relationship(models.TextChoices):
    UNKNOWN = "", _("Not known, or I would rather not say")
    FORMER_PARTNER = "former_partner", _("A former partner")
    PARTNER = "partner", _("A partner")
    FAMILY = "family", _("Family")
    ACQUAINTANCE = "acquaintance", _("Someone I know")
    COLLEAGUE = "colleague", _("Someone from work or study")
    NEIGHBOUR = "neighbour", _("A neighbour")
    ONLINE = "online", _("Someone I know only online")
    STRANGER = "stranger", _("A stranger")
    OTHER = "other", _("Other")


class PersonVersion(Ledgered):
    """One version of "About the person". Saving adds a version; earlier ones are kept."""

    diary = models.ForeignKey(Diary, on_delete=models.PROTECT, related_name="person_versions")
    number = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    name = EncryptedTextField(_("name, if you know it"), max_length=200, blank=True)
    description = EncryptedTextField(_("description"), max_length=2_000, blank=True)
    # Encrypted too: even the kind of relationship says something about the owner.
    relationship = EncryptedTextField(_("who they are to you"), max_length=40, blank=True)
    relationship_other = EncryptedTextField(_("in your words"), max_length=200, blank=True)
    vehicles = EncryptedTextField(_("vehicles"), max_length=1_000, blank=True)
    addresses = EncryptedTextField(_("addresses you know of"), max_length=1_000, blank=True)
    photo = models.FileField(max_length=200, blank=True)
    photo_key = WrappedKeyField()
    photo_sha256 = models.CharField(max_length=64, blank=True)

    CONTENT_FIELDS = (
        "name",
        "description",
        "relationship",
        "relationship_other",
        "vehicles",
        "addresses",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["diary", "number"], name="person_version_unique"),
        ]

    def __str__(self) -> str:
        return f"about the person {self.number} of diary {self.diary_id}"

    @property
    def photo_file(self) -> filestore.Ref:
        return filestore.Ref.of(self.photo, self.photo_key)

    @property
    def relationship_label(self) -> str:
        if self.relationship == Relationship.OTHER and self.relationship_other:
            return str(self.relationship_other)
        if not self.relationship:
            return ""
        return str(dict(Relationship.choices).get(str(self.relationship), self.relationship))

    def ledger_content_v1(self) -> dict[str, Any]:
        return {
            "version": self.number,
            "recorded_at": iso(self.recorded_at),
            "recorded_by": self.recorded_by_id,
            "photo_sha256": self.photo_sha256,
            **{name: str(getattr(self, name)) for name in self.CONTENT_FIELDS},
        }
