from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary.ops.backup import BackupError, backup_restore, load_key


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into an empty instance (or, with --force, replace "
        "everything in this one), then check the whole ledger and every file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="The backup file.")
        parser.add_argument(
            "--key-file", metavar="FILE", help="The key (64 hex characters); else BACKUP_KEY."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace all data in this instance (it is deleted first).",
        )

    def handle(
        self,
        *args: Any,
        file: str,
        key_file: str | None = None,
        force: bool = False,
        **options: Any,
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file}.")
        try:
            restored = backup_restore(path, load_key(key_file), force=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        for diary, head in restored.heads.items():
            self.stdout.write(f"diary {diary}: head {head}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {restored.rows} rows and {restored.files} files; "
                f"{restored.records} ledger records and every file verified."
            )
        )
