"""What the API takes in and gives back. Input serializers check types and lengths; the
services check the rest (the same rules the pages use)."""

from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.choices import Behaviour, EvidenceKind
from diary.hashing import iso
from diary.messages import DATE_RANGE_REVERSED, WHEN_TOO_EARLY, YEAR_OUT_OF_RANGE
from diary.models import (
    EARLIEST_YEAR,
    Entry,
    EntryVersion,
    EntryWithdrawal,
    Evidence,
    Export,
    Item,
    ItemVersion,
    LedgerRecord,
)


class BehavioursField(serializers.ListField):
    child = serializers.ChoiceField(choices=Behaviour.choices)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", len(Behaviour.choices))
        super().__init__(**kwargs)


# Input

LATEST_YEAR = 2100


class BoundedDateTimeField(serializers.DateTimeField):
    """A time between 1900 and 2100, kept in UTC. Outside those years it is a typo, and an odd
    offset (+20:03) in year 1 or 9999 overflows or is refused by PostgreSQL: stop it here."""

    default_error_messages = {
        "too_early": WHEN_TOO_EARLY,
        "range": YEAR_OUT_OF_RANGE,
        "overflow": YEAR_OUT_OF_RANGE,
    }

    def to_internal_value(self, value: Any) -> datetime:
        parsed = super().to_internal_value(value)
        if parsed.year < EARLIEST_YEAR:
            self.fail("too_early")
        if parsed.year > LATEST_YEAR:
            self.fail("range")
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            self.fail("range")


class InputModelSerializer(serializers.ModelSerializer):
    """A model's fields as input, with every time bounded."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: BoundedDateTimeField,
    }


class EntryInputSerializer(InputModelSerializer):
    occurred_start = BoundedDateTimeField(
        required=False, help_text="When it happened. Defaults to now."
    )
    behaviours = BehavioursField()

    class Meta:
        model = EntryVersion
        fields = EntryVersion.CONTENT_FIELDS


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000)


class EvidenceInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Photo, video, audio, screenshot or document.")
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ItemInputSerializer(InputModelSerializer):
    found_at = BoundedDateTimeField(required=False, help_text="Defaults to now.")

    class Meta:
        model = ItemVersion
        fields = ItemVersion.CONTENT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        diary = self.context.get("diary")
        # Only the owner's own entries can be linked; any other id reads as "does not exist".
        self.fields["entry"].queryset = Entry.objects.filter(diary=diary)


# Output


class VersionSerializer(serializers.ModelSerializer):
    behaviours = serializers.ListField(child=serializers.ChoiceField(choices=Behaviour.choices))

    class Meta:
        model = EntryVersion
        fields = ("number", "recorded_at", *EntryVersion.CONTENT_FIELDS)


class WithdrawalSerializer(serializers.ModelSerializer):
    class Meta:
        model = EntryWithdrawal
        fields = ("reason", "withdrawn_at")


class EvidenceSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    entry = serializers.IntegerField(source="entry_id", read_only=True)
    device_time_trusted = serializers.SerializerMethodField(
        help_text="Always false: the time a file claims can be edited by anyone."
    )
    original_url = serializers.SerializerMethodField()
    has_preview = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = (
            "id",
            "reference",
            "entry",
            "kind",
            "original_name",
            "mime_type",
            "size",
            "sha256",
            "device_time",
            "device_time_trusted",
            "received_at",
            "description",
            "original_url",
            "has_preview",
        )

    def get_device_time_trusted(self, evidence: Evidence) -> bool:
        return False

    def get_original_url(self, evidence: Evidence) -> str:
        return reverse("api:evidence_original", args=[evidence.pk])

    def get_has_preview(self, evidence: Evidence) -> bool:
        return bool(evidence.preview)


class EntrySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    withdrawn = serializers.BooleanField(source="is_withdrawn", read_only=True)
    evidence_count = serializers.IntegerField(read_only=True)
    latest = VersionSerializer(source="current", read_only=True)

    class Meta:
        model = Entry
        fields = (
            "id",
            "number",
            "reference",
            "source",
            "received_at",
            "withdrawn",
            "evidence_count",
            "latest",
        )


class EntryDetailSerializer(EntrySerializer):
    evidence_count = serializers.SerializerMethodField()
    versions = VersionSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    withdrawal = serializers.SerializerMethodField()

    class Meta(EntrySerializer.Meta):
        fields = (*EntrySerializer.Meta.fields, "versions", "evidence", "withdrawal")

    def get_evidence_count(self, entry: Entry) -> int:
        return len(entry.evidence.all())

    @extend_schema_field(WithdrawalSerializer(allow_null=True))
    def get_withdrawal(self, entry: Entry) -> dict[str, Any] | None:
        if not entry.is_withdrawn:
            return None
        return WithdrawalSerializer(entry.withdrawal).data


class ItemVersionSerializer(serializers.ModelSerializer):
    entry = serializers.IntegerField(source="entry_id", allow_null=True, read_only=True)

    class Meta:
        model = ItemVersion
        fields = ("number", "recorded_at", *ItemVersion.CONTENT_FIELDS)


class ItemSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    latest = ItemVersionSerializer(source="current", read_only=True)

    class Meta:
        model = Item
        fields = ("id", "number", "reference", "received_at", "latest")


class ItemDetailSerializer(ItemSerializer):
    versions = ItemVersionSerializer(many=True, read_only=True)

    class Meta(ItemSerializer.Meta):
        fields = (*ItemSerializer.Meta.fields, "versions")


class LedgerRecordSerializer(serializers.ModelSerializer):
    at = serializers.SerializerMethodField(help_text="UTC, exactly as the hash covers it.")

    class Meta:
        model = LedgerRecord
        fields = ("seq", "kind", "object", "actor", "at", "content_sha256", "prev_hash", "hash")

    @extend_schema_field(OpenApiTypes.STR)
    def get_at(self, record: LedgerRecord) -> str:
        return iso(record.at)


class VerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    records = serializers.IntegerField(help_text="How many records were checked.")
    head = serializers.CharField(allow_null=True, help_text="The hash of the last record.")
    problem = serializers.CharField(allow_null=True, help_text="The first bad record, if any.")


class ExportInputSerializer(serializers.Serializer):
    since = BoundedDateTimeField(required=False, allow_null=True)
    until = BoundedDateTimeField(required=False, allow_null=True)
    behaviours = BehavioursField()
    include_contacts = serializers.BooleanField(default=False)
    include_reasons = serializers.BooleanField(default=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise serializers.ValidationError({"until": [str(DATE_RANGE_REVERSED)]})
        return data


class ExportSerializer(serializers.ModelSerializer):
    behaviours = serializers.ListField(child=serializers.ChoiceField(choices=Behaviour.choices))
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = (
            "id",
            "number",
            "created_at",
            "since",
            "until",
            "behaviours",
            "head_seq",
            "head_hash",
            "manifest_sha256",
            "size",
            "download_url",
        )

    def get_download_url(self, export: Export) -> str:
        return reverse("api:export_download", args=[export.pk])
