"""What the evidence API takes in and gives back."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.evidence import safeview
from diary.models import (
    Evidence,
)
from diary.models.choices import EvidenceKind
from diary.web.downloads import playable


class EvidenceInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Photo, video, audio, screenshot or document.")
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)


class EvidenceKindInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, help_text="What the file is.")


class EvidenceSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(
        source="shown_kind",
        choices=EvidenceKind.choices,
        read_only=True,
        help_text="What the file is: the owner's correction if she made one, else as received.",
    )
    kind_received = serializers.ChoiceField(
        source="kind",
        choices=EvidenceKind.choices,
        read_only=True,
        help_text="The kind the file came in as (worked out from it, or chosen when it was sent).",
    )
    kind_corrected_at = serializers.SerializerMethodField(
        help_text="When the owner last corrected the kind; null if she never did."
    )
    media_url = serializers.SerializerMethodField(
        help_text="The page's player's source for a recording (audio or video), inline; "
        "null for other files."
    )
    entry = serializers.IntegerField(source="entry_id", read_only=True)
    kind_label = serializers.CharField(
        source="get_shown_kind_display",
        read_only=True,
        help_text="The kind in words, as the pages say it.",
    )
    device_time_trusted = serializers.SerializerMethodField(
        help_text="Always false: the time a file claims can be edited by anyone."
    )
    original_url = serializers.SerializerMethodField()
    has_preview = serializers.SerializerMethodField()
    could_call_home = serializers.BooleanField(
        read_only=True, help_text="Opening the original could tell its maker when and where."
    )
    call_home_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    safe_view_url = serializers.SerializerMethodField(
        help_text="A page showing the file safely: its pages as images drawn on the server, or "
        "its words as text; null for a file with none (photos have has_preview instead)."
    )

    class Meta:
        model = Evidence
        fields = (
            "id",
            "reference",
            "entry",
            "kind",
            "kind_label",
            "kind_received",
            "kind_corrected_at",
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
            "could_call_home",
            "call_home_reasons",
            "safe_view_url",
            "media_url",
        )

    def get_device_time_trusted(self, evidence: Evidence) -> bool:
        return False

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_kind_corrected_at(self, evidence: Evidence) -> str | None:
        change = evidence.kind_change
        return serializers.DateTimeField().to_representation(change.changed_at) if change else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_media_url(self, evidence: Evidence) -> str | None:
        if not playable(evidence):
            return None
        return reverse("diary:evidence_media", args=[evidence.pk])

    def get_original_url(self, evidence: Evidence) -> str:
        return reverse("api:evidence_original", args=[evidence.pk])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_safe_view_url(self, evidence: Evidence) -> str | None:
        if not safeview.offered(evidence):
            return None
        return reverse("diary:evidence_safe", args=[evidence.pk])

    def get_has_preview(self, evidence: Evidence) -> bool:
        return bool(evidence.preview)
