"""Contacts' sends while a bundle of the same diary is being made.

A bundle is read in one snapshot with no lock held (diary.core.snapshot); only recording it
takes the diary's lock, for a moment. This measures what that buys: the 20 senders of the
submissions run (bench.run.measure_submissions) against the 10,000-entry diary, with the real
background worker (`manage.py db_worker`) beside the server,

- with no bundle being made (the worker idle, polling as it does),
- while the worker makes that diary's bundle: asked for as the owner's page asks (job_request),
  the sends begin once its job has passed the "timestamp" stage (the snapshot is open) and the
  job's stage is read again when they end, to show the build was still reading then,
- and with no bundle again, once it has finished (it is waited for, so the figure is of a
  build that completes and is recorded).

The baseline is the mean of the runs before and after, as the load section's bare view is.
Each run of sends lasts three times the submissions run's (30 s by default): on SQLite the 20
senders manage a few dozen sends a second, and a p99 of 10 s of them would be their third
slowest.
Each run is measured with the bare view first, at the same 20 connections: its p99 during the
build against without says how much of the slowdown is only the CPU the build takes.
"""

import time
from pathlib import Path
from typing import Any

# The stages in which the bundle's snapshot is open (services.export_create: the snapshot is
# taken at the head it reads first, before "files"; "checking" runs after it is closed).
READING = ("files", "chronology", "entries", "ledger")
START_WITHIN = 180  # seconds for the worker to take the job and pass the timestamp
FINISH_WITHIN = 1200  # seconds for the whole bundle (5 to 7 minutes beside the server here)
LONGER = 3  # times the submissions run's length


class BuildError(RuntimeError):
    pass


def _where(job: Any, started: float) -> dict[str, Any]:
    job.refresh_from_db()
    return {
        "state": job.state,
        "stage": job.stage,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "after_s": round(time.monotonic() - started, 1),
    }


def _wait(job: Any, ready: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while True:
        job.refresh_from_db()
        if job.state == job.State.FAILED:
            raise BuildError(f"the bundle's job failed: {job.reason}")
        if ready(job):
            return
        if time.monotonic() > deadline:
            raise BuildError(f"the bundle's job was not {what} within {within:g} s ({job.state})")
        time.sleep(0.2)


def _wal_mb(database: Path) -> float:
    wal = database.with_name(database.name + "-wal")
    return round(wal.stat().st_size / 1e6, 1) if wal.exists() else 0.0


def measure(
    *, port: int, keys: list[str], bare_path: str, diary_id: int, database: Path
) -> dict[str, Any]:
    from bench.run import _seconds, measure_submissions, say
    from diary.bundle.jobs import bundle_params
    from diary.jobs.services import job_request
    from diary.models import Diary, Job

    diary = Diary.objects.select_related("owner").get(pk=diary_id)
    seconds = _seconds() * 2 * LONGER

    def sends() -> dict[str, Any]:
        return measure_submissions(port, keys, bare_path, seconds=seconds)

    say("  sends, no bundle being made")
    before = sends()

    asked = time.monotonic()
    asked_for = job_request(
        kind=Job.Kind.BUNDLE, diary=diary, actor=diary.owner, params=bundle_params()
    )
    if asked_for.joined:
        raise BuildError("a bundle of this diary was already being made")
    job = asked_for.job
    _wait(
        job,
        lambda j: j.state == Job.State.RUNNING and j.stage in READING,
        START_WITHIN,
        "past its timestamp",
    )
    at_start = {**_where(job, asked), "wal_mb": _wal_mb(database)}
    say(f"  sends, the bundle being made ({at_start['stage']}, {at_start['percent']}%)")
    during = sends()
    at_end = {**_where(job, asked), "wal_mb": _wal_mb(database)}
    still_reading = at_end["state"] == Job.State.RUNNING and at_end["stage"] in READING
    say(
        f"  sends ended with the bundle {at_end['state']} ({at_end['stage']}, "
        f"{at_end['percent']}%){'' if still_reading else ': NOT still reading'}"
    )

    _wait(job, lambda j: j.state == Job.State.DONE, FINISH_WITHIN, "done")
    assert job.started_at is not None and job.finished_at is not None  # it ran and finished
    built = {
        "seconds": round((job.finished_at - job.started_at).total_seconds(), 1),
        "attempts": job.attempts,
        "export": job.export_id,
        "wal_mb": _wal_mb(database),
    }
    say(f"  the bundle took {built['seconds']:.0f} s; sends, no bundle again")
    after = sends()

    quiet = {key: (before[key] + after[key]) / 2 for key in ("p50_ms", "p90_ms", "p99_ms", "rps")}
    quiet_bare = {
        key: (before["bare"][key] + after["bare"][key]) / 2
        for key in ("p50_ms", "p90_ms", "p99_ms", "rps")
    }
    return {
        "seconds_per_run": seconds,
        "before": before,
        "during": during,
        "after": after,
        "quiet": quiet,
        "quiet_bare": quiet_bare,
        "ratio_p99": during["p99_ms"] / quiet["p99_ms"],
        "ratio_p50": during["p50_ms"] / quiet["p50_ms"],
        "bare_ratio_p99": during["bare"]["p99_ms"] / quiet_bare["p99_ms"],
        "job_at_start": at_start,
        "job_at_end": at_end,
        "still_reading": still_reading,
        "build": built,
    }
