"""The brief: what the owner chooses to show contacts, in versions."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from diary.core import filestore
from diary.core.filestore import Stored
from diary.core.numbering import next_number
from diary.evidence.intake import photo_reencoded
from diary.ledger.services import ledger_append, lock_diary
from diary.models import AccessEvent, Diary, PersonVersion, User
from diary.safety.services import access_event_record
from witnesses import messages
from witnesses.models import (
    BriefVersion,
)

BRIEF_UPDATE = "brief.update"


PERSON_PARTS = ("name", "description", "vehicles", "addresses")


def brief_from_person(person: PersonVersion, parts: Iterable[str] = PERSON_PARTS) -> dict[str, str]:
    """What "About the person" offers the brief's form, of the parts she chose: the name and
    description as who to look out for, the vehicles, and the known addresses as places. The
    relationship stays out: contacts need to recognise them, not to know who they are to her."""
    chosen = set(parts) & set(PERSON_PARTS)
    text = {part: str(getattr(person, part)) if part in chosen else "" for part in PERSON_PARTS}
    who = "\n".join(part for part in (text["name"], text["description"]) if part)
    offered = {"person": who, "vehicles": text["vehicles"], "places": text["addresses"]}
    return {name: value for name, value in offered.items() if value}


# The brief
def brief_update(
    *,
    diary: Diary,
    actor: User,
    content: Mapping[str, Any],
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> BriefVersion:
    """Write a new version of the brief. The photo carries over unless replaced or removed."""
    stored: Stored | None = None
    try:
        with transaction.atomic():
            lock_diary(diary)
            previous = BriefVersion.objects.filter(diary=diary).order_by("-number").first()
            number = next_number(BriefVersion.objects.filter(diary=diary))
            version = BriefVersion(diary=diary, number=number, recorded_by=actor, **content)
            if previous is not None and not remove_photo:
                version.photo, version.photo_sha256 = previous.photo.name, previous.photo_sha256
                version.photo_key = previous.photo_key
            version.full_clean(exclude=["diary", "photo"])
            if photo is not None:
                stored = photo_reencoded(
                    photo, folder=f"brief/{diary.pk}", not_image=messages.BRIEF_PHOTO_NOT_IMAGE
                )
                version.photo.name, version.photo_key = stored.name, stored.key
                version.photo_sha256 = stored.sha256
            elif remove_photo:
                version.photo.name, version.photo_key, version.photo_sha256 = "", "", ""
            version.save()
            ledger_append(diary=diary, kind=BRIEF_UPDATE, obj=version, actor=actor)
            access_event_record(
                user_id=actor.pk, kind=AccessEvent.Kind.BRIEF_EDITED, detail=f"v{version.number}"
            )
    except BaseException:
        if stored is not None:
            filestore.delete(stored.name)
        raise
    return version
