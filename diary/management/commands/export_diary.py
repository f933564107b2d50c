import os
import shutil
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from diary.bundle.services import export_create
from diary.models import AccessEvent, Diary
from diary.safety.services import access_event_record
from diary.web.forms import DayOrTimeField


class Command(BaseCommand):
    help = "Make a police bundle for one diary (recorded in its ledger) and copy it to --out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--diary", type=int, required=True, help="The diary's id.")
        parser.add_argument("--out", required=True, help="Where to write the zip.")
        parser.add_argument("--since", help="First day (YYYY-MM-DD), in the diary's zone.")
        parser.add_argument("--until", help="Last day (YYYY-MM-DD), in the diary's zone.")
        parser.add_argument(
            "--behaviour", action="append", default=[], help="Only this kind (repeatable)."
        )
        parser.add_argument("--title", default="", help="The heading on the PDF's first page.")
        parser.add_argument("--owner-name", default="", help="The owner's name on the PDF.")

    def handle(self, *args: Any, **options: Any) -> None:
        diary = Diary.objects.filter(pk=options["diary"]).first()
        if diary is None:
            raise CommandError(f"There is no diary {options['diary']}.")
        with timezone.override(diary.time_zone):
            try:
                since = DayOrTimeField().clean(options["since"])
                until = DayOrTimeField(end_of_day=True).clean(options["until"])
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        with transaction.atomic():
            export = export_create(
                diary=diary,
                actor=None,
                since=since,
                until=until,
                behaviours=options["behaviour"],
                title=options["title"][:200],
                owner_name=options["owner_name"][:200],
            )
            # The owner's access log shows this bundle too, made on the server itself.
            access_event_record(
                user_id=diary.owner_id,
                kind=AccessEvent.Kind.EXPORT,
                detail=f"#{export.number} (on the server)",
            )
        out = Path(options["out"])
        # The bundle is the diary in full: readable by this user alone, whatever the umask.
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with export.bundle_file.open() as source, os.fdopen(descriptor, "wb") as target:
            shutil.copyfileobj(source, target)
        self.stdout.write(
            f"Bundle {export.number} written to {out} ({export.size} bytes); "
            f"ledger head {export.head_hash} at record {export.head_seq}."
        )
