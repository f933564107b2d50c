"""One export or ledger check, run in a process of its own so its peak memory can be read.

`python -m bench.jobs JOB DIARY_ID` prints one JSON line: the seconds the work took (after
Django and the libraries are loaded), in wall-clock and CPU time (its own and that of the
processes it started and waited for, which `children_cpu_seconds` gives apart), and the
resident memory before it began. The parent reads
the process's peak resident memory from the kernel when it ends (bench.run.run_job).

Jobs:
- pdf: the chronology PDF of a diary's entries, as the bundle makes it;
- csv: entries.csv of a diary's entries;
- zip: the whole bundle (export_create: files, CSV, ledger, manifest, its ledger record) with
  the PDF step replaced by a placeholder, since the PDF is measured on its own;
- verify: verify_ledger's check of one diary;
- verify-all: verify_ledger's check of every diary, files included (the data's sanity check);
- offline: the bundle's own verify.py (`python3 -I`, the standard library alone) over a bundle
  of the diary (made first, its PDF a placeholder; only the check is timed, in its own process);
- import-chat, import-mail: an export (bench/imports.py) brought into the diary as the worker
  brings it in: kept as uploaded (diary.imports.pending), read for whom it holds, the main
  sender chosen, and read again as their messages are added as entries. E-mail's DKIM keys are
  answered by the samples' own DNS (tests/imports/samples/mail.py FakeDns), as in the tests.
"""

import json
import sys
import time
from typing import Any


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pdf(diary: Any) -> dict[str, Any]:
    from diary.bundle.chronology import chronology_pdf
    from diary.bundle.writer import entries_for_export
    from diary.ledger.services import ledger_head

    entries = entries_for_export(diary)
    head = ledger_head(diary)
    assert head is not None  # the bench diary is recorded
    data = chronology_pdf(diary, entries, head.hash, {})
    return {"entries": entries.count(), "bytes": len(data)}


def csv(diary: Any) -> dict[str, Any]:
    from diary.bundle.writer import each_entry, entries_csv_chunks, entries_for_export

    # As the bundle writes it: a chunk of entries at a time, the CSV written as it is made.
    size = sum(
        len(chunk)
        for chunk in entries_csv_chunks(each_entry(entries_for_export(diary)), diary=diary)
    )
    return {"bytes": size}


def zip_bundle(diary: Any) -> dict[str, Any]:
    from unittest import mock

    from diary.bundle.services import export_create

    placeholder = b"%PDF-1.4\n% measured on its own\n%%EOF\n"
    with mock.patch("diary.bundle.writer.chronology_pdf", return_value=placeholder):
        export = export_create(diary=diary, actor=diary.owner)
    return {"bytes": export.size, "files": export.diary.evidence.count()}


def verify(diary: Any) -> dict[str, Any]:
    from diary.ledger.verify import ledger_verify

    result = ledger_verify(diary=diary, workers=None)  # as the verify_ledger command runs it
    if not result.ok:
        raise SystemExit(f"the ledger does not verify: {result.problem}")
    return {"records": result.records}


def verify_all(diary: Any) -> dict[str, Any]:
    from diary.ledger.verify import ledger_verify

    result = ledger_verify(workers=None)
    if not result.ok:
        raise SystemExit(f"the ledger does not verify: {result.problem}")
    return {"records": result.records, "diaries": len(result.heads)}


