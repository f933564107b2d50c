"""Signed heads: "a copy for someone I trust". The ledger's last record at a moment (its
sequence number and hash, never a word of the diary), signed by the instance's key, for the
owner to send to anyone. Whoever keeps it can later prove a bundle extends that history:
`python3 verify.py BUNDLE --earlier head-7-42.json` (docs/export-format.md, "Signed heads").
"""

from typing import Any

from django.http import Http404
from django.utils import timezone

from diary.core.hashing import iso
from diary.ledger.keys import signed
from diary.ledger.selectors import ledger_head_of
from diary.models import LedgerRecord

HEAD_FORMAT = "sightline-head/1"


def head_signed(*, record: LedgerRecord) -> dict[str, Any]:
    """The signed head at `record`: that record and everything before it, as it is now."""
    return signed(
        {
            "format": HEAD_FORMAT,
            "diary": record.diary_id,
            "seq": record.seq,
            "hash": record.hash,
            "at": iso(record.at),
            "made_at": iso(timezone.now()),
        }
    )


def head_file_name(head: dict[str, Any]) -> str:
    return f"head-{head['diary']}-{head['seq']}.json"


def head_for_owner(*, actor: Any) -> dict[str, Any]:
    """The owner's diary's head, signed now: 404 to anyone who is not an owner."""
    record = ledger_head_of(actor=actor)
    if record is None:
        raise Http404
    return head_signed(record=record)
