"""A diary big enough that its bundle takes a worker seconds, made and read back inside another
instance's settings (`manage.py shell -c`), for the tests that run real workers: the server
tests (tests/test_jobs_worker.py) and the browser journeys (tests/e2e/).

    manage.py shell -c "from tests.big_diary import seed; seed(entries=300, files=300)"

prints one line of JSON: what the caller needs to act as the owner (a session cookie, already
confirmed) and as her contact (a witness cookie)."""

import io
import json
from datetime import timedelta
from typing import Any

from django.utils import timezone
from PIL import Image

FILLER = (
    "A grey car parked across the road again, engine running, and the driver watched the "
    "house for a long while before driving off slowly past the school."
)


def seed(*, entries: int, files: int = 0, email: str, existing: bool = False) -> None:
    """`entries` entries (the first `files` with a photo each) in the diary of the owner with
    this e-mail address: one who signed up already (`existing`), or a new one, with a contact,
    whose cookies are printed as JSON."""
    from diary.evidence.services import evidence_attach
    from diary.models import User
    from diary.records.services import entry_create
    from tests.factories import OwnerFactory, upload
    from tests.test_live import session_cookie
    from witnesses.services.links import device_open, witness_invite

    owner = User.objects.get(email=email) if existing else OwnerFactory(email=email)
    start = timezone.now() - timedelta(days=entries)
    for number in range(entries):
        entry = entry_create(
            diary=owner.diary,
            actor=owner,
            content={
                "what_happened": f"{number + 1}. {FILLER}",
                "occurred_start": start + timedelta(days=number),
            },
        )
        if number < files:
            photo = _photo(number)
            evidence_attach(entry=entry, actor=owner, upload=upload(f"car{number}.jpg", photo))
    made = {"owner": owner.email, "diary": owner.diary.pk}
    if not existing:
        _, token = witness_invite(
            diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
        )
        _, witness_key = device_open(token=token, user_agent="test")  # type: ignore[misc]
        made["cookie"] = session_cookie(owner, confirmed=True).decode()
        made["witness_key"] = witness_key
    print(json.dumps(made))


def _photo(number: int) -> bytes:
    """A photo of its own (noise: each a different file, as big as a phone's small ones)."""
    image = Image.effect_noise((480, 360), 40 + number % 50).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def state(*, diary: int) -> None:
    """What the worker left for this diary, as JSON: its jobs, bundles, their ledger records
    and access-log lines, and the files under exports/."""
    from django.conf import settings

    from diary.ledger.services import EXPORT_CREATE
    from diary.models import Diary, Export, Job, LedgerRecord
    from diary.models.safety import AccessEvent

    owner = Diary.objects.get(pk=diary).owner
    exports = settings.MEDIA_ROOT / "exports" / str(diary)
    found: dict[str, Any] = {
        "jobs": [
            {
                "id": str(job.pk),
                "state": job.state,
                "stage": job.stage,
                "attempts": job.attempts,
                "reason": job.reason,
                "partial": job.partial,
                "export": job.export_id,
            }
            for job in Job.objects.filter(diary_id=diary).order_by("created_at")
        ],
        "exports": [
            {"id": export.pk, "number": export.number, "bundle": export.bundle.name}
            for export in Export.objects.filter(diary_id=diary)
        ],
        "export_records": LedgerRecord.objects.filter(diary_id=diary, kind=EXPORT_CREATE).count(),
        # Each line and how many times it happened (a repeat within minutes folds into one).
        "export_lines": [
            line.count
            for line in AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.EXPORT)
        ],
        "files": sorted(
            str(path.relative_to(settings.MEDIA_ROOT))
            for path in (exports.rglob("*") if exports.exists() else ())
            if path.is_file()
        ),
    }
    print(json.dumps(found))
