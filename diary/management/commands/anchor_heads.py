"""Ask the timestamp authorities (TIMESTAMP_URLS) to vouch for every diary whose ledger head
has moved: once, or with --loop in the background, as `make run` does."""

import contextlib
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from diary.ledger.anchoring import anchor_due


class Command(BaseCommand):
    help = "Timestamp the ledger heads that have moved, by the authorities in TIMESTAMP_URLS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="Keep going, a round every --every seconds."
        )
        parser.add_argument("--every", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.TIMESTAMP_URLS:
            self.stdout.write(
                "No timestamp authorities are set (TIMESTAMP_URLS): records are not "
                "independently timestamped. README, Timestamps, says how to turn it on."
            )
            if not options["loop"]:
                return
        # Ctrl+C stops `make run`'s server and this loop together: that is the way out, quietly.
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                made = anchor_due()
                if made or not options["loop"]:
                    self.stdout.write(f"{made} timestamps received.")
                if not options["loop"]:
                    return
                time.sleep(options["every"])
