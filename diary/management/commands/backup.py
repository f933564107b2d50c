from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary.jobs.services import job_request
from diary.management.commands.jobs import waiting
from diary.models import Job
from diary.ops.backup import BackupError, backup_create, load_key, make_key_file


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of the database, every stored file and each diary's ledger "
        "head to one file (AES-256-GCM, with the key from --key-file or BACKUP_KEY)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", metavar="FILE", help="Where to write the backup.")
        parser.add_argument(
            "--key-file", metavar="FILE", help="The key (64 hex characters); else BACKUP_KEY."
        )
        parser.add_argument(
            "--make-key",
            metavar="FILE",
            help="Instead of a backup, write a new random key to FILE (never over a file).",
        )
        parser.add_argument(
            "--in-background",
            action="store_true",
            help="Hand it to a worker (db_worker) and return; `jobs` shows how it goes.",
        )

    def handle(
        self,
        *args: Any,
        out: str | None = None,
        key_file: str | None = None,
        make_key: str | None = None,
        **options: Any,
    ) -> None:
        if make_key:
            try:
                make_key_file(make_key)
            except FileExistsError:
                raise CommandError(f"{make_key} already exists; choose another name.") from None
            self.stdout.write(
                self.style.SUCCESS(f"Wrote a new backup key to {make_key}. Keep a copy offline.")
            )
            return
        if not out:
            raise CommandError("Say where to write the backup: --out FILE.")
        if options.get("in_background"):
            try:
                load_key(key_file)  # a missing or bad key is said now, not by the worker
            except BackupError as error:
                raise CommandError(str(error)) from None
            params = {"out": str(Path(out).resolve()), "key_file": key_file}
            if key_file:
                params["key_file"] = str(Path(key_file).resolve())
            self.stdout.write(waiting(job_request(kind=Job.Kind.BACKUP, params=params).job))
            return
        try:
            summary = backup_create(Path(out), load_key(key_file))
        except BackupError as error:
            raise CommandError(str(error)) from None
        for diary, head in summary.heads.items():
            self.stdout.write(f"diary {diary}: ledger record {head['seq']}, head {head['hash']}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {summary.rows} rows and {summary.files} files "
                f"({summary.bytes} bytes) to {out}."
            )
        )
