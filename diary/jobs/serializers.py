"""A job as the API shows it."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.models import Job


class JobSerializer(serializers.ModelSerializer[Job]):
    url = serializers.SerializerMethodField(help_text="This job, to ask again how it is going.")
    percent = serializers.IntegerField(read_only=True, help_text="How far it has got, 0 to 100.")
    stage_label = serializers.CharField(read_only=True, help_text="The stage, in words.")
    export = serializers.SerializerMethodField(
        help_text="The bundle it made, once it is done: its number and where to download it."
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "state",
            "stage",
            "stage_label",
            "done",
            "total",
            "percent",
            "attempts",
            "reason",
            "created_at",
            "started_at",
            "finished_at",
            "export",
        ]
        read_only_fields = fields

    def get_url(self, job: Job) -> str:
        return reverse("api:job", args=[job.pk])

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "id": {"type": "integer"},
                "number": {"type": "integer"},
                "download": {"type": "string"},
            },
        }
    )
    def get_export(self, job: Job) -> dict[str, Any] | None:
        if job.export is None:
            return None
        return {
            "id": job.export.pk,
            "number": job.export.number,
            "download": reverse("api:export_download", args=[job.export.pk]),
        }
