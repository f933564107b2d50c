"""Saving "About the person": each save a new version, with its ledger record."""

import io
import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps

from diary import messages
from diary.core import filestore
from diary.core.filestore import Stored
from diary.core.numbering import next_number
from diary.evidence.intake import STORED_SUFFIX, evidence_check
from diary.ledger.services import PERSON_UPDATE, ledger_append, lock_diary
from diary.models import Diary, PersonVersion, Relationship, User


def _person_photo(upload: UploadedFile, diary: Diary) -> Stored:
    """A re-encoded copy of the photo (no EXIF, no location): the only one ever stored."""
    sniffed = evidence_check(upload, field="photo")
    if not sniffed.mime_type.startswith("image/"):
        raise ValidationError({"photo": messages.PERSON_PHOTO_NOT_IMAGE})
    try:
        with Image.open(upload) as image:
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((1200, 1200))
            buffer = io.BytesIO()
            upright.convert("RGB").save(buffer, format="JPEG", quality=85)
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError({"photo": messages.PERSON_PHOTO_NOT_IMAGE}) from None
    buffer.seek(0)
    return filestore.save(f"person/{diary.pk}/{secrets.token_hex(16)}{STORED_SUFFIX}", buffer)


def person_update(
    *,
    diary: Diary,
    actor: User,
    content: Mapping[str, Any],
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> PersonVersion:
    """Write a new version. The photo carries over unless replaced or removed."""
    fields = {name: str(content.get(name) or "").strip() for name in PersonVersion.CONTENT_FIELDS}
    if fields["relationship"] not in Relationship.values:
        raise ValidationError({"relationship": messages.PERSON_OTHER_NEEDED})
    if fields["relationship"] == Relationship.OTHER and not fields["relationship_other"]:
        raise ValidationError({"relationship_other": messages.PERSON_OTHER_NEEDED})
    if fields["relationship"] != Relationship.OTHER:
        fields["relationship_other"] = ""
    stored: Stored | None = None
    try:
        with transaction.atomic():
            lock_diary(diary)
            previous = PersonVersion.objects.filter(diary=diary).order_by("-number").first()
            version = PersonVersion(
                diary=diary,
                number=next_number(PersonVersion.objects.filter(diary=diary)),
                recorded_by=actor,
                **fields,
            )
            if previous is not None and not remove_photo:
                version.photo.name, version.photo_key = previous.photo.name, previous.photo_key
                version.photo_sha256 = previous.photo_sha256
            version.full_clean(exclude=["diary", "photo", "relationship"])
            if photo is not None:
                stored = _person_photo(photo, diary)
                version.photo.name, version.photo_key = stored.name, stored.key
                version.photo_sha256 = stored.sha256
            elif remove_photo:
                version.photo.name, version.photo_key, version.photo_sha256 = "", "", ""
            version.save()
            ledger_append(diary=diary, kind=PERSON_UPDATE, obj=version, actor=actor)
    except BaseException:
        if stored is not None:
            filestore.delete(stored.name)
        raise
    return version
