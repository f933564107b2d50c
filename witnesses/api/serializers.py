"""What the witness API takes in and gives back, for the owner and for a witness.

Input serializers check types and lengths; the services check the rest. Output for a witness
never carries the owner's name, another witness's name, the owner's reasons, entry ids or files
from the diary.
"""

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.evidence import safeview
from diary.models import Entry, EntryVersion
from diary.models.choices import Behaviour
from diary.web.serializers import BoundedDateTimeField, DeviceClockField, InputModelSerializer
from witnesses.models import (
    BriefVersion,
    Decision,
    FollowUp,
    Sharing,
    Submission,
    SubmissionFile,
    Witness,
    WitnessDevice,
    WitnessLink,
)
from witnesses.selectors import receipt_document

# What the owner's inbox says of a submission, and what the witness who sent it is told.
INBOX_STATUS = (
    ("pending", "Waiting for you"),
    (Decision.Outcome.ACCEPTED.value, "Added to the diary"),
    (Decision.Outcome.KEPT_ASIDE.value, "Kept aside"),
)
INBOX_FILTERS = (*(value for value, _label in INBOX_STATUS), "all")
RECEIPT_STATUS = (
    ("received", "Received"),
    ("added", "Added to their diary"),
    ("kept_aside", "Kept aside"),
)
RECEIPT_FOR_OUTCOME = {
    None: "received",
    Decision.Outcome.ACCEPTED.value: "added",
    Decision.Outcome.KEPT_ASIDE.value: "kept_aside",
}
REPORTED_BY_A_CONTACT = "a contact"


def decision_of(submission: Submission) -> Decision | None:
    return getattr(submission, "decision", None)


# Input


class InviteInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Witness
        fields = ("name", "relationship", "contact", "sharing", "sees_photo")


class ExtendInputSerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=365, required=False, help_text="From now. Defaults to 90."
    )


class SharingInputSerializer(serializers.Serializer):
    sharing = serializers.ChoiceField(choices=Sharing.choices)
    sees_photo = serializers.BooleanField(
        required=False, help_text="Left out, it keeps its current value."
    )
    one_device = serializers.BooleanField(
        required=False,
        help_text="Their link opens on one device at a time. Left out, it keeps its value.",
    )


class BriefInputSerializer(serializers.ModelSerializer):
    photo = serializers.FileField(
        required=False, help_text="A picture; stored re-encoded, without location data."
    )
    remove_photo = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = BriefVersion
        fields = (*BriefVersion.CONTENT_FIELDS, "photo", "remove_photo")
        extra_kwargs = {name: {"required": False} for name in BriefVersion.CONTENT_FIELDS}


class InboxFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=INBOX_FILTERS, default="pending")


class KeepAsideInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000, help_text="Only you see this.")


class SubmissionInputSerializer(InputModelSerializer):
    occurred_start = BoundedDateTimeField(
        required=False, help_text="When it happened. Defaults to now."
    )
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Photos, videos, recordings or documents (multipart only).",
    )
    device_time = DeviceClockField()

    class Meta:
        model = Submission
        fields = (*Submission.CONTENT_FIELDS, "device_time", "files")


class FollowUpInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5_000)


# Output: the owner's side


class WitnessSerializer(serializers.ModelSerializer):
    has_active_link: serializers.Field = serializers.BooleanField(read_only=True)

    class Meta:
        model = Witness
        fields: tuple[str, ...] = (
            "id",
            "name",
            "relationship",
            "contact",
            "sharing",
            "sees_photo",
            "one_device",
            "created_at",
            "has_active_link",
        )


class WitnessDeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = WitnessDevice
        fields = ("browser", "first_seen", "last_seen", "left_at")


class WitnessLinkSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)
    devices = WitnessDeviceSerializer(many=True, read_only=True)

    class Meta:
        model = WitnessLink
        fields = ("created_at", "expires_at", "revoked_at", "active", "devices")


class WitnessDetailSerializer(WitnessSerializer):
    has_active_link = serializers.SerializerMethodField()
    links = WitnessLinkSerializer(many=True, read_only=True)

    class Meta(WitnessSerializer.Meta):
        fields = (*WitnessSerializer.Meta.fields, "links")

    def get_has_active_link(self, witness: Witness) -> bool:
        return any(link.is_active for link in witness.links.all())


class WitnessWithLinkSerializer(WitnessDetailSerializer):
    link = serializers.SerializerMethodField(
        help_text="The link to send them. Shown this once: only its hash is kept."
    )

    class Meta(WitnessDetailSerializer.Meta):
        fields = (*WitnessDetailSerializer.Meta.fields, "link")

    def get_link(self, witness: Witness) -> str:
        link: str = self.context["link"]
        return link


class BriefSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(allow_null=True, read_only=True)
    recorded_at = serializers.DateTimeField(allow_null=True, read_only=True)
    has_photo = serializers.SerializerMethodField()
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = BriefVersion
        fields = ("number", "recorded_at", *BriefVersion.CONTENT_FIELDS, "has_photo", "photo_url")

    def get_has_photo(self, brief: BriefVersion) -> bool:
        return bool(brief.photo)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_photo_url(self, brief: BriefVersion) -> str | None:
        return reverse("witnesses:brief_photo") if brief.photo else None


class WitnessSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Witness
        fields = ("id", "name", "relationship")


