"""Keep background work moving: hand on jobs whose worker stopped, and ask for timestamps of
heads that have moved. One of these beside the workers (`make run` starts it; docs/deploy.md)."""

import contextlib
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from diary.imports.pending import pending_sweep
from diary.jobs.services import job_request, jobs_revive
from diary.ledger.anchoring import due
from diary.models import Job
from diary.uploads.services import recordings_tend


def anchors_requested() -> int:
    """An anchoring job for each diary whose head is due a timestamp (joined if one waits)."""
    if not settings.TIMESTAMP_URLS:
        return 0
    return sum(
        not job_request(kind=Job.Kind.ANCHOR, diary=diary).joined for diary in due().iterator()
    )


class Command(BaseCommand):
    help = (
        "Try again jobs whose worker stopped (no heartbeat for JOB_LEASE_SECONDS), ask the "
        "workers to timestamp every diary whose ledger head has moved, keep recordings that "
        "stopped getting pieces (RECORDING_QUIET_SECONDS) as cut off, end unfinished uploads "
        "past their time, and delete exports uploaded but never added (after a day)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep going until stopped.")
        parser.add_argument(
            "--every", type=float, default=5.0, help="Seconds between looks for stopped jobs."
        )
        parser.add_argument(
            "--anchor-every", type=float, default=60.0, help="Seconds between timestamp rounds."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.TIMESTAMP_URLS:
            self.stdout.write(
                "No timestamp authorities are set (TIMESTAMP_URLS): records are not "
                "independently timestamped. README, Timestamps, says how to turn it on."
            )
        last_anchor = 0.0
        # Ctrl+C stops `make run`'s processes together: that is the way out, quietly.
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                revived = jobs_revive()
                if revived:
                    self.stdout.write(f"{revived} stopped jobs handed on.")
                cut_off = recordings_tend()
                if cut_off:
                    self.stdout.write(f"{cut_off} recordings that stopped kept as cut off.")
                swept = pending_sweep()
                if swept:
                    self.stdout.write(f"{swept} exports never added deleted.")
                if time.monotonic() - last_anchor >= options["anchor_every"]:
                    asked = anchors_requested()
                    last_anchor = time.monotonic()
                    if asked:
                        self.stdout.write(f"{asked} diaries to timestamp.")
                if not options["loop"]:
                    return
                close_old_connections()  # as a request's end would: none kept past its use
                time.sleep(options["every"])
