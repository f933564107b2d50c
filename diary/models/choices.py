"""The fixed vocabularies of a diary: what police diaries ask an owner to name."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Behaviour(models.TextChoices):
    CONTACT = "contact", _("Contact or attempted contact")
    PUBLISHING = "publishing", _("Publishing material about me")
    MONITORING = "monitoring", _("Monitoring, including online")
    LOITERING = "loitering", _("Loitering")
    PROPERTY = "property", _("Interfering with property")
    WATCHING = "watching", _("Watching or spying")
    APPROACHING_OTHERS = "approaching_others", _("Approaching people I know")
    ITEMS = "items", _("Leaving items or “gifts”")
    THREATS = "threats", _("Threats")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE_CALL = "phone_call", _("Phone call")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("E-mail")
    SOCIAL_MEDIA = "social_media", _("Social media")
    LETTER = "letter", _("Letter or note")
    ITEM_LEFT = "item_left", _("Item left")
    OTHER = "other", _("Other")


class Precision(models.TextChoices):
    EXACT = "exact", _("At this time")
    APPROXIMATE = "approximate", _("Around this time")
    RANGE = "range", _("Between two times")


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    SCREENSHOT = "screenshot", _("Screenshot")
    DOCUMENT = "document", _("Document")


class ItemKind(models.TextChoices):
    GIFT = "gift", _("“Gift”")
    LETTER = "letter", _("Letter or card")
    PACKAGE = "package", _("Package or delivery")
    DAMAGED_PROPERTY = "damaged_property", _("Damaged property")
    OTHER = "other", _("Other")


class Storage(models.TextChoices):
    LEFT_UNTOUCHED = "untouched", _("Left where it was")
    BOXED = "boxed", _("Boxed")
    PAPER_BAG = "paper_bag", _("Paper bag")
    PLASTIC_BAG = "plastic_bag", _("Plastic bag")
    FROZEN = "frozen", _("Frozen")
    PHOTOGRAPHED = "photographed", _("Photographed only")
    OTHER = "other", _("Other")
