#!/usr/bin/env python3
"""Check a Sightline bundle offline, with nothing but Python's standard library.

    python3 verify.py [BUNDLE] [--key FINGERPRINT]

BUNDLE is the bundle's .zip or the folder it was unzipped into (default: the folder this file
is in). It checks, and stops at the first problem, naming it:
  -. the bundle holds exactly manifest.json, signature.json and the files the manifest lists,
     under safe names, and its JSON is strict (no repeated keys, only whole numbers);
  0. signature.json is the instance's Ed25519 signature over manifest.json's SHA-256, by the key
     the manifest names (compare its fingerprint with the PDF's cover, or pass --key);
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

import base64
import hashlib
import json
import os
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# Parsed JSON, as json.loads gives it: what this checks is exactly what it cannot assume.
Json = dict[str, Any]

GENESIS = "0" * 64
BODY = ("seq", "kind", "object", "actor", "at", "content_sha256", "prev_hash")


def canonical_json(value: object) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def canonical_sha256(value: object) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


class Failed(Exception):
    pass


# What an examiner's own computer adds to a folder it has shown: never part of the bundle.
DESKTOP_LITTER = {".DS_Store", "Thumbs.db", "desktop.ini"}


def safe_name(name: str) -> bool:
    parts = name.split("/")
    return (
        bool(name)
        and "\\" not in name
        and not name.startswith("/")
        and (all(part not in ("", ".", "..") for part in parts) and ":" not in parts[0])
    )


class Bundle:
    """A bundle's members by name, read from its zip or from the folder it was unzipped into."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        if path.is_dir():
            self.members = set(self._walk(path))
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as error:
            raise Failed(f"{path.name} is not a bundle's folder or zip: {error}") from None
        names = [info.filename for info in self.zip.infolist() if not info.is_dir()]
        for name in names:
            if not safe_name(name) or names.count(name) > 1:
                raise Failed(f"the zip has an unsafe or repeated name: {name}")
        self.members = set(names)

    @staticmethod
    def _walk(root: Path) -> Iterator[str]:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [name for name in dirs if name != "__pycache__"]
            for name in files:
                if name not in DESKTOP_LITTER:
                    yield (Path(folder) / name).relative_to(root).as_posix()

    def has(self, name: str) -> bool:
        return name in self.members

    def open(self, name: str) -> IO[bytes]:
        if name not in self.members:
            raise Failed(f"{name} is missing")
        if self.zip is not None:
            return self.zip.open(name)
        return open(self.path / name, "rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as handle:
            return handle.read()

    def sha256(self, name: str) -> str:
        digest = hashlib.sha256()
        with self.open(name) as handle:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
        return digest.hexdigest()


def _no_repeats(pairs: list[tuple[str, Any]]) -> Json:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise Failed("a key is repeated")
    return document


def _no_fraction(text: str) -> Any:
    raise Failed("a number is not a whole number")


def strict_json(data: bytes, what: str) -> Any:
    """JSON as the writer makes it, and nothing looser: a repeated key could show one reader
    one value and another reader the other, and a fraction or NaN has no canonical spelling."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Failed(f"{what} is not strict JSON: it is not UTF-8") from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_repeats,
            parse_float=_no_fraction,
            parse_constant=_no_fraction,
        )
    except Failed as problem:
        raise Failed(f"{what} is not strict JSON: {problem}") from None
    except ValueError:
        raise Failed(f"{what} is not strict JSON: it is not valid JSON") from None


# Ed25519 verification (RFC 8032, section 5.1.7), in extended coordinates, so this file needs
# nothing beyond the standard library. It only checks; it holds no secret.
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int, int, int]


def _add(a: Point, b: Point) -> Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    e = (y1 - x1) * (y2 - x2) % P
    f = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = f - e, dd - c, dd + c, f + e
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(scalar: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _x_of(y: int, sign: int) -> int | None:
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    return P - x if (x & 1) != sign else x


def _point(raw: bytes) -> Point | None:
    y = int.from_bytes(raw, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _x_of(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
BASE: Point = (_x_of(_GY, 0) or 0, _GY, 1, (_x_of(_GY, 0) or 0) * _GY % P)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _point(public_key), _point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little")
    left, right = _mul(s, BASE), _add(r, _mul(h % L, a))
    return (left[0] * right[2] - right[0] * left[2]) % P == 0 and (
        left[1] * right[2] - right[1] * left[2]
    ) % P == 0


def grouped(fingerprint: str) -> str:
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def check_signature(bundle: Bundle, manifest: Json, want_key: str | None) -> str:
    """The fingerprint of the key that signed this bundle, once its signature holds."""
    if manifest.get("format_version", 1) < 2:
        if want_key:
            raise Failed("this bundle (format 1) is not signed")
        return ""
    if not bundle.has("signature.json"):
        raise Failed("signature.json is missing or cannot be read")
    signature = strict_json(bundle.read("signature.json"), "signature.json")
    try:
        public_key = base64.b64decode(signature["public_key"], validate=True)
        raw_signature = base64.b64decode(signature["signature"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise Failed("signature.json is missing or cannot be read") from None
    fingerprint = hashlib.sha256(public_key).hexdigest()
    if signature.get("algorithm") != "Ed25519" or signature.get("fingerprint") != fingerprint:
        raise Failed("signature.json does not name its key correctly")
    if manifest.get("signing_key", {}).get("fingerprint") != fingerprint:
        raise Failed("manifest.json names a different signing key from signature.json's")
    statement = {
        "format": signature.get("format"),
        "manifest_sha256": signature.get("manifest_sha256"),
    }
    if statement["manifest_sha256"] != bundle.sha256("manifest.json"):
        raise Failed("manifest.json has changed since it was signed")
    if not ed25519_verify(public_key, canonical_json(statement), raw_signature):
        raise Failed("the signature in signature.json is not valid")
    if want_key and fingerprint != want_key.replace(" ", "").lower():
        raise Failed(f"signed by key {grouped(fingerprint)}, not the key given with --key")
    return fingerprint


def check_members(bundle: Bundle, manifest: Json) -> None:
    """Nothing in the bundle that the signed manifest does not name: a planted file, or one
    renamed, is refused rather than passed over."""
    listed = {item["path"] for item in manifest["files"]}
    expected = listed | {"manifest.json"}
    if manifest.get("format_version", 1) >= 2:
        expected.add("signature.json")
    unexpected, missing = sorted(bundle.members - expected), sorted(listed - bundle.members)
    if unexpected:
        raise Failed(f"{unexpected[0]} is in the bundle but not in manifest.json")
    if missing:
        raise Failed(f"{missing[0]} is missing")


def check_files(bundle: Bundle, manifest: Json) -> dict[str, str]:
    """Each listed file's SHA-256, once every one is the manifest's."""
    hashes: dict[str, str] = {}
    for item in manifest["files"]:
        hashes[item["path"]] = bundle.sha256(item["path"])
        if hashes[item["path"]] != item["sha256"]:
            raise Failed(f"{item['path']} has changed: its SHA-256 is not the manifest's")
    return hashes


def read_ledger(bundle: Bundle) -> list[Json]:
    records: list[Json] = []
    with bundle.open("ledger.jsonl") as handle:
        for number, line in enumerate(handle, start=1):
            record = strict_json(line, f"ledger.jsonl line {number}")
            if not isinstance(record, dict):
                raise Failed(f"ledger.jsonl line {number} is not a record")
            records.append(record)
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


def check_objects(manifest: Json, records: list[Json], hashes: dict[str, str]) -> int:
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
        if "path" in item and hashes.get(item["path"]) != item["content"]["sha256"]:
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


def read_manifest(bundle: Bundle) -> Json:
    if not bundle.has("manifest.json"):
        raise Failed("manifest.json is missing: is this a Sightline bundle?")
    manifest = strict_json(bundle.read("manifest.json"), "manifest.json")
    if not isinstance(manifest, dict):
        raise Failed("manifest.json is not a bundle's manifest")
    return manifest


def verify(path: Path, want_key: str | None = None) -> str:
    bundle = Bundle(path)
    manifest = read_manifest(bundle)
    fingerprint = check_signature(bundle, manifest, want_key)
    check_members(bundle, manifest)
    hashes = check_files(bundle, manifest)
    records = read_ledger(bundle)
    head = check_chain(records)
    claimed = manifest["ledger_head"]
    if claimed["seq"] != len(records) or claimed["hash"] != head:
        raise Failed("manifest.json's ledger head is not the last record of ledger.jsonl")
    objects = check_objects(manifest, records, hashes)
    check_earlier_exports(manifest, records)
    earlier = len(manifest.get("earlier_exports", []))
    signed = f"signed by key {grouped(fingerprint)}" if fingerprint else "not signed (format 1)"
    return (
        f"OK: {len(hashes)} files, {len(records)} ledger records, {objects} entries and items "
        f"checked, {earlier} earlier exports extended; head {head}; {signed}"
    )


def main(argv: list[str]) -> int:
    args = argv[1:]
    want_key = None
    if "--key" in args:
        at = args.index("--key")
        if at + 1 >= len(args):
            print("FAILED: --key needs the key's fingerprint")
            return 1
        want_key = args[at + 1]
        del args[at : at + 2]
    path = Path(args[0]) if args else Path(__file__).resolve().parent
    try:
        print(verify(path, want_key))
    except (Failed, KeyError, TypeError) as problem:
        print(f"FAILED: {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
