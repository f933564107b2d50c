"""Sweeping what a crash or time leaves behind: stored files no row names (a crash between
storing a file and committing its row), and Idempotency-Keys past their window.

A file some row refers to is never touched, and a file younger than the cut-off is left alone,
so an upload still being taken in is not swept from under it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from diary.evidence.inventory import discard_stored, referenced_files, stored_names
from diary.web.idempotency import idempotency_keys_expired


@dataclass(frozen=True)
class Swept:
    orphans: list[str]
    expired_keys: int


def sweep(
    *, older_than: timedelta, dry_run: bool = False, storage: Storage = default_storage
) -> Swept:
    """Remove (or, with `dry_run`, only list) unreferenced files last changed before
    `older_than` ago, and forget expired Idempotency-Keys."""
    cutoff = timezone.now() - max(older_than, timedelta(0))
    # List first, then read which files rows name: a file stored and committed in between
    # is named by then, and one stored after the listing is not in it.
    candidates = [
        name for name in stored_names(storage) if storage.get_modified_time(name) <= cutoff
    ]
    referenced = referenced_files()
    orphans = [name for name in candidates if name not in referenced]
    expired = idempotency_keys_expired()
    keys = expired.count()
    if not dry_run:
        discard_stored(orphans, storage)
        expired.delete()
    return Swept(orphans=orphans, expired_keys=keys)
