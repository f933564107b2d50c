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
from diary.records.differences import FieldChange, amendments, version_differences
from diary.web.serializers import (
    BehavioursField,
    BoundedDateTimeField,
    DeviceClockField,
    InputModelSerializer,
)


class EntryInputSerializer(InputModelSerializer):
    occurred_start = BoundedDateTimeField(
        required=False, help_text="When it happened. Defaults to now."
    )
    behaviours = BehavioursField()
    device_time = DeviceClockField()

    class Meta:
        model = EntryVersion
        fields = (*EntryVersion.CONTENT_FIELDS, "device_time")


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
        fields: tuple[str, ...] = (
            "number",
            "recorded_at",
            "device_time",
            *EntryVersion.CONTENT_FIELDS,
        )


class WordsSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["same", "removed", "added"])
    text = serializers.CharField()


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="Which field: a content field's name, or `when` (precision, start and end "
        "together) or `position` (latitude and longitude together)."
    )
    # A declared field, not Field.label: DRF's metaclass takes it off the class.
    label = serializers.CharField(help_text="The field's name as the pages show it.")  # type: ignore[assignment]
    before = serializers.CharField(
        help_text="In words, as the pages show it: choice labels, times in the diary's zone. "
        "Empty when it was blank."
    )
    after = serializers.CharField(help_text="The same, in this version.")
    words = WordsSerializer(
        many=True,
        help_text="For long text changed (not added or cleared): the words taken out and put "
        "in, with a long stretch left alike cut to the words either side and an ellipsis. "
        "Empty otherwise.",
    )


class VersionWithChangesSerializer(VersionSerializer):
    changes = serializers.SerializerMethodField(
        help_text="What this version changed from the one before, field by field; "
        "a field left alike is not listed. Empty for the first version."
    )

    class Meta(VersionSerializer.Meta):
        fields = (*VersionSerializer.Meta.fields, "changes")

    @extend_schema_field(FieldChangeSerializer(many=True))
    def get_changes(self, version: EntryVersion) -> list[dict[str, Any]]:
        changes: list[FieldChange] = self.context.get("changes", {}).get(version.number, [])
        return FieldChangeSerializer(changes, many=True).data  # type: ignore[return-value]  # a ReturnList


def version_with_changes(version: EntryVersion, earlier: EntryVersion | None) -> dict[str, Any]:
    """One version as the API gives it, with what it changed from `earlier`."""
    changes = version_differences(earlier, version) if earlier is not None else []
    return VersionWithChangesSerializer(
        version, context={"changes": {version.number: changes}}
    ).data


class WithdrawalSerializer(serializers.ModelSerializer):
    class Meta:
        model = EntryWithdrawal
        fields = ("reason", "withdrawn_at")


class LinkedItemSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    description = serializers.CharField(source="current.description", read_only=True)

    class Meta:
        model = Item
        fields = ("id", "reference", "description")


class EntrySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    withdrawn = serializers.BooleanField(source="is_withdrawn", read_only=True)
    evidence_count: serializers.Field = serializers.IntegerField(read_only=True)
    latest = VersionSerializer(source="current", read_only=True)
    reported_by = serializers.CharField(
        read_only=True,
        help_text="For an entry accepted from a contact: who reported it, as the pages say it "
        "(“Pat (neighbour)”), as they were named when it was accepted. Empty for your own.",
    )

    class Meta:
        model = Entry
        fields: tuple[str, ...] = (
            "id",
            "number",
            "reference",
            "source",
            "reported_by",
            "received_at",
            "withdrawn",
            "evidence_count",
            "latest",
        )


class EntryDetailSerializer(EntrySerializer):
    evidence_count = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField(
        help_text="Every version, oldest first, each with what it changed."
    )
    evidence = EvidenceSerializer(many=True, read_only=True)
    items = serializers.SerializerMethodField(
        help_text="The physical items whose latest version names this entry."
    )
    withdrawal = serializers.SerializerMethodField()

    class Meta(EntrySerializer.Meta):
        fields = (*EntrySerializer.Meta.fields, "versions", "evidence", "items", "withdrawal")

    def get_evidence_count(self, entry: Entry) -> int:
        return len(entry.evidence.all())

    @extend_schema_field(VersionWithChangesSerializer(many=True))
    def get_versions(self, entry: Entry) -> list[dict[str, Any]]:
        told = amendments(entry.versions.all())
        changes = {amendment.version.number: amendment.changes for amendment in told}
        versions = [amendment.version for amendment in told]
        return VersionWithChangesSerializer(  # type: ignore[return-value]  # a ReturnList
            versions, many=True, context={"changes": changes}
        ).data

    @extend_schema_field(LinkedItemSerializer(many=True))
    def get_items(self, entry: Entry) -> list[dict[str, Any]]:
        # entry_get finds them; an entry read any other way has none to show.
        linked = getattr(entry, "linked_items", [])
        return LinkedItemSerializer(linked, many=True).data  # type: ignore[return-value]  # a ReturnList

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
