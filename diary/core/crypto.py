"""Encryption at rest: the keys, sealed values, wrapped file keys and the search blind index.

Master keys come from settings (`ENCRYPTION_KEYS`, the first one current), never from
SECRET_KEY. Each master key is split with HKDF into one key for database values and one for
wrapping the random per-file keys, so neither use can be turned against the other.

A sealed value is text: `enc1:<key id>:<base64url(nonce ‖ AES-GCM ciphertext ‖ tag)>`. The
key id says which master key to open it with, so old values stay readable while
`rotate_keys` re-seals them under the current key.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "enc1"
NONCE_BYTES = 12
FILE_KEY_BYTES = 32
# Associated data for wrapped file keys; database values use their table and column.
FILE_KEY_CONTEXT = b"sightline file key"

# The blind index: words shorter than this are indexed whole only; longer ones also by each
# prefix from this length on, so "harass" finds "harassed". Very long words are cut.
MIN_PREFIX = 3
MAX_WORD = 32
TOKEN_HEX = 12  # 48 bits of HMAC: collisions within one diary are vanishingly rare
INDEX_SEPARATOR = "|"


class DecryptionError(Exception):
    """A sealed value or file that does not open: changed, cut short, or not ours."""


class UnknownKeyError(DecryptionError):
    """Sealed under a key id that settings no longer hold."""

    def __init__(self, key_id: str) -> None:
        super().__init__(
            f"This was encrypted with the key {key_id!r}, which is not in ENCRYPTION_KEYS. "
            "Put that key back (after the current one) and run `manage.py rotate_keys`."
        )
        self.key_id = key_id


def _subkey(master: bytes, purpose: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)
    return AESGCM(derived)


@dataclass(frozen=True)
class MasterKey:
    id: str
    values: AESGCM
    file_keys: AESGCM


class Keyring:
    """The master keys from settings, ready to use. Built once per process."""

    def __init__(self, keys: dict[str, bytes], index_key: bytes) -> None:
        self.keys = {
            key_id: MasterKey(
                key_id,
                _subkey(raw, b"sightline values v1"),
                _subkey(raw, b"sightline file keys v1"),
            )
            for key_id, raw in keys.items()
        }
        self.current = next(iter(self.keys.values()))
        self.index_key = index_key

    def get(self, key_id: str) -> MasterKey:
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownKeyError(key_id) from None


_keyring: Keyring | None = None


def keyring() -> Keyring:
    global _keyring
    if _keyring is None:
        _keyring = Keyring(settings.ENCRYPTION_KEYS, settings.SEARCH_INDEX_KEY)
    return _keyring


@receiver(setting_changed)
def _keys_changed(*, setting: str, **kwargs: Any) -> None:
    global _keyring
    if setting in {"ENCRYPTION_KEYS", "SEARCH_INDEX_KEY"}:
        _keyring = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    # What base64.urlsafe_b64decode does, without its checks and copies: every value a page
    # or verify_ledger reads comes through here (a third of the cost of opening one).
    return binascii.a2b_base64(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4))


# Which of a master key's two subkeys a sealed value is for.
Cipher = Literal["values", "file_keys"]


def _aead(key: MasterKey, cipher: Cipher) -> AESGCM:
    return key.values if cipher == "values" else key.file_keys


def _seal(data: bytes, context: bytes, cipher: Cipher) -> str:
    key = keyring().current
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(key, cipher).encrypt(nonce, data, context)
    return f"{PREFIX}:{key.id}:{_b64(nonce + sealed)}"


def _parse(token: str) -> tuple[str, bytes]:
    prefix, _sep, rest = token.partition(":")
    key_id, sep, body = rest.partition(":")
    if prefix != PREFIX or not sep:
        raise DecryptionError("This value is not encrypted in a form Sightline knows.")
    try:
        return key_id, _unb64(body)
    except ValueError:
        raise DecryptionError("This encrypted value is damaged.") from None


def _open(token: str, context: bytes, cipher: Cipher) -> bytes:
    key_id, blob = _parse(token)
    key = keyring().get(key_id)
    try:
        return _aead(key, cipher).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context)
    except (InvalidTag, ValueError):
        raise DecryptionError("This encrypted value has been changed or is damaged.") from None


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":")


def key_id_of(token: str) -> str:
    return _parse(token)[0]


def is_current(token: str) -> bool:
    return key_id_of(token) == keyring().current.id


def seal_text(text: str, context: bytes) -> str:
    return _seal(text.encode(), context, "values")


def open_text(token: str, context: bytes) -> str:
    return _open(token, context, "values").decode()


# Per-file keys


def new_file_key() -> bytes:
    return os.urandom(FILE_KEY_BYTES)


def wrap_file_key(raw: bytes) -> str:
    return _seal(raw, FILE_KEY_CONTEXT, "file_keys")


def unwrap_file_key(token: str) -> bytes:
    raw = _open(token, FILE_KEY_CONTEXT, "file_keys")
    if len(raw) != FILE_KEY_BYTES:
        raise DecryptionError("This file key is damaged.")
    return raw


def rewrap_file_key(token: str) -> str:
    """The same file key, wrapped by the current master key."""
    return token if is_current(token) else wrap_file_key(unwrap_file_key(token))


# The blind index


def words(text: str) -> list[str]:
    """Lower-case words without accents: what both the index and a search are made of."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return [word[:MAX_WORD] for word in re.findall(r"\w+", plain)]


def _token(word: str, scope: str) -> str:
    message = f"{scope}\x00{word}".encode()
    return hmac.new(keyring().index_key, message, hashlib.sha256).hexdigest()[:TOKEN_HEX]


def index_value(texts: Iterable[str], scope: str) -> str:
    """`|t1|t2|…|`: an HMAC for every word and every prefix of three letters or more.
    Scoped (to a diary) so the same word gives different tokens in different diaries."""
    found: set[str] = set()
    for text in texts:
        for word in words(text or ""):
            found.add(word)
            found.update(word[:end] for end in range(MIN_PREFIX, len(word)))
    if not found:
        return ""
    tokens = sorted({_token(word, scope) for word in found})
    return INDEX_SEPARATOR + INDEX_SEPARATOR.join(tokens) + INDEX_SEPARATOR


def query_tokens(query: str, scope: str) -> list[str]:
    """One `|token|` per word searched for; an entry matches when it holds all of them."""
    wanted = dict.fromkeys(words(query))
    return [f"{INDEX_SEPARATOR}{_token(word, scope)}{INDEX_SEPARATOR}" for word in wanted]


# Keys that must never be stored as they are (session keys): only an HMAC of them is.

STORED_KEY_HEX = 40  # what fits Django's session_key column: 160 bits of HMAC-SHA256


def stored_key(key: str) -> str:
    """What the database keeps instead of a session key: an HMAC under a key of its own,
    derived from the search index key (which rotation does not change), so a copy of the
    database holds nothing a browser could present."""
    secret = hmac.new(keyring().index_key, b"sightline stored keys v1", hashlib.sha256).digest()
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:STORED_KEY_HEX]
