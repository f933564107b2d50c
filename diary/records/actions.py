"""What one request to record an entry does, the same for the page and the API: the entry and
its file (if one came with it) in one transaction, at most once per Idempotency-Key.

Views and API classes validate the request, call this, and render what it answered.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from diary.evidence.services import evidence_attach
from diary.models import Diary, Entry, User
from diary.records.services import entry_create
from diary.web.idempotency import Answered, Idempotency, once


@dataclass(frozen=True)
class FileSent:
    """A file sent with a new entry, with what the owner said it is."""

    upload: UploadedFile
    kind: str = ""
    description: str = ""


def entry_record(
    *,
    diary: Diary,
    actor: User,
    content: Mapping[str, Any],
    file: FileSent | None = None,
    idempotency: Idempotency | None = None,
    answer: Callable[[Entry], tuple[int, Any]],
) -> Answered:
    """Record a new entry, and its file: if the file is refused, nothing is kept. `answer`
    says what the send answers (kept with its key); a retry with the same key gets that first
    answer and records nothing again."""

    def send() -> tuple[int, Any]:
        entry = entry_create(diary=diary, actor=actor, content=content)
        if file is not None:
            evidence_attach(
                entry=entry,
                actor=actor,
                upload=file.upload,
                kind=file.kind,
                description=file.description,
            )
        return answer(entry)

    return once(idempotency, diary=diary, send=send)
