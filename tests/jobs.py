"""Background work in the unit tests: the test's transaction never commits, so the on-commit
hook that hands a job to the task framework (whose immediate backend then runs it, as a worker
would) is run at the end of the block instead. The real worker: tests/test_jobs_worker.py."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.test import TestCase


@contextmanager
def worker_runs_it() -> Iterator[None]:
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield
