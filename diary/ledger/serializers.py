"""What the ledger API gives back."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.core.hashing import iso
from diary.models import (
    LedgerRecord,
)


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
