from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from diary.evidence.services import kept_files_check_call_home


class Command(BaseCommand):
    help = (
        "Look for files that could call home among files kept before this check came in "
        "(documents with outside links, PDFs with actions or scripts), and mark them, as "
        "intake does for new files. Reads only files not read yet, so it is safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=100,
            metavar="ROWS",
            help="Rows read from the database at a time (default 100).",
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        sweep = kept_files_check_call_home(batch_size=max(1, batch_size))
        self.stdout.write(
            self.style.SUCCESS(
                f"Checked {sweep.checked} file{'s' if sweep.checked != 1 else ''}: "
                f"{sweep.marked} could call home."
            )
        )
        if sweep.unreadable:
            self.stdout.write(
                self.style.WARNING(
                    f"{sweep.unreadable} could not be read; they are marked as "
                    "not checked to the end."
                )
            )
