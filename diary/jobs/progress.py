"""How far a running job has got, written for the owner to see, and the heartbeat that tells
everyone its worker is still alive.

A bundle is read inside one long read-only transaction (a snapshot at the head it names), which
can write nothing. So progress and heartbeat are written by a thread of their own, on its own
database connection, every half second: the snapshot stays open and unlocked, and the
owner's page moves. Inside a transaction already (a test, a caller that holds one) there is
no snapshot of ours to keep clear, and progress is written in line instead.
"""

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Protocol, TypeVar

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from diary.models import Job

WRITE_EVERY = 0.5  # seconds between progress writes at most

logger = logging.getLogger(__name__)
T = TypeVar("T")


class PlainError(Exception):
    """A job's failure whose message is written for whoever asked: shown as it is, and not
    tried again (it would fail the same way)."""


class Reports(Protocol):
    """What long work is given to say how far it has got."""

    def stage(self, name: str, total: int = 0) -> None: ...
    def step(self, count: int = 1) -> None: ...


class Progress:
    """Handed to a job's work: `stage(name, total)` as each stage starts, `step()` as each
    thing in it is done. Cheap to call often: nothing is written more than twice a second."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._lock = threading.Lock()
        self._state = (job.stage, job.done, job.total)
        self._written = self._state
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_write = 0.0
        self._last_beat = time.monotonic()

    # What the work calls.

    def stage(self, name: str, total: int = 0) -> None:
        with self._lock:
            self._state = (name, 0, max(total, 0))
        self._written_in_line()

    def step(self, count: int = 1) -> None:
        with self._lock:
            name, done, total = self._state
            self._state = (name, done + count, total)
        self._written_in_line()

    # Running it.

    def __enter__(self) -> "Progress":
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._run, name=f"job-{self.job.pk}")
            self._thread.daemon = True
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(WRITE_EVERY):
                try:
                    self._write(force=False)
                except DatabaseError:
                    # Busy for a moment (the job's own record being written): the next beat
                    # says it instead. Only a heartbeat missing for a whole lease counts.
                    logger.debug("progress of job %s not written this time", self.job.pk)
        finally:
            connections.close_all()  # this thread's own connection

    def _written_in_line(self) -> None:
        if self._thread is None and time.monotonic() - self._last_write >= WRITE_EVERY:
            self._write(force=False)

    def _write(self, *, force: bool) -> None:
        now = time.monotonic()
        with self._lock:
            state = self._state
        beat_due = now - self._last_beat >= settings.JOB_HEARTBEAT_SECONDS
        if state == self._written and not beat_due and not force:
            return
        changed = state != self._written
        stage, done, total = state
        at = timezone.now()
        # Only while this worker still holds the job: one handed on stays with the next.
        Job.objects.filter(pk=self.job.pk, worker=self.job.worker, state=Job.State.RUNNING).update(
            stage=stage, done=done, total=total, heartbeat_at=at, updated_at=at
        )
        self._written, self._last_write, self._last_beat = state, now, now
        self.job.stage, self.job.done, self.job.total = stage, done, total
        if changed:
            from diary.live.events import job_changed

            job_changed(self.job)


def counted(things: Iterable[T], progress: Reports) -> Iterator[T]:
    """`things`, one at a time, each counted as a step of the stage under way."""
    for thing in things:
        yield thing
        progress.step()


class NoProgress:
    """For work called directly (a command, a test): progress goes nowhere."""

    def stage(self, name: str, total: int = 0) -> None:
        pass

    def step(self, count: int = 1) -> None:
        pass
