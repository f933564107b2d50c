"""The instance's signing keys as the world sees them: the published list, and the record of
each key following another (docs/export-format.md, "Published keys").

When SIGNING_KEYS gains a new first key, the next signature the app makes (a bundle, a head,
a receipt, or the published list itself) first stores a rotation record: a statement, "key A
is followed by key B from T", signed by both keys. Someone who holds only A's fingerprint (from
an earlier bundle's cover) can then follow the chain to the key that signs now.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from diary.core import signing
from diary.core.hashing import canonical_json, iso
from diary.models import KeyRotation

ROTATION_FORMAT = "sightline-key-rotation/1"


KEYS_FORMAT = "sightline-signing-keys/1"


def _described(public_key: str, fingerprint: str) -> dict[str, str]:
    return {"algorithm": signing.ALGORITHM, "public_key": public_key, "fingerprint": fingerprint}


def rotation_statement(rotation: KeyRotation) -> dict[str, Any]:
    """What both keys signed, exactly: Ed25519 over its canonical JSON."""
    return {
        "format": ROTATION_FORMAT,
        "old_key": _described(rotation.old_public_key, rotation.old_fingerprint),
        "new_key": _described(rotation.new_public_key, rotation.new_fingerprint),
        "from": iso(rotation.at),
    }


# The key lists this process has seen on record: every signature checks, and a list of
# receipts signs many, so the database is asked once a process, not once a signature.
_on_record: set[tuple[str, ...]] = set()


def forget_on_record() -> None:
    """For tests, whose database is rolled back under the process."""
    _on_record.clear()


def key_rotations_record() -> None:
    """Store the record of every key in SIGNING_KEYS that follows the one listed after it and
    has none yet, oldest first. Call before signing anything: once a process it is one query
    when nothing is new, and after that none."""
    keys = signing.published_keys()
    listed = tuple(key.fingerprint for key in keys)
    if len(keys) < 2 or listed in _on_record:
        return
    pairs = list(zip(keys[1:], keys[:-1], strict=True))  # (older, newer), newest pair first
    known = set(KeyRotation.objects.values_list("old_fingerprint", "new_fingerprint"))
    for older, newer in reversed(pairs):
        if (older.fingerprint, newer.fingerprint) in known:
            continue
        rotation = KeyRotation(
            old_fingerprint=older.fingerprint,
            old_public_key=signing.b64(older.public_key),
            new_fingerprint=newer.fingerprint,
            new_public_key=signing.b64(newer.public_key),
            at=timezone.now(),
        )
        message = canonical_json(rotation_statement(rotation))
        rotation.old_signature = signing.b64(older.sign(message))
        rotation.new_signature = signing.b64(newer.sign(message))
        try:
            with transaction.atomic():
                rotation.save(force_insert=True)
        except IntegrityError:
            pass  # another request recorded the same rotation a moment ago
    _on_record.add(listed)


def signed(document: dict[str, Any]) -> dict[str, Any]:
    """signing.signed, once any rotation to the current key is on record."""
    key_rotations_record()
    return signing.signed(document)


def signing_keys_document() -> dict[str, Any]:
    """What /.well-known/sightline/signing-keys.json says: every published key, the current one
    first, and every rotation the instance has recorded, oldest first."""
    key_rotations_record()
    current = signing.current_key()
    return {
        "format": KEYS_FORMAT,
        "keys": [
            {"id": key.key_id, **key.described(), "signs_now": key == current}
            for key in signing.published_keys()
        ],
        "rotations": [
            {
                "statement": rotation_statement(rotation),
                "old_signature": rotation.old_signature,
                "new_signature": rotation.new_signature,
            }
            for rotation in KeyRotation.objects.order_by("at", "pk")
        ],
    }
