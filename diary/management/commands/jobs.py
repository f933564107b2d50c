"""What the workers are doing: the latest jobs, or one followed until it ends."""

import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary.models import Job


def waiting(job: Job) -> str:
    return (
        f"Handed to a worker as job {job.pk}. Follow it with: python manage.py jobs --wait "
        f"{job.pk} (a worker must be running: python manage.py db_worker)."
    )


def line(job: Job) -> str:
    where = f"diary {job.diary_id}" if job.diary_id else "instance"
    state = job.get_state_display().lower()
    if job.active and job.stage:
        state += f", {job.stage_label.lower()} {job.done}/{job.total} ({job.percent}%)"
    tries = f", try {job.attempts}" if job.attempts > 1 else ""
    text = (
        f"{job.pk}  {job.created_at:%Y-%m-%d %H:%M:%S}  {job.kind:<11} {where:<12} {state}{tries}"
    )
    if job.reason:
        text += f"\n    {job.reason}"
    if job.result:
        text += "\n    " + ", ".join(f"{key} {value}" for key, value in sorted(job.result.items()))
    return text


class Command(BaseCommand):
    help = "List the latest background jobs (bundles, checks, timestamps, backups), or follow one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait", metavar="JOB", help="Follow this job until it ends.")
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, wait: str | None = None, limit: int = 20, **options: Any) -> None:
        if wait:
            self._follow(wait)
            return
        jobs = Job.objects.order_by("-created_at")[:limit]
        if not jobs:
            self.stdout.write("No jobs yet.")
        for job in jobs:
            self.stdout.write(line(job))

    def _follow(self, job_id: str) -> None:
        said = ""
        while True:
            job = Job.objects.filter(pk=job_id).first() if _uuid(job_id) else None
            if job is None:
                raise CommandError(f"There is no job {job_id}.")
            text = line(job)
            if text != said:
                self.stdout.write(text)
                said = text
            if not job.active:
                if job.state == Job.State.FAILED:
                    raise CommandError("The job could not finish.", returncode=1)
                return
            time.sleep(1)


def _uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
