"""Checks Django runs at start-up (and `manage.py check`): a misconfiguration that would only
show once an owner's evidence had been lost is reported before the app serves anyone."""

from typing import Any

from django.core.checks import Error, register
from django.core.files.storage import default_storage

from diary.core.filestore import can_be_durable


@register()
def stored_files_can_be_made_durable(app_configs: Any, **kwargs: Any) -> list[Error]:
    if can_be_durable(default_storage):
        return []
    return [
        Error(
            "The file storage has no local files to flush and does not promise that a save is "
            "durable, so a power cut could lose evidence whose row had already committed.",
            hint="Use the local file system (the default) or S3 (S3_BUCKET); see README.md.",
            id="diary.E001",
        )
    ]
