"""A diary with a known sentence and a known image in every place they can be kept: entry
versions, evidence, items, a withdrawal, contacts, what they sent, the brief, a kept-aside
reason, a risk checklist note, and a bundle. Told as a story (witnesses/demo/parts.py) and
written by the demo builder, through the services."""

import io
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client
from PIL import Image, PngImagePlugin

from diary.bundle.services import export_create
from diary.core import crypto
from diary.models import Entry, Evidence, Export, IdempotencyKey, User
from diary.ops import rekey
from diary.risk.questions import QUESTIONS
from tests.witnesses.factories import PHONE
from witnesses.demo.builder import build_demo
from witnesses.demo.parts import Contact, Incident, Kept, Photo, Sent, Story
from witnesses.models import BriefVersion, Submission, SubmissionFile

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


def png(image: bytes, name: str, description: str = "") -> Photo:
    return Photo(name=name, data=image, content_type="image/png", description=description)


# What the owner and the contact both wrote, in every field of an account.
ACCOUNT: dict[str, Any] = {
    "what_happened": SENTENCE,
    "words_used": SENTENCE,
    "location": f"{WORD} Lane",
    "vehicle_registration": OTHER_WORD[:8],
    "vehicle_make": WORD,
    "vehicle_colour": OTHER_WORD,
    "clothing": SENTENCE,
    "others_present": SENTENCE,
}


def sentinel_story(image: bytes) -> Story:
    return Story(
        time_zone="Europe/London",
        incidents=(
            Incident(
                key="entry",
                minutes_ago=120,
                content={
                    **ACCOUNT,
                    "impact": SENTENCE,
                    "police_reported": True,
                    "police_reference": f"CR/{WORD}",
                    "police_officer": OTHER_WORD,
                    "police_said": SENTENCE,
                    "police_action": SENTENCE,
                    "latitude": Decimal("51.501364"),
                    "longitude": Decimal("-0.141890"),
                },
                corrected=f"{SENTENCE} Again.",
                photos=(png(image, "sentinel.png", description=SENTENCE[:300]),),
                kept=(
                    Kept(
                        content={
                            "kind": "letter",
                            "description": SENTENCE,
                            "found_where": WORD,
                            "found_by": OTHER_WORD,
                            "handling": SENTENCE,
                            "current_location": WORD,
                            "police_handed_to": OTHER_WORD,
                            "exhibit_reference": WORD,
                        }
                    ),
                ),
            ),
            Incident(
                key="mistake",
                minutes_ago=120,
                content={"what_happened": "A mistake."},
                withdrawn=SENTENCE,
            ),
        ),
        brief={
            "person": SENTENCE,
            "vehicles": SENTENCE,
            "places": SENTENCE,
            "what_to_record": SENTENCE,
            "safety": SENTENCE,
        },
        brief_photo=png(image, "him.png"),
        person={
            "name": WORD,
            "description": SENTENCE,
            "relationship": "other",
            "relationship_other": OTHER_WORD,
            "vehicles": SENTENCE,
            "addresses": SENTENCE,
        },
        contacts=(
            Contact(
                key="smith",
                name=f"{WORD} Smith",
                relationship="neighbour",
                contact=f"{OTHER_WORD}@example.com",
                phone=PHONE,
            ),
        ),
        sent=(
            Sent(
                key="seen",
                by="smith",
                minutes_ago=60,
                content={
                    "kind": "saw",
                    **ACCOUNT,
                    "statement": "yes",
                    "statement_contact": OTHER_WORD,
                },
                photo=png(image, "IMG_0042.png"),
                follow_up=SENTENCE,
                added=True,
            ),
            Sent(
                key="aside",
                by="smith",
                minutes_ago=60,
                content={
                    "kind": "saw",
                    "location": "Outside the station",
                    "what_happened": SENTENCE,
                },
                kept_aside=SENTENCE,
            ),
        ),
        checklist={
            **{question.code: {"answer": "not_sure"} for question in QUESTIONS},
            "fear": {"answer": "very", "note": SENTENCE},
        },
    )


@dataclass
class Filled:
    entry: Entry
    accepted: Entry
    submission: Submission
    export: Export
    image: bytes


def fill_diary(owner: User) -> Filled:
    image = sentinel_image()
    demo = build_demo(owner=owner, story=sentinel_story(image))
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
    return Filled(
        entry=demo.entries["entry"],
        accepted=demo.added["seen"],
        submission=demo.sent["seen"],
        export=export,
        image=image,
    )


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
