"""The ledger's long work as jobs: checking a diary's whole ledger from the page, and having
its head timestamped, each run by a worker."""

from diary.core.snapshot import read_snapshot
from diary.jobs.progress import PlainError, Reports
from diary.ledger.anchoring import anchor
from diary.ledger.verify import ledger_verify
from diary.models import Job


def records_check(job: Job, progress: Reports) -> dict[str, object]:
    """Every record of the diary against what it names, and every file against its hash."""
    if job.diary is None:
        raise PlainError("This job has no diary to check.")
    progress.stage("records", 1)
    with read_snapshot():  # one moment's ledger, while new records go on arriving
        result = ledger_verify(diary=job.diary, check_files=True)
    outcome: dict[str, object] = {"ok": result.ok, "records": result.records}
    if not result.ok:
        outcome["problem"] = str(result.problem)
    return outcome


def head_anchor(job: Job, progress: Reports) -> dict[str, object]:
    """The diary's head, sent to every timestamp authority (failures are kept and shown)."""
    if job.diary is None:
        raise PlainError("This job has no diary to timestamp.")
    progress.stage("timestamp", 1)
    made = anchor(job.diary)
    return {"tokens": len(made)}