def offline(diary: Any) -> dict[str, Any]:
    """Times the check itself, not the bundle's making: seconds and CPU are the verifier's."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path
    from unittest import mock

    from diary.bundle.services import export_create, unzip_to

    placeholder = b"%PDF-1.4\n% measured on its own\n%%EOF\n"
    with tempfile.TemporaryDirectory() as folder:
        with mock.patch("diary.bundle.writer.chronology_pdf", return_value=placeholder):
            export = export_create(diary=diary, actor=diary.owner)
        bundle = unzip_to(export, Path(folder) / "bundle")
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-I", str(bundle / "verify.py"), str(bundle)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        said = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0 or not said.startswith("OK: "):
            raise SystemExit(f"verify.py did not pass: {said}")
        copy_seconds = _copy_check(diary, bundle, Path(folder))
    return {
        "verifier_seconds": seconds,
        "verifier_cpu_seconds": usage.ru_utime + usage.ru_stime,
        "records": export.head_seq,
        "copy_seconds": copy_seconds,
    }


def _copy_check(diary: Any, bundle: Any, folder: Any) -> float:
    """What a kept copy adds to the check: a signed head from the middle of the ledger, checked
    against the bundle's 100,000 records once they are read (the part --earlier adds)."""
    import json

    from diary.bundle.offline import verify as offline
    from diary.ledger.heads import head_file_name, head_signed
    from diary.models import LedgerRecord

    middle = LedgerRecord.objects.get(diary=diary, seq=diary.ledger.count() // 2)
    head = head_signed(record=middle)
    path = folder / head_file_name(head)
    path.write_text(json.dumps(head))
    _summary, manifest, records, fingerprint = offline.verify_bundle(bundle)
    started = time.process_time()
    offline.check_copies(manifest, records, [path], [], {fingerprint})
    return time.process_time() - started


class Stages:
    """The Reports a job is given: when each stage began (`first` names the time before the
    work's own first stage), and how many things were done."""

    def __init__(self, first: str) -> None:
        self.began: list[tuple[str, float]] = [(first, time.perf_counter())]
        self.done = 0

    def stage(self, name: str, total: int = 0) -> None:
        self.began.append((name, time.perf_counter()))

    def step(self, count: int = 1) -> None:
        self.done += count

    def seconds(self, until: float) -> dict[str, float]:
        ends = [at for _name, at in self.began[1:]] + [until]
        return {name: end - at for (name, at), end in zip(self.began, ends, strict=True)}


def _import(diary: Any, key: str) -> dict[str, Any]:
    from contextlib import ExitStack
    from pathlib import Path
    from unittest import mock

    from django.core.files.uploadedfile import UploadedFile

    from bench.imports import CHAT_ZONE, MAIL_DOMAINS, chat_path, mail_path
    from diary.imports.pending import pending_add, pending_create, pending_read
    from diary.models import Entry, PendingImport

    path: Path = chat_path() if key == "chat" else mail_path()
    with ExitStack() as stack:
        if key == "mail":
            from tests.imports.samples.mail import FakeDns

            stack.enter_context(
                mock.patch("diary.imports.formats.mail._default_dns", FakeDns(*MAIL_DOMAINS))
            )
        started = time.perf_counter()
        with path.open("rb") as handle:
            pending_create(
                diary=diary,
                actor=diary.owner,
                upload=UploadedFile(handle, name=path.name, size=path.stat().st_size),
                time_zone=CHAT_ZONE if key == "chat" else "",
                day_first=None,
            )
        pending = PendingImport.objects.get(diary=diary)
        kept = time.perf_counter()
        parties = pending_read(pending=pending, progress=Stages("decrypting"))
        read = time.perf_counter()
        adding = Stages("decrypting")
        main = parties[0]  # the main sender: most messages first
        done = pending_add(
            pending=pending,
            actor=diary.owner,
            parties=[main["party"]],
            to_them=False,
            person=main["name"],
            progress=adding,
        )
        ended = time.perf_counter()
    entries = Entry.objects.filter(diary=diary).count()
    if entries != done.added or done.added != main["count"]:
        raise SystemExit(f"{done.added} added, {entries} entries, {main['count']} expected")
    return {
        "bytes": path.stat().st_size,
        "messages": sum(party["count"] for party in parties),
        "chosen": main["party"],
        "added": done.added,
        "stages": {
            "upload kept": kept - started,
            "whom it holds": read - kept,
            **adding.seconds(ended),
        },
    }


def import_chat(diary: Any) -> dict[str, Any]:
    return _import(diary, "chat")


def import_mail(diary: Any) -> dict[str, Any]:
    return _import(diary, "mail")


JOBS = {
    "pdf": pdf,
    "csv": csv,
    "zip": zip_bundle,
    "verify": verify,
    "verify-all": verify_all,
    "offline": offline,
    "import-chat": import_chat,
    "import-mail": import_mail,
}


def main(job: str, diary_id: int) -> None:
    import django

    django.setup()
    if job == "pdf":
        import weasyprint  # noqa: F401 - its fonts and styles load once per process, not per PDF

    from diary.models import Diary

    diary = Diary.objects.select_related("owner").get(pk=diary_id)
    baseline = resident_mb()
    started, cpu, children = time.perf_counter(), time.process_time(), children_cpu()
    extra = JOBS[job](diary)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # Work handed to processes of its own (verify_ledger's segments) is counted too.
    children = children_cpu() - children
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu + children,
                "children_cpu_seconds": children,
                "baseline_mb": baseline,
                **extra,
            }
        ),
        flush=True,
    )


def children_cpu() -> float:
    """CPU seconds of this process's ended and reaped children, user and system."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
