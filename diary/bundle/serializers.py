"""What the bundles API takes in and gives back."""

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from diary.messages import DATE_RANGE_REVERSED
from diary.models import (
    Export,
)
from diary.models.choices import Behaviour
from diary.web.serializers import BehavioursField, BoundedDateTimeField


class ExportInputSerializer(serializers.Serializer):
    since = BoundedDateTimeField(required=False, allow_null=True)
    until = BoundedDateTimeField(required=False, allow_null=True)
    behaviours = BehavioursField()
    include_contacts = serializers.BooleanField(default=False)
    include_reasons = serializers.BooleanField(default=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    owner_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

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
