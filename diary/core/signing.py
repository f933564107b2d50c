"""The instance's Ed25519 signing key: it signs each bundle's manifest, the heads an owner hands
to someone she trusts, and contacts' receipts (docs/export-format.md, "Signatures").

The keys live in SIGNING_KEYS (`id:base64 seed,…`, like ENCRYPTION_KEYS, outside the database);
the first one signs and the others are earlier keys, still published so that what they signed
can be checked. A copy of the database alone can therefore never sign anything.
"""

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from diary.core.hashing import canonical_json

ALGORITHM = "Ed25519"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def fingerprint_of(public_key: bytes) -> str:
    """The SHA-256 of the 32 raw bytes of a public key, in hex."""
    return hashlib.sha256(public_key).hexdigest()


def grouped(fingerprint: str) -> str:
    """A fingerprint as people read it aloud or compare it on paper: `ab12 cd34 …`."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    public_key: bytes
    private: Ed25519PrivateKey | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.public_key)

    def sign(self, data: bytes) -> bytes:
        if self.private is None:
            raise ValueError(f"signing key {self.key_id} is retired: it only checks")
        return self.private.sign(data)

    def described(self) -> dict[str, str]:
        """The key as documents name it."""
        return {
            "algorithm": ALGORITHM,
            "public_key": b64(self.public_key),
            "fingerprint": self.fingerprint,
        }


def _key(key_id: str, seed: bytes) -> SigningKey:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return SigningKey(key_id=key_id, public_key=public, private=private)


@cache
def _keys(configured: tuple[tuple[str, bytes], ...]) -> tuple[SigningKey, ...]:
    return tuple(_key(key_id, seed) for key_id, seed in configured)


def published_keys() -> tuple[SigningKey, ...]:
    """Every configured key, the current one first."""
    return _keys(tuple(settings.SIGNING_KEYS.items()))


def current_key() -> SigningKey:
    return published_keys()[0]


def signed(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the current key named in it (`key`) and its `signature`: Ed25519 over
    the canonical JSON of everything but `signature`."""
    key = current_key()
    body = {**document, "key": key.described()}
    body.pop("signature", None)
    return {**body, "signature": b64(key.sign(canonical_json(body)))}


def verify_signed(document: dict[str, Any]) -> bool:
    """True when `document` carries a signature, by one of this instance's keys, over the rest."""
    body = dict(document)
    try:
        signature = base64.b64decode(body.pop("signature"), validate=True)
        fingerprint = body["key"]["fingerprint"]
    except (KeyError, TypeError, ValueError):
        return False
    for key in published_keys():
        if key.fingerprint == fingerprint:
            try:
                Ed25519PublicKey.from_public_bytes(key.public_key).verify(
                    signature, canonical_json(body)
                )
            except InvalidSignature:
                return False
            return True
    return False