class SubmissionFileSerializer(serializers.ModelSerializer):
    original_url = serializers.SerializerMethodField()
    could_call_home = serializers.BooleanField(read_only=True)
    call_home_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    safe_view_url = serializers.SerializerMethodField(
        help_text="A page showing the file safely (pages as images, or its words); null if none."
    )

    class Meta:
        model = SubmissionFile
        fields = (
            "id",
            "original_name",
            "mime_type",
            "size",
            "sha256",
            "original_url",
            "could_call_home",
            "call_home_reasons",
            "safe_view_url",
        )

    def get_original_url(self, file: SubmissionFile) -> str:
        return reverse("witnesses:file_original", args=[file.pk])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_safe_view_url(self, file: SubmissionFile) -> str | None:
        if not safeview.offered(file):
            return None
        return reverse("witnesses:file_safe", args=[file.pk])


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ("text", "received_at")


class InboxSubmissionSerializer(serializers.ModelSerializer):
    content_sha256 = serializers.CharField(read_only=True)
    witness = WitnessSummarySerializer(read_only=True)
    status = serializers.SerializerMethodField()
    files = SubmissionFileSerializer(many=True, read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)
    entry = serializers.SerializerMethodField(help_text="The entry it became, once accepted.")
    reason = serializers.SerializerMethodField(help_text="Why you kept it aside. Only you see it.")

    class Meta:
        model = Submission
        fields = (
            "id",
            "reference",
            *Submission.CONTENT_FIELDS,
            "received_at",
            "content_sha256",
            "witness",
            "status",
            "files",
            "follow_ups",
            "entry",
            "reason",
        )

    @extend_schema_field(serializers.ChoiceField(choices=INBOX_STATUS))
    def get_status(self, submission: Submission) -> str:
        decision = decision_of(submission)
        return decision.outcome if decision else "pending"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_entry(self, submission: Submission) -> int | None:
        decision = decision_of(submission)
        return decision.entry_id if decision else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reason(self, submission: Submission) -> str | None:
        decision = decision_of(submission)
        if decision is None or decision.outcome != Decision.Outcome.KEPT_ASIDE:
            return None
        return decision.reason


# Output: a witness's side


class WitnessBriefSerializer(serializers.ModelSerializer):
    """The brief as a witness sees it. Context: `witness`, for whether the photo is shown."""

    recorded_at = serializers.DateTimeField(allow_null=True, read_only=True)
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = BriefVersion
        fields = ("recorded_at", *BriefVersion.CONTENT_FIELDS, "photo_url")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_photo_url(self, brief: BriefVersion) -> str | None:
        if not brief.photo or not self.context["witness"].sees_photo:
            return None
        return reverse("witness:brief_photo")


class SharedVersionSerializer(serializers.ModelSerializer):
    behaviours = serializers.ListField(child=serializers.ChoiceField(choices=Behaviour.choices))

    class Meta:
        model = EntryVersion
        fields = (
            "precision",
            "occurred_start",
            "occurred_end",
            "location",
            "what_happened",
            "words_used",
            "behaviours",
        )


class SharedEntrySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    latest = SharedVersionSerializer(source="current", read_only=True)
    reported_by = serializers.SerializerMethodField(
        help_text='"a contact" for what a witness reported; never a name.'
    )

    class Meta:
        model = Entry
        fields = ("number", "reference", "latest", "reported_by")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reported_by(self, entry: Entry) -> str | None:
        return REPORTED_BY_A_CONTACT if entry.source == Entry.Source.WITNESS else None


class ReceiptFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubmissionFile
        fields = ("original_name", "mime_type", "size", "sha256")


class ReceiptSerializer(serializers.ModelSerializer):
    """What a witness sent, as their receipt: never the owner's reason or the entry it became,
    and never the phone number or address they gave the police (whoever holds the phone
    later would read it)."""

    content_sha256 = serializers.CharField(read_only=True)
    status = serializers.SerializerMethodField()
    files = ReceiptFileSerializer(many=True, read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)
    receipt = serializers.SerializerMethodField(
        help_text="The receipt to keep (`sightline-receipt/1`): the ledger record of this send "
        "(`seq`, `hash`) and the head at that record signed by the instance's key. "
        "`python3 verify.py BUNDLE --receipt FILE` checks it against a bundle."
    )

    class Meta:
        model = Submission
        fields = (
            "reference",
            *(name for name in Submission.CONTENT_FIELDS if name != "statement_contact"),
            "received_at",
            "content_sha256",
            "status",
            "files",
            "follow_ups",
            "receipt",
        )

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_receipt(self, submission: Submission) -> dict[str, Any] | None:
        return receipt_document(submission)

    @extend_schema_field(serializers.ChoiceField(choices=RECEIPT_STATUS))
    def get_status(self, submission: Submission) -> str:
        decision = decision_of(submission)
        return RECEIPT_FOR_OUTCOME[decision.outcome if decision else None]


class EarlierSendSerializer(serializers.Serializer):
    """Something this contact sent from another device: when, and nothing else."""

    received_at = serializers.DateTimeField()


def blank_brief() -> BriefVersion:
    """What a brief says before the owner has written one: empty, with the safety advice."""
    return BriefVersion(recorded_at=None)  # type: ignore[misc]  # never saved: its time is null
