from datetime import timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from diary.evidence.inventory import discard_stored, referenced_files, stored_names
from diary.web.idempotency import idempotency_keys_expired


class Command(BaseCommand):
    help = (
        "Remove files under MEDIA_ROOT that no row refers to and that are older than an hour: "
        "what a crash between storing a file and committing its row leaves behind. A file "
        "some row refers to is never touched. Also forgets Idempotency-Keys past their window."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=60,
            metavar="MINUTES",
            help="Only files last changed at least this many minutes ago (default 60), so an "
            "upload still being taken in is left alone.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be removed; remove nothing."
        )

    def handle(self, *args: Any, older_than: int, dry_run: bool, **options: Any) -> None:
        storage = default_storage
        cutoff = timezone.now() - timedelta(minutes=max(older_than, 0))
        # List first, then read which files rows name: a file stored and committed in between
        # is named by then, and one stored after the listing is not in it.
        candidates = [
            name for name in stored_names(storage) if storage.get_modified_time(name) <= cutoff
        ]
        referenced = referenced_files()
        orphans = [name for name in candidates if name not in referenced]
        verb = "Would remove" if dry_run else "Removed"
        for name in orphans:
            self.stdout.write(f"{verb} {name}")
        expired = idempotency_keys_expired()
        keys = expired.count()
        if not dry_run:
            discard_stored(orphans, storage)
            expired.delete()
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(orphans)} unreferenced file{'s' if len(orphans) != 1 else ''}."
            )
        )
        self.stdout.write(f"{verb} {keys} expired Idempotency-Key{'s' if keys != 1 else ''}.")
