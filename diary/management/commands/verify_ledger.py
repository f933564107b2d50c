from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary.ledger.verify import ledger_verify
from diary.models import Diary


class Command(BaseCommand):
    help = (
        "Check every diary's ledger: the chain of hashes, the content each record names, and "
        "every evidence file. Exit 0 printing each head, or exit 1 naming the first bad record."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--diary", type=int, help="Check only this diary (its id).")
        parser.add_argument(
            "--skip-files", action="store_true", help="Do not re-read evidence files."
        )

    def handle(
        self, *args: Any, diary: int | None = None, skip_files: bool = False, **options: Any
    ) -> None:
        target = None
        if diary is not None:
            target = Diary.objects.filter(pk=diary).first()
            if target is None:
                raise CommandError(f"There is no diary {diary}.")
        # A process of its own, with no other threads: a long chain is checked a core at a time.
        result = ledger_verify(diary=target, check_files=not skip_files, workers=None)
        if not result.ok:
            raise CommandError(f"Ledger check failed at {result.problem}.", returncode=1)
        for diary_id, head in result.heads.items():
            self.stdout.write(f"diary {diary_id}: head {head}")
        self.stdout.write(self.style.SUCCESS(f"OK: {result.records} records verified."))
