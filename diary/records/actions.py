"""What one request to record an entry does, the same for the page and the API: the entry and
its files (if any came with it) in one transaction, at most once per Idempotency-Key. And an
amendment from the page, at most once per key too (a retry on a bad signal adds no second
version).

Views and API classes validate the request, call this, and render what it answered.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from diary.evidence.services import FileSent, evidence_attach_all
from diary.models import Diary, Entry, EntryVersion, User
from diary.records.services import entry_amend, entry_create
from diary.web.idempotency import Answered, Idempotency, once

__all__ = ["FileSent", "entry_record", "version_record"]


def entry_record(
    *,
    diary: Diary,
    actor: User,
    content: Mapping[str, Any],
    files: Sequence[FileSent] = (),
    idempotency: Idempotency | None = None,
    answer: Callable[[Entry], tuple[int, Any]],
) -> Answered:
    """Record a new entry, and its files: if any file is refused, nothing is kept. `answer`
    says what the send answers (kept with its key); a retry with the same key gets that first
    answer and records nothing again."""

    def send() -> tuple[int, Any]:
        entry = entry_create(diary=diary, actor=actor, content=content)
        if files:
            evidence_attach_all(entry=entry, actor=actor, files=files)
        return answer(entry)

    return once(idempotency, diary=diary, send=send)


def version_record(
    *,
    entry: Entry,
    actor: User,
    content: Mapping[str, Any],
    idempotency: Idempotency | None = None,
    answer: Callable[[EntryVersion], tuple[int, Any]],
) -> Answered:
    """Amend an entry: one new version however many times the same send arrives under its
    key (the retry gets the first answer)."""

    def send() -> tuple[int, Any]:
        return answer(entry_amend(entry=entry, actor=actor, content=content))

    return once(idempotency, diary=entry.diary, send=send)
