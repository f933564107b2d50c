from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary.core import crypto
from diary.core.crypto import DecryptionError
from diary.jobs.services import job_request
from diary.management.commands.jobs import waiting
from diary.models import Job
from diary.ops import rekey


def _per_model(counts: Counter[str]) -> str:
    if not counts:
        return ""
    return " (" + ", ".join(f"{label} {n}" for label, n in sorted(counts.items())) + ")"


class Command(BaseCommand):
    help = (
        "Bring everything under the current (first) key of ENCRYPTION_KEYS: re-encrypt every "
        "encrypted column, re-wrap every file key, and encrypt anything stored before "
        "encryption at rest. In batches; safe to stop and run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="Also rebuild the search index (after changing SEARCH_INDEX_KEY).",
        )
        parser.add_argument(
            "--in-background",
            action="store_true",
            help="Hand it to a worker (db_worker) and return; `jobs` shows how it goes.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        current = crypto.keyring().current.id
        if options["in_background"]:
            asked = job_request(kind=Job.Kind.ROTATE_KEYS, params={"reindex": options["reindex"]})
            self.stdout.write(waiting(asked.job))
            return
        try:
            report = rekey.rotate_all(with_index=options["reindex"])
        except DecryptionError as error:
            raise CommandError(str(error)) from None

        values, rows = report.values.total(), report.rows.total()
        self.stdout.write(f"Re-encrypted {values} values in {rows} rows{_per_model(report.rows)}.")
        self.stdout.write(
            f"Re-wrapped {report.file_keys.total()} file keys{_per_model(report.file_keys)}."
        )
        self.stdout.write(
            f"Encrypted {report.files.total()} files stored before encryption"
            f"{_per_model(report.files)}."
        )
        if options["reindex"]:
            self.stdout.write(
                f"Rebuilt the search index of {report.indexed.total()} rows"
                f"{_per_model(report.indexed)}."
            )
        if report.missing_files:
            self.stderr.write(
                f"{report.missing_files.total()} files named in the database are missing"
                f"{_per_model(report.missing_files)}: `verify_ledger` names them."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Everything is under the key {current!r}. Older keys can leave ENCRYPTION_KEYS "
                "once no backup you may restore still needs them."
            )
        )
