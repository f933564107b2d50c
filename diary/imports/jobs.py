"""Reading an export and adding its messages, as jobs a worker runs."""

from diary.imports.pending import pending_add, pending_read
from diary.jobs.progress import PlainError, Reports
from diary.models import Job, PendingImport

GONE = (
    "This export is no longer here: it was added already, or was waiting too long. Upload it again."
)


def _pending(job: Job) -> PendingImport:
    pending = PendingImport.objects.filter(pk=job.params.get("pending"), diary=job.diary).first()
    if pending is None or job.diary is None:
        raise PlainError(GONE)
    return pending


def import_read(job: Job, progress: Reports) -> dict[str, object]:
    pending = _pending(job)
    parties = pending_read(pending=pending, progress=progress)
    return {"pending": str(pending.pk), "parties": len(parties)}


def import_add(job: Job, progress: Reports) -> dict[str, object]:
    pending = _pending(job)
    done = pending_add(
        pending=pending,
        actor=job.requested_by,
        parties=list(job.params.get("parties", [])),
        to_them=bool(job.params.get("to_them")),
        person=str(job.params.get("person", "")),
        progress=progress,
    )
    return {
        "import": done.message_import.number,
        "added": done.added,
        "already": done.already,
    }
