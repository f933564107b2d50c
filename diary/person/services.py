"""Saving "About the person": each save a new version, with its ledger record."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from diary import messages
from diary.core import filestore
from diary.core.filestore import Stored
from diary.core.numbering import next_number
from diary.evidence.intake import photo_reencoded
from diary.ledger.services import PERSON_UPDATE, ledger_append, lock_diary
from diary.models import Diary, PersonVersion, Relationship, User


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
                stored = photo_reencoded(
                    photo, folder=f"person/{diary.pk}", not_image=messages.PERSON_PHOTO_NOT_IMAGE
                )
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
