"""Canonical JSON and SHA-256: the one way Sightline turns a record into a hash.

The offline verifier shipped in each bundle repeats these rules with the standard library
alone, so keep them boring: sorted keys, no spaces, UTF-8, times in UTC with microseconds.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()
