"""The load test's server side, run with the stack's settings (`python -m stack.data …`).

`seed`: owners, each with the demo story (witnesses/demo/, without its photos) and as many
contacts as asked, made by the demo builder through the app's own services (the real sign-up
page would take minutes for 200 owners; the owners still sign in through the real sign-in page,
and the contacts' phones open their links again).
`check`: afterwards, from the database and the bucket — every acknowledged send is stored
exactly once, every acknowledged accept made exactly one entry, and every diary's ledger
verifies, files included.
"""

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()


def seed(
    *, run: str, owners: int, contacts: int, entries: int | None, password: str
) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.db.models import Max

    from diary.models import Notice, User
    from diary.safety.services import notice_dismiss
    from witnesses.demo.builder import build_demo
    from witnesses.models import Submission

    # One real (argon2) hash for every owner: each sign-in still checks it at full cost.
    hashed = make_password(password)
    made = []
    for number in range(owners):
        with transaction.atomic():
            owner = User.objects.create(email=f"load-{run}-{number}@example.org", password=hashed)
            for kind in Notice.Kind.values:
                notice_dismiss(user=owner, kind=kind)
            demo = build_demo(
                owner=owner, size=entries, contacts=contacts, seed=number, with_files=False
            )
        invited = [{"id": c.witness.pk, "token": c.token} for c in demo.contacts.values()]
        made.append({"email": owner.email, "diary": demo.diary.pk, "witnesses": invited})
    # What the contacts sent in the story is not the load test's to count.
    before = Submission.objects.aggregate(last=Max("pk"))["last"] or 0
    return {"run": run, "password": password, "owners": made, "submissions_before": before}


def check(report: dict[str, Any]) -> dict[str, Any]:
    """Read back what the load test was told was stored."""
    from diary.ledger.verify import ledger_verify
    from diary.models import Diary, Entry
    from witnesses.models import Decision, Submission

    sends = report["sends"]
    witness_ids = sorted({send["witness"] for send in sends} | set(report["witnesses"]))
    sent = Submission.objects.filter(
        witness_id__in=witness_ids, pk__gt=report["submissions_before"]
    )
    rows = list(sent.values_list("witness_id", "reference", "pk"))
    by_reference = Counter(reference for _w, reference, _pk in rows)
    per_witness = Counter(witness for witness, _r, _pk in rows)
    acknowledged = [send for send in sends if send["reference"]]
    tried = Counter(send["witness"] for send in sends)
    acked = Counter(send["witness"] for send in acknowledged)
    lost = [send for send in acknowledged if by_reference[send["reference"]] == 0]
    # A send is one Idempotency-Key, retried as often as it took: more rows for a contact than
    # keys it sent is a duplicate; more rows than acknowledgements, a send stored unacknowledged.
    duplicated = sum(max(per_witness[w] - tried[w], 0) for w in per_witness) + sum(
        count - 1 for count in by_reference.values() if count > 1
    )
    unacknowledged_stored = sum(
        max(min(per_witness[w], tried[w]) - acked[w], 0) for w in per_witness
    )

    accepted_ids = [accept["submission"] for accept in report["accepts"]]
    decisions = Counter(
        Decision.objects.filter(submission_id__in=accepted_ids, outcome="accepted").values_list(
            "submission_id", flat=True
        )
    )
    entries = Counter(
        Entry.objects.filter(decision__submission_id__in=accepted_ids).values_list(
            "decision__submission_id", flat=True
        )
    )
    accepts_lost = [pk for pk in accepted_ids if decisions[pk] == 0 or entries[pk] == 0]
    accepts_duplicated = sum(count - 1 for count in entries.values() if count > 1)

    diaries = Diary.objects.filter(pk__in=report["diaries"]).order_by("pk")
    verified, failed = 0, []
    for diary in diaries:
        result = ledger_verify(diary=diary, check_files=True)
        if result.ok:
            verified += 1
        else:
            failed.append({"diary": diary.pk, "problem": str(result.problem)})
    return {
        "sends_acknowledged": len(acknowledged),
        "sends_tried": len(sends),
        "rows": len(rows),
        "lost": len(lost),
        "duplicated": duplicated,
        "stored_unacknowledged": unacknowledged_stored,
        "accepts_acknowledged": len(accepted_ids),
        "accepts_lost": len(accepts_lost),
        "accepts_duplicated": accepts_duplicated,
        "diaries": len(report["diaries"]),
        "ledgers_verified": verified,
        "ledgers_failed": failed,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack.data")
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("seed")
    made.add_argument("--run", required=True)
    made.add_argument("--owners", type=int, required=True)
    made.add_argument("--contacts", type=int, required=True)
    made.add_argument("--entries", type=int, help="in each diary (default: the demo story's)")
    made.add_argument("--out", type=Path, required=True)
    checked = commands.add_parser("check")
    checked.add_argument("report", type=Path)
    checked.add_argument("--out", type=Path, required=True)
    options = parser.parse_args(argv)
    _django()
    if options.command == "seed":
        password = os.environ["LOAD_PASSWORD"]
        result = seed(
            run=options.run,
            owners=options.owners,
            contacts=options.contacts,
            entries=options.entries,
            password=password,
        )
    else:
        result = check(json.loads(options.report.read_text()))
    # Links are secrets: the file is for this machine's load test only.
    descriptor = os.open(options.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
