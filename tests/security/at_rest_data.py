"""A diary with a known sentence and a known image in every place they can be kept: entry
versions, evidence, items, a withdrawal, contacts, what they sent, the brief, a kept-aside
reason, a risk checklist note, and a bundle. Made through the services."""

import io
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from PIL import Image, PngImagePlugin

from diary.bundle.services import export_create
from diary.core import crypto
from diary.evidence.services import evidence_attach
from diary.models import Entry, Evidence, Export, IdempotencyKey, User
from diary.ops import rekey
from diary.records import services
from diary.risk.questions import QUESTIONS
from diary.risk.services import risk_checklist_complete
from tests.factories import make_entry
from tests.witnesses.factories import (
    PHONE,
    make_submission,
    make_witness,
    submission_content,
)
from witnesses.models import BriefVersion, Submission, SubmissionFile
from witnesses.services.brief import brief_update
from witnesses.services.links import device_open
from witnesses.services.submissions import (
    follow_up_add,
    submission_accept,
    submission_create,
    submission_keep_aside,
)

# Two words found nowhere else in the code or the test data, so finding either in a raw
# database or file can only mean plaintext leaked.
WORD, OTHER_WORD = "Quokkabridge", "Zanzimarsh"
SENTENCE = f"He said: meet me at {WORD} Lane by the {OTHER_WORD} gate at midnight."
IMAGE_MARKER = b"SENTINEL-IMAGE-4f1c9e"


def sentinel_image() -> bytes:
    """A PNG of random pixels (so any slice of it is unique) with a marker in a text chunk."""
    image = Image.frombytes("RGB", (48, 48), os.urandom(48 * 48 * 3))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", IMAGE_MARKER.decode())
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def png(data: bytes, name: str = "sentinel.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/png")


@dataclass
class Filled:
    entry: Entry
    accepted: Entry
    submission: Submission
    export: Export
    image: bytes


def fill_diary(owner: User) -> Filled:
    image = sentinel_image()
    account: dict[str, Any] = {
        "what_happened": SENTENCE,
        "words_used": SENTENCE,
        "location": f"{WORD} Lane",
        "vehicle_registration": OTHER_WORD[:8],
        "vehicle_make": WORD,
        "vehicle_colour": OTHER_WORD,
        "clothing": SENTENCE,
        "others_present": SENTENCE,
    }
    entry = make_entry(
        owner,
        **account,
        impact=SENTENCE,
        police_reported=True,
        police_reference=f"CR/{WORD}",
        police_officer=OTHER_WORD,
        police_said=SENTENCE,
        police_action=SENTENCE,
        latitude=Decimal("51.501364"),
        longitude=Decimal("-0.141890"),
    )
    services.entry_amend(
        entry=entry,
        actor=owner,
        content={**entry.current.content_values(), "what_happened": f"{SENTENCE} Again."},
    )
    evidence_attach(entry=entry, actor=owner, upload=png(image), description=SENTENCE[:300])
    services.item_create(
        diary=owner.diary,
        actor=owner,
        content={
            "kind": "letter",
            "description": SENTENCE,
            "found_at": entry.current.occurred_start,
            "found_where": WORD,
            "found_by": OTHER_WORD,
            "handling": SENTENCE,
            "current_location": WORD,
            "police_handed_to": OTHER_WORD,
            "exhibit_reference": WORD,
        },
    )
    gone = make_entry(owner, what_happened="A mistake.")
    services.entry_withdraw(entry=gone, actor=owner, reason=SENTENCE)

    _witness, token = make_witness(owner, name=f"{WORD} Smith", contact=f"{OTHER_WORD}@example.com")
    device, _key = device_open(token=token, user_agent=PHONE)
    submission = make_submission(
        device,
        uploads=[png(image, "IMG_0042.png")],
        **account,
        statement="yes",
        statement_contact=OTHER_WORD,
    )
    follow_up_add(device=device, submission=submission, text=SENTENCE)
    aside = submission_create(device=device, content=submission_content(what_happened=SENTENCE))
    submission_keep_aside(submission=aside, actor=owner, reason=SENTENCE)
    accepted = submission_accept(submission=submission, actor=owner)
    brief_update(
        diary=owner.diary,
        actor=owner,
        content={
            "person": SENTENCE,
            "vehicles": SENTENCE,
            "places": SENTENCE,
            "what_to_record": SENTENCE,
            "safety": SENTENCE,
        },
        photo=png(image, "him.png"),
    )
    answers: dict[str, Any] = {q.code: "not_sure" for q in QUESTIONS}
    answers["fear"] = {"answer": "very", "note": SENTENCE}
    risk_checklist_complete(diary=owner.diary, actor=owner, answers=answers)
    # A send with an Idempotency-Key keeps its answer (what was sent) for retries.
    client = Client()
    client.force_login(owner)
    keyed = client.post(
        "/api/entries/",
        {"what_happened": SENTENCE, "words_used": SENTENCE},
        content_type="application/json",
        headers={"Idempotency-Key": "retry-1"},
    )
    assert keyed.status_code == 201, keyed.content
    assert IdempotencyKey.objects.exists()
    export = export_create(
        diary=owner.diary, actor=owner, include_contacts=True, include_reasons=True
    )
    return Filled(entry=entry, accepted=accepted, submission=submission, export=export, image=image)


def media_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def stored_plaintexts() -> list[bytes]:
    """The decrypted content of every stored file (previews and the brief photo are copies
    re-encoded from the image, so their bytes differ from it)."""
    refs = []
    for kept in [*Evidence.objects.all(), *SubmissionFile.objects.all()]:
        refs += [kept.original_file, kept.preview_file]
    refs += [brief.photo_file for brief in BriefVersion.objects.exclude(photo="")]
    plain = []
    for ref in refs:
        if ref:
            with ref.open() as handle:
                plain.append(handle.read())
    return plain


def raw_key_ids() -> set[str]:
    """The key id of every sealed value and wrapped file key, read straight from the rows."""
    found: set[str] = set()
    for model in apps.get_models():
        names = [f.column for f in [*rekey.encrypted_fields(model), *rekey.key_fields(model)]]
        if not names:
            continue
        with connection.cursor() as cursor:
            quoted = ", ".join(connection.ops.quote_name(n) for n in names)
            cursor.execute(f"SELECT {quoted} FROM {model._meta.db_table}")  # noqa: S608
            for row in cursor.fetchall():
                found |= {crypto.key_id_of(value) for value in row if value}
    return found
