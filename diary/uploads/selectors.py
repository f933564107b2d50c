"""Reads of uploads under way, through the gate: the owner reaches only her own."""

from typing import Any

from django.http import Http404

from diary.gate import diary_for
from diary.models import Entry, Upload


def upload_get(*, actor: Any, upload_id: Any, session_id: int | None) -> Upload:
    """One of the owner's own uploads (not a contact's), started by this very session of hers
    (`session_id`, an OwnerSession's), or 404: another browser signed in as her reaches none."""
    diary = diary_for(actor)
    if session_id is None:
        raise Http404
    try:
        return Upload.objects.select_related("diary").get(
            diary=diary, pk=upload_id, party=Upload.Party.OWNER, owner_session_id=session_id
        )
    except (Upload.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def upload_entry(*, actor: Any, entry_id: Any) -> Entry:
    """The entry an upload is to go on: hers, and not withdrawn, or 404."""
    diary = diary_for(actor)
    try:
        return Entry.objects.select_related("diary").get(
            diary=diary, pk=int(entry_id), withdrawal__isnull=True
        )
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
