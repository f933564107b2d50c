"""Long work done in the background (a bundle, a check of the records, a timestamp, a backup):
what was asked, how far it has got, and how it ended.

A job is the owner's view of the work; the task framework's own row (django_tasks_db) is how a
worker picks it up. A job is never evidence and never in the ledger: what it makes (a bundle)
is, once, when it is complete. Its progress is updated in place, as a progress bar is.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from diary.core.fields import EncryptedCharField, EncryptedJSONField
from diary.models.diaries import Diary

# Each kind's stages, in order, with the words the progress bar shows for each.
STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "bundle": (
        ("timestamp", "Timestamping"),
        ("files", "Files"),
        ("chronology", "The chronology"),
        ("entries", "Entries"),
        ("ledger", "Records"),
        ("checking", "Checking the bundle"),
    ),
    "check": (("records", "Records"), ("files", "Files")),
    "anchor": (("timestamp", "Timestamping"),),
    "backup": (("rows", "Records"), ("files", "Files")),
    "rotate_keys": (("rows", "Records"), ("files", "Files")),
    "import_read": (("reading", "Reading"),),
    "import_add": (("reading", "Reading"), ("keeping", "Keeping the export"), ("adding", "Adding")),
}


class Job(models.Model):
    class Kind(models.TextChoices):
        BUNDLE = "bundle", "Making a bundle"
        CHECK = "check", "Checking your records"
        ANCHOR = "anchor", "Timestamping your records"
        BACKUP = "backup", "Making a backup"
        ROTATE_KEYS = "rotate_keys", "Changing the keys"
        IMPORT_READ = "import_read", "Reading the export"
        IMPORT_ADD = "import_add", "Adding the messages"

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Working"
        DONE = "done", "Done"
        FAILED = "failed", "Could not finish"

    ACTIVE = (State.QUEUED, State.RUNNING)

    # In URLs: not guessable, and says nothing about how many jobs there have been.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # None for the instance's own work (a backup, new keys), which no owner sees.
    diary = models.ForeignKey(
        Diary, on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # What was asked (a bundle's filters and cover, with the name she puts on it), encrypted
    # like everything she writes, and emptied once the job ends.
    params = EncryptedJSONField(default=dict, blank=True)
    # The owner session and browser that asked, for the access log line written when the
    # bundle is complete (not when it was asked for: a bundle never made is never logged).
    requested_in = models.PositiveBigIntegerField(null=True, blank=True)
    requested_from = EncryptedCharField(max_length=45, null=True, blank=True)
    browser = models.CharField(max_length=80, blank=True, default="")

    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    stage = models.CharField(max_length=16, blank=True, default="")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The task framework's row for the current attempt, and the worker running it.
    task_id = models.CharField(max_length=64, blank=True, default="")
    worker = models.CharField(max_length=100, blank=True, default="")
    # Written every few seconds while a worker runs the job: a job whose heartbeat stops has
    # lost its worker (killed, or its machine gone), and is tried again.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The stored file being written, so that a job that dies half-way leaves none of it.
    partial = models.CharField(max_length=200, blank=True, default="")

    export = models.ForeignKey(
        "diary.Export", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.JSONField(default=dict, blank=True)
    # Why it could not finish, in words for whoever asked.
    reason = models.TextField(blank=True, default="")

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Every change, so that a web process that cannot hear the worker (one machine, no Redis)
    # can find what changed since it last looked.
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            # One of each kind at a time per diary: a second tap joins the first.
            models.UniqueConstraint(
                fields=["diary", "kind"],
                condition=Q(state__in=["queued", "running"]),
                name="job_one_active_per_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["diary", "kind", "-created_at"], name="job_diary_kind_recent"),
            models.Index(fields=["state", "heartbeat_at"], name="job_state_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk}"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def stages(self) -> tuple[tuple[str, str], ...]:
        return STAGES.get(self.kind, ())

    @property
    def stage_number(self) -> int:
        """Which stage it is at, from 1 (0 before it starts)."""
        codes = [code for code, _ in self.stages]
        return codes.index(self.stage) + 1 if self.stage in codes else 0

    @property
    def stage_label(self) -> str:
        return dict(self.stages).get(self.stage, "")

    @property
    def percent(self) -> int:
        """How far the whole job has got, 0 to 100, each stage an equal share."""
        if self.state == self.State.DONE:
            return 100
        number, count = self.stage_number, len(self.stages)
        if not number or not count:
            return 0
        within = min(self.done / self.total, 1.0) if self.total else 0.0
        return min(99, int(100 * (number - 1 + within) / count))
