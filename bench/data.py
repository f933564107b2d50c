"""The benchmark's data, made by the demo builder (witnesses/demo/builder.py) through the app's
own services, so it is whatever the app makes.

Run as `python -m bench.data OUT_DIR` with DATABASE_URL and MEDIA_ROOT pointing into OUT_DIR
(bench.run does this); it migrates, fills the database and writes OUT_DIR/meta.json.
`--quick` makes the same shapes a hundredth of the size, to try the recipe in seconds.

What it makes (deterministic: one seed):
- a "small" diary of 1,000 entries and a "large" one of 10,000: the demo story, scaled up, with
  20 contacts (one sees the whole timeline) who have sent 90 things between them, some added
  to the timeline and some kept aside; 1 in 10 entries amended, 1 in 100 withdrawn, 1 in 50
  with an item kept, 1 in 5 with a photo (200 and 2,000); and on the large one four 48 MB
  videos, so that its files add up to more than the 200 MB an export may use;
- 100 other diaries around them, each the demo story without its photos;
- a "ledger" diary, the demo story with its ledger padded to exactly 100,000 records by entries
  written in bulk (witnesses/demo/bulk.py says why, and what it costs through the services).
  Whether that stays valid is checked by the benchmark itself: verify_ledger must pass over it.
"""

import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

SEED = 8
CONTACTS = 20
VIDEOS = 4
VIDEO_BYTES = 48 * 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    small: int = 1_000
    large: int = 10_000
    others: int = 100
    ledger_records: int = 100_000
    videos: int = VIDEOS


QUICK = Sizes(small=100, large=200, others=2, ledger_records=1_000, videos=1)


def _progress(message: str) -> None:
    print(f"  [data] {message}", file=sys.stderr, flush=True)


def _video() -> bytes:
    # An MP4 header (what the app sniffs) and padding: only the size matters here.
    header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    block = bytes(range(256)) * 4096
    body = block * (VIDEO_BYTES // len(block) + 1)
    return (header + body)[:VIDEO_BYTES]


def new_owner(email: str) -> Any:
    from diary.models import User

    return User.objects.create_user(email=email, password=None)


def measured(name: str, entries: int, *, videos: int = 0) -> dict[str, Any]:
    """One diary the benchmark measures: the story scaled up to `entries`, and `videos` large
    files on entries chosen by the seed."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from diary.evidence.services import evidence_attach
    from diary.models import Entry
    from witnesses.demo.builder import build_demo
    from witnesses.models import Sharing

    started = time.perf_counter()
    demo = build_demo(
        owner=new_owner(f"{name}@bench.example"), size=entries, contacts=CONTACTS, seed=SEED
    )
    standing = Entry.objects.filter(diary=demo.diary, withdrawal__isnull=True).order_by("number")
    video = _video() if videos else b""
    for n, entry in enumerate(random.Random(SEED).sample(list(standing), k=videos)):
        upload = SimpleUploadedFile(f"VID_{n:04d}.mp4", video, "video/mp4")
        evidence_attach(entry=entry, actor=demo.owner, upload=upload)
    _progress(f"{name}: {entries} entries and their like in {time.perf_counter() - started:.1f} s")
    contacts = list(demo.contacts.values())
    return {
        "diary": demo.diary.pk,
        "owner": demo.owner.pk,
        "entries": entries,
        # The entry page the benchmark counts: a photo and a kept item.
        "entry": demo.entries["flowers"].pk,
        "witness_keys": [contact.device_key for contact in contacts],
        "witness_all_key": next(c.device_key for c in contacts if c.witness.sharing == Sharing.ALL),
        "counts": asdict(demo.counts),
    }


def others(count: int) -> None:
    from witnesses.demo.builder import build_demo

    started = time.perf_counter()
    for n in range(count):
        build_demo(owner=new_owner(f"other{n}@bench.example"), seed=SEED + n, with_files=False)
    _progress(f"{count} other diaries in {time.perf_counter() - started:.1f} s")


def ledger(records: int) -> dict[str, Any]:
    from witnesses.demo.builder import build_demo

    started = time.perf_counter()
    demo = build_demo(
        owner=new_owner("ledger@bench.example"), with_files=False, ledger_records=records
    )
    seq = demo.counts.ledger_records
    _progress(f"ledger: {seq} records in {time.perf_counter() - started:.1f} s")
    return {"diary": demo.diary.pk, "owner": demo.owner.pk, "records": seq}


def generate(out: Path, sizes: Sizes = Sizes()) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    meta: dict[str, Any] = {
        "small": measured("small", sizes.small),
        "large": measured("large", sizes.large, videos=sizes.videos),
    }
    others(sizes.others)
    meta["ledger"] = ledger(sizes.ledger_records)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    if connection.vendor == "sqlite":
        # Everything into the database file itself, so copying that one file copies it all.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    return meta


if __name__ == "__main__":
    generate(Path(sys.argv[1]), QUICK if "--quick" in sys.argv[2:] else Sizes())
