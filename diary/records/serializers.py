"""What the entries and items API takes in and gives back. Input serializers check types and
lengths; the services check the rest (the same rules the pages use).
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.evidence.serializers import EvidenceSerializer
from diary.models import (
    Entry,
    EntryVersion,
    EntryWithdrawal,
    Item,
    ItemVersion,
)
from diary.models.choices import Behaviour
from diary.web.serializers import BehavioursField, BoundedDateTimeField, InputModelSerializer


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


class ItemInputSerializer(InputModelSerializer):
    found_at = BoundedDateTimeField(required=False, help_text="Defaults to now.")

    class Meta:
        model = ItemVersion
        fields = ItemVersion.CONTENT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the owner's own entries (records.selectors.entries_to_link); none otherwise.
        entry_field = self.fields["entry"]
        assert isinstance(entry_field, serializers.PrimaryKeyRelatedField)  # the foreign key
        entry_field.queryset = self.context.get("entries", Entry.objects.none())  # type: ignore[arg-type]  # a stubs bug, django-stubs#3666


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


class EntrySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    withdrawn = serializers.BooleanField(source="is_withdrawn", read_only=True)
    evidence_count: serializers.Field = serializers.IntegerField(read_only=True)
    latest = VersionSerializer(source="current", read_only=True)

    class Meta:
        model = Entry
        fields: tuple[str, ...] = (
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
        fields: tuple[str, ...] = ("id", "number", "reference", "received_at", "latest")


class ItemDetailSerializer(ItemSerializer):
    versions = ItemVersionSerializer(many=True, read_only=True)

    class Meta(ItemSerializer.Meta):
        fields = (*ItemSerializer.Meta.fields, "versions")
