"""The benchmark's data: made through the app's own services, so it is whatever the app makes.

Run as `python -m bench.data OUT_DIR` with DATABASE_URL and MEDIA_ROOT pointing into OUT_DIR
(bench.run does this); it migrates, fills the database and writes OUT_DIR/meta.json.

What it makes (deterministic: one seed):
- a "small" diary with 1,000 entries and a "large" one with 10,000, each with 20 witnesses
  (one sees the whole timeline), a brief, 100 submissions (some added, some kept aside), 20
  physical items, 10% of entries amended, 1% withdrawn; 200 small photos on the small diary and
  1,800 on the large one (2,000 in all), plus four 48 MB videos on the large one, so its files
  add up to more than the 200 MB an export may use;
- 100 other diaries around them, 10 entries and a witness each;
- a "ledger" diary whose chain is exactly 100,000 records long. Services would take minutes for
  that many (about 4 ms a record: a lock, two inserts, the ledger append and the live event), so
  its rows are bulk-inserted and its records are hashed from the rows as the database returns
  them, the way verify_ledger reads them. Whether that stays valid is checked by the benchmark
  itself: verify_ledger must pass over it.
"""

import io
import json
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from witnesses.models import WitnessDevice

SEED = 8
SMALL_ENTRIES = 1_000
LARGE_ENTRIES = 10_000
WITNESSES = 20
SUBMISSIONS_PER_WITNESS = 5
SMALL_PHOTOS = 200
LARGE_PHOTOS = 1_800
LARGE_VIDEOS = 4
VIDEO_BYTES = 48 * 1024 * 1024
ITEMS = 20
OTHER_DIARIES = 100
OTHER_ENTRIES = 10
LEDGER_RECORDS = 100_000
LEDGER_VERSIONS = 3  # each bulk entry has three versions: one create and two amend records
PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36"

PLACES = (
    "Outside the house",
    "The bus stop on Mill Road",
    "Work car park",
    "Tesco on the High Street",
    "The gym on Station Road",
    "Outside my sister's flat",
    "The station forecourt",
    "School gates",
    "The park by the canal",
    "Outside the office",
    "",
)
SENTENCES = (
    "He was standing across the road when I came out.",
    "The same grey car drove past twice, slowly.",
    "I got three messages from a new number within an hour.",
    "He was waiting by the gate when I got home.",
    "A neighbour said someone had been asking about me.",
    "A card was left on the doorstep, unsigned.",
    "He followed me from the bus stop to the shop.",
    "He posted about me again on his public page.",
    "My car had a flat tyre and the valve cap was missing.",
    "He sat in the car outside for about twenty minutes.",
    "He called my work and asked when I finish.",
    "I saw him at the end of the platform, watching.",
    "Flowers were delivered with no name on the card.",
    "He walked past the window three times.",
    "He was at the gym at the same time as me, again.",
)
WORDS = (
    "I only want to talk.",
    "You can't hide from me.",
    "I know where you are.",
    "Just give me your number.",
    "You'll regret this.",
)
IMPACTS = (
    "Shaken all morning.",
    "Couldn't sleep.",
    "Took a taxi home instead of the bus.",
    "Stayed at my sister's that night.",
    "Told my manager; they walked me to the car.",
    "",
)
WITNESS_NAMES = (
    "Pat",
    "Sam",
    "Alex",
    "Jo",
    "Chris",
    "Robin",
    "Kim",
    "Lee",
    "Morgan",
    "Taylor",
    "Jamie",
    "Casey",
    "Drew",
    "Ash",
    "Jordan",
    "Charlie",
    "Frankie",
    "Rowan",
    "Sasha",
    "Eden",
)
RELATIONSHIPS = ("family", "friend", "neighbour", "colleague", "other")
SUBMISSION_KINDS = ("saw", "approached", "contacted", "found", "other")


def _progress(message: str) -> None:
    print(f"  [data] {message}", file=sys.stderr, flush=True)


