from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from diary.ops.sweeps import sweep


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
        swept = sweep(older_than=timedelta(minutes=older_than), dry_run=dry_run)
        verb = "Would remove" if dry_run else "Removed"
        for name in swept.orphans:
            self.stdout.write(f"{verb} {name}")
        count = len(swept.orphans)
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {count} unreferenced file{'s' if count != 1 else ''}.")
        )
        keys = swept.expired_keys
        self.stdout.write(f"{verb} {keys} expired Idempotency-Key{'s' if keys != 1 else ''}.")
