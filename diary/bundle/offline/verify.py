#!/usr/bin/env python3
"""Check a Sightline bundle offline, with nothing but Python's standard library.

    python3 verify.py [BUNDLE_FOLDER]      (default: the folder this file is in)

It checks, and stops at the first problem, naming it:
  1. every file listed in manifest.json has the SHA-256 the manifest gives;
  2. ledger.jsonl is one unbroken chain: sequence numbers 1, 2, 3 ... and each record's hash
     is the SHA-256 of its own canonical JSON and is the next record's prev_hash;
  3. the manifest's ledger head is the chain's last record;
  4. every entry, file and item in the manifest hashes to its content_sha256, and the ledger
     has a record naming it with that same hash;
  5. the chain still holds the head of every earlier export at its sequence number.
Exit 0 and a one-line summary when all hold; exit 1 naming the first failure.
"""

# Annotations stay unevaluated, so this runs on whatever Python 3 the reader has.
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

# Parsed JSON, as json.loads gives it: what this checks is exactly what it cannot assume.
Json = dict[str, Any]

GENESIS = "0" * 64
BODY = ("seq", "kind", "object", "actor", "at", "content_sha256", "prev_hash")


def canonical_sha256(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


class Failed(Exception):
    pass


def check_files(folder: Path, manifest: Json) -> int:
    for item in manifest["files"]:
        path = folder / item["path"]
        if not path.is_file():
            raise Failed(f"{item['path']} is missing")
        if file_sha256(path) != item["sha256"]:
            raise Failed(f"{item['path']} has changed: its SHA-256 is not the manifest's")
    return len(manifest["files"])


def read_ledger(folder: Path) -> list[Json]:
    records: list[Json] = []
    with open(folder / "ledger.jsonl", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                records.append(json.loads(line))
            except ValueError:
                raise Failed(f"ledger.jsonl line {number} is not valid JSON") from None
    return records


def check_chain(records: list[Json]) -> str:
    prev = GENESIS
    for expected, record in enumerate(records, start=1):
        if record.get("seq") != expected:
            raise Failed(f"ledger record {expected}: sequence number {record.get('seq')}")
        if record.get("prev_hash") != prev:
            raise Failed(
                f"ledger record {expected}: prev_hash does not match record {expected - 1}"
            )
        body = {name: record.get(name) for name in BODY}
        if canonical_sha256(body) != record.get("hash"):
            raise Failed(f"ledger record {expected}: its hash does not match its contents")
        prev = record["hash"]
    return prev


def check_objects(folder: Path, manifest: Json, records: list[Json]) -> int:
    named: dict[str, set[str]] = {}
    for record in records:
        named.setdefault(record["object"], set()).add(record["content_sha256"])
    count = 0
    for item in manifest["objects"]:
        label = item["object"]
        if canonical_sha256(item["content"]) != item["content_sha256"]:
            raise Failed(f"{item.get('reference') or label}: its content does not match its hash")
        if item["content_sha256"] not in named.get(label, set()):
            raise Failed(f"{item.get('reference') or label}: no ledger record holds its hash")
        if "path" in item and file_sha256(folder / item["path"]) != item["content"]["sha256"]:
            raise Failed(f"{item['path']} is not the file that was received")
        count += 1
    return count


def check_earlier_exports(manifest: Json, records: list[Json]) -> None:
    for earlier in manifest.get("earlier_exports", []):
        seq = earlier["head_seq"]
        if seq < 1 or seq > len(records) or records[seq - 1]["hash"] != earlier["head_hash"]:
            raise Failed(
                f"export {earlier['export']}: the chain no longer holds its head at record {seq}"
            )


def verify(folder: Path) -> str:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Failed(f"manifest.json cannot be read: {error}") from None
    files = check_files(folder, manifest)
    records = read_ledger(folder)
    head = check_chain(records)
    claimed = manifest["ledger_head"]
    if claimed["seq"] != len(records) or claimed["hash"] != head:
        raise Failed("manifest.json's ledger head is not the last record of ledger.jsonl")
    objects = check_objects(folder, manifest, records)
    check_earlier_exports(manifest, records)
    earlier = len(manifest.get("earlier_exports", []))
    return (
        f"OK: {files} files, {len(records)} ledger records, {objects} entries and items "
        f"checked, {earlier} earlier exports extended; head {head}"
    )


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    try:
        print(verify(folder))
    except (Failed, KeyError, TypeError) as problem:
        print(f"FAILED: {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
