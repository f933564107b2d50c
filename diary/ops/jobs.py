"""The instance's own long work as jobs, asked for from the command line (`backup
--in-background`, `rotate_keys --in-background`) and run by a worker. No owner sees these.

Restoring stays in the foreground: it fills an empty instance, before there is a worker with
anything to read, and it replaces the very tables a worker would take its jobs from.
"""

from pathlib import Path

from diary.core.crypto import DecryptionError
from diary.jobs.progress import PlainError, Reports
from diary.models import Job
from diary.ops import rekey
from diary.ops.backup import BackupError, backup_create, load_key


def backup_make(job: Job, progress: Reports) -> dict[str, object]:
    try:
        key = load_key(job.params.get("key_file"))
        summary = backup_create(Path(job.params["out"]), key, progress=progress)
    except BackupError as error:
        raise PlainError(str(error)) from None
    return {
        "out": job.params["out"],
        "rows": summary.rows,
        "files": summary.files,
        "bytes": summary.bytes,
    }


def keys_rotate(job: Job, progress: Reports) -> dict[str, object]:
    try:
        report = rekey.rotate_all(with_index=bool(job.params.get("reindex")), progress=progress)
    except DecryptionError as error:
        raise PlainError(str(error)) from None
    return {
        "values": report.values.total(),
        "rows": report.rows.total(),
        "file_keys": report.file_keys.total(),
        "files": report.files.total(),
        "indexed": report.indexed.total(),
    }