def _photos(count: int) -> list[bytes]:
    """A few distinct small JPEG photos (about 10 KB each), reused round-robin."""
    from PIL import Image

    rng = random.Random(SEED)
    photos = []
    for _ in range(count):
        image = Image.effect_noise((160, 120), rng.randint(20, 80)).convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        photos.append(buffer.getvalue())
    return photos


def _video() -> bytes:
    # An MP4 header (what the app sniffs) and padding: only the size matters here.
    header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    block = bytes(range(256)) * 4096
    body = block * (VIDEO_BYTES // len(block) + 1)
    return (header + body)[:VIDEO_BYTES]


def entry_content(rng: random.Random, now: Any, *, days_back: int) -> dict[str, Any]:
    from diary.models.choices import Behaviour, Channel, Precision

    when = now - timedelta(minutes=rng.randint(90, days_back * 24 * 60))
    precision = rng.choices(
        (Precision.EXACT, Precision.APPROXIMATE, Precision.RANGE), weights=(6, 3, 1)
    )[0]
    content: dict[str, Any] = {
        "precision": precision,
        "occurred_start": when,
        "location": rng.choice(PLACES),
        "behaviours": rng.sample(Behaviour.values, k=rng.choice((1, 1, 1, 2))),
        "channel": rng.choice(Channel.values),
        "what_happened": " ".join(rng.sample(SENTENCES, k=rng.randint(2, 5))),
        "words_used": rng.choice(WORDS) if rng.random() < 0.4 else "",
        "impact": rng.choice(IMPACTS),
    }
    if precision == Precision.RANGE:
        content["occurred_end"] = when + timedelta(minutes=rng.randint(10, 80))
    if rng.random() < 0.2:
        content.update(vehicle_registration="KX19 ABC", vehicle_make="Ford Focus")
        content["vehicle_colour"] = "Grey"
    return content


def _upload(name: str, data: bytes, content_type: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type)


def phone_opens(token: str) -> "tuple[WitnessDevice, str]":
    """A contact's phone opening a link just made, so still active: its device and key."""
    from witnesses.services.links import device_open

    opened = device_open(token=token, user_agent=PHONE)
    assert opened is not None
    return opened


def make_owner(email: str) -> Any:
    from diary.models import User
    from diary.records import services

    user = User.objects.create_user(email=email, password=None)
    services.diary_create(owner=user)
    user.refresh_from_db()
    return user


def fill_diary(
    *,
    name: str,
    entries: int,
    photos: int,
    videos: int,
    rng: random.Random,
    photo_bytes: list[bytes],
) -> dict[str, Any]:
    """One measured diary, through the services, the way an owner and witnesses would fill it."""
    from django.utils import timezone

    from diary.evidence.services import evidence_attach
    from diary.records import services
    from witnesses.models import Sharing
    from witnesses.services.brief import brief_update
    from witnesses.services.links import witness_invite
    from witnesses.services.sharing import entry_share
    from witnesses.services.submissions import (
        submission_accept,
        submission_create,
        submission_keep_aside,
    )

    started = time.perf_counter()
    owner = make_owner(f"{name}@bench.example")
    diary = owner.diary
    now = timezone.now()
    days_back = max(30, entries // 9)  # about nine incidents a day, as in a bad stretch
    made = []
    for _ in range(entries):
        content = entry_content(rng, now, days_back=days_back)
        made.append(services.entry_create(diary=diary, actor=owner, content=content))
    _progress(f"{name}: {entries} entries in {time.perf_counter() - started:.1f} s")

    # The entry the benchmark opens: two amendments, three photos and a linked item.
    showcase = made[0]
    assert showcase.current is not None
    for place in ("Outside the house", "Outside the house, by the gate"):
        content = {**showcase.current.content_values(), "location": place}
        services.entry_amend(entry=showcase, actor=owner, content=content)
    for n in range(3):
        evidence_attach(
            entry=showcase,
            actor=owner,
            upload=_upload(f"IMG_{n:04d}.jpg", photo_bytes[n], "image/jpeg"),
        )
    for n in range(ITEMS):
        linked = showcase if n < 2 else rng.choice(made)
        assert linked.current is not None
        services.item_create(
            diary=diary,
            actor=owner,
            content={
                "kind": rng.choice(("gift", "letter", "package", "damaged_property")),
                "description": "Left on the doorstep in a plain bag.",
                "found_at": linked.current.occurred_start,
                "entry": linked,
            },
        )
    for entry in rng.sample(made[1:], k=entries // 10):
        assert entry.current is not None
        content = {**entry.current.content_values(), "impact": "Added later: still shaken."}
        services.entry_amend(entry=entry, actor=owner, content=content)
    withdrawn = rng.sample(made[1:], k=entries // 100)
    for entry in withdrawn:
        services.entry_withdraw(entry=entry, actor=owner, reason="Entered twice by mistake.")
    gone = {entry.pk for entry in withdrawn}
    standing = [entry for entry in made[1:] if entry.pk not in gone]
    with_files = rng.sample(standing, k=photos + videos)
    for n, entry in enumerate(with_files[:photos]):
        data = photo_bytes[n % len(photo_bytes)]
        upload = _upload(f"IMG_{n:04d}.jpg", data, "image/jpeg")
        evidence_attach(entry=entry, actor=owner, upload=upload)
    if videos:
        video = _video()
        for n, entry in enumerate(with_files[photos:]):
            upload = _upload(f"VID_{n:04d}.mp4", video, "video/mp4")
            evidence_attach(entry=entry, actor=owner, upload=upload)
    _progress(f"{name}: versions, items and {photos + videos} files done")

    brief_update(
        diary=diary,
        actor=owner,
        content={
            "person": "Tall, short dark hair, often in a navy puffer jacket.",
            "vehicles": "Grey Ford Focus, KX19 ABC",
            "places": "Mill Road bus stop; the station; outside work",
            "what_to_record": "Time, place, what he did, exact words.",
        },
    )
    keys = []
    sharing = (Sharing.ALL, Sharing.MARKED, Sharing.BRIEF)
    for n in range(WITNESSES):
        _witness, token = witness_invite(
            diary=diary,
            actor=owner,
            name=WITNESS_NAMES[n],
            relationship=RELATIONSHIPS[n % len(RELATIONSHIPS)],
            sharing=sharing[0] if n == 0 else rng.choice(sharing),
        )
        device, key = phone_opens(token)
        keys.append(key)
        for m in range(SUBMISSIONS_PER_WITNESS):
            uploads = []
            if m == 0:
                uploads = [_upload("photo.jpg", photo_bytes[n % len(photo_bytes)], "image/jpeg")]
            submission = submission_create(
                device=device,
                content={
                    "kind": rng.choice(SUBMISSION_KINDS),
                    "occurred_start": now - timedelta(hours=rng.randint(2, 24 * 60)),
                    "location": rng.choice(PLACES),
                    "what_happened": " ".join(rng.sample(SENTENCES, k=2)),
                    "words_used": rng.choice(WORDS) if rng.random() < 0.3 else "",
                },
                uploads=uploads,
            )
            outcome = rng.random()
            if outcome < 0.3:
                submission_accept(submission=submission, actor=owner)
            elif outcome < 0.4:
                submission_keep_aside(submission=submission, actor=owner, reason="Not about him.")
    for entry in rng.sample(standing, k=entries // 20):
        entry_share(entry=entry, actor=owner)
    _progress(f"{name}: done in {time.perf_counter() - started:.1f} s")
    return {
        "diary": diary.pk,
        "owner": owner.pk,
        "entries": entries,
        "entry": showcase.pk,
        "witness_keys": keys,
        "witness_all_key": keys[0],
    }


def fill_others(rng: random.Random) -> None:
    from django.utils import timezone

    from diary.records import services
    from witnesses.services.links import witness_invite
    from witnesses.services.submissions import (
        submission_create,
    )

    now = timezone.now()
    for n in range(OTHER_DIARIES):
        owner = make_owner(f"other{n}@bench.example")
        for _ in range(OTHER_ENTRIES):
            content = entry_content(rng, now, days_back=60)
            services.entry_create(diary=owner.diary, actor=owner, content=content)
        _witness, token = witness_invite(
            diary=owner.diary, actor=owner, name="Pat", relationship="friend"
        )
        device, _key = phone_opens(token)
        submission_create(
            device=device,
            content={"kind": "saw", "occurred_start": now, "what_happened": "Saw him again."},
        )


def fill_ledger(rng: random.Random) -> dict[str, Any]:
    """A diary whose ledger holds exactly LEDGER_RECORDS records: bulk rows, valid chain."""
    from django.db import transaction
    from django.utils import timezone

    from diary.core.hashing import canonical_sha256
    from diary.ledger.services import (
        ENTRY_AMEND,
        ENTRY_CREATE,
        actor_label,
        ledger_head,
        object_label,
    )
    from diary.models import Entry, EntryVersion, LedgerRecord

    started = time.perf_counter()
    owner = make_owner("ledger@bench.example")
    diary = owner.diary
    count = (LEDGER_RECORDS - 1) // LEDGER_VERSIONS  # record 1 is the diary's own creation
    assert 1 + count * LEDGER_VERSIONS == LEDGER_RECORDS
    now = timezone.now()
    with transaction.atomic():
        entries = Entry.objects.bulk_create(
            [Entry(diary=diary, number=n + 1, received_at=now) for n in range(count)],
            batch_size=2_000,
        )
        versions = []
        for entry in entries:
            content = entry_content(rng, now, days_back=3 * 365)
            for number in range(1, LEDGER_VERSIONS + 1):
                versions.append(
                    EntryVersion(entry=entry, number=number, recorded_by=owner, **content)
                )
        versions = EntryVersion.objects.bulk_create(versions, batch_size=2_000)
        for entry, last in zip(
            entries, versions[LEDGER_VERSIONS - 1 :: LEDGER_VERSIONS], strict=True
        ):
            entry.current = last
        Entry.objects.bulk_update(entries, ["current"], batch_size=2_000)

        # Hash each version as the database gives it back, exactly as verify_ledger will.
        head = ledger_head(diary)
        assert head is not None  # the diary and its entries are already recorded
        seq, prev_hash = head.seq, head.hash
        records = []
        actor = actor_label(owner)
        stored = EntryVersion.objects.filter(entry__diary=diary).order_by("entry_id", "number")
        for version in stored.iterator(chunk_size=2_000):
            seq += 1
            record = LedgerRecord(
                diary=diary,
                seq=seq,
                kind=ENTRY_CREATE if version.number == 1 else ENTRY_AMEND,
                object=object_label(version),
                actor=actor,
                at=version.recorded_at,
                content_sha256=canonical_sha256(version.ledger_content()),
                prev_hash=prev_hash,
            )
            record.hash = prev_hash = record.computed_hash()
            records.append(record)
        LedgerRecord.objects.bulk_create(records, batch_size=2_000)
    _progress(f"ledger: {seq} records in {time.perf_counter() - started:.1f} s")
    return {"diary": diary.pk, "owner": owner.pk, "records": seq}


def generate(out: Path) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(SEED)
    photo_bytes = _photos(20)
    meta: dict[str, Any] = {
        "small": fill_diary(
            name="small",
            entries=SMALL_ENTRIES,
            photos=SMALL_PHOTOS,
            videos=0,
            rng=rng,
            photo_bytes=photo_bytes,
        ),
        "large": fill_diary(
            name="large",
            entries=LARGE_ENTRIES,
            photos=LARGE_PHOTOS,
            videos=LARGE_VIDEOS,
            rng=rng,
            photo_bytes=photo_bytes,
        ),
    }
    fill_others(rng)
    _progress(f"{OTHER_DIARIES} other diaries done")
    meta["ledger"] = fill_ledger(rng)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    from django.db import connection

    if connection.vendor == "sqlite":
        # Everything into the database file itself, so copying that one file copies it all.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    return meta


if __name__ == "__main__":
    generate(Path(sys.argv[1]))
