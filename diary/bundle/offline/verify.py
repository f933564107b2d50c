#!/usr/bin/env python3
"""Check a Sightline bundle offline, with nothing but Python's standard library.

    python3 verify.py [BUNDLE] [--key FINGERPRINT]
        [--earlier OLDER]... [--receipt FILE]... [--trust-key FINGERPRINT]...

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
     has a record naming it with that same hash; each entry is shown at its latest version, and
     the diary's title and time zone are the ones its ledger last recorded;
  5. the chain still holds the head of every earlier export at its sequence number;
  6. with --earlier OLDER (as often as you like): OLDER is a bundle (zip or folder) someone
     kept, which verifies on its own and whose every ledger record is this one's at the same
     sequence number, or a signed head file (head-<diary>-<seq>.json) whose signature holds and
     whose record this chain holds with the same hash;
  7. with --receipt FILE (as often as you like): a contact's receipt, whose signed head is in
     this chain, and whose record has the receipt's hash and the hash of what they sent.
Heads and receipts must be signed by this bundle's key, or by one given with --trust-key (an
earlier key of the same server: see its /.well-known/sightline/signing-keys.json).
Exit 0 and a one-line summary when all hold; exit 1 naming the first failure.
"""

# Annotations stay unevaluated, so this runs on whatever Python 3 the reader has.
from __future__ import annotations

import base64
import calendar
import collections
import gc
import hashlib
import json
import os
import sys
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# Parsed JSON, as json.loads gives it: what this checks is exactly what it cannot assume.
Json = dict[str, Any]

GENESIS = "0" * 64
BODY = ("seq", "kind", "object", "actor", "at", "content_sha256", "prev_hash")


# One encoder for every value: json.dumps makes a new one at each call.
CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: object) -> bytes:
    return CANONICAL.encode(value).encode("utf-8")


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
        and ":" not in parts[0]
        and all(part not in ("", ".", "..") for part in parts)
    )


class Bundle:
    """A bundle's members by name, read from its zip or from the folder it was unzipped into."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.digests: dict[str, str] = {}
        if path.is_dir():
            self.members = set(self._walk(path))
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as error:
            raise Failed(f"{path.name} is not a bundle's folder or zip: {error}") from None
        names = [info.filename for info in self.zip.infolist() if not info.is_dir()]
        seen = collections.Counter(names)
        for name in names:
            if not safe_name(name) or seen[name] > 1:
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
        """A member whole; its SHA-256 is kept, so checking it needs no second read (the
        manifest of a large diary is a hundred megabytes and more)."""
        with self.open(name) as handle:
            data = handle.read()
        self.digests[name] = hashlib.sha256(data).hexdigest()
        return data

    def sha256(self, name: str) -> str:
        if name in self.digests:
            return self.digests[name]
        digest = hashlib.sha256()
        with self.open(name) as handle:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
        self.digests[name] = digest.hexdigest()
        return self.digests[name]


def _no_repeats(pairs: list[tuple[str, Any]]) -> Json:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise Failed("a key is repeated")
    return document


def _no_fraction(text: str) -> Any:
    raise Failed("a number is not a whole number")


# One decoder for every document: json.loads with these hooks makes a new one at each call,
# a tenth of the time over 100,000 ledger lines.
STRICT = json.JSONDecoder(
    object_pairs_hook=_no_repeats, parse_float=_no_fraction, parse_constant=_no_fraction
)


def strict_json(data: bytes, what: str) -> Any:
    """JSON as the writer makes it, and nothing looser: a repeated key could show one reader
    one value and another reader the other, and a fraction or NaN has no canonical spelling."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Failed(f"{what} is not strict JSON: it is not UTF-8") from None
    try:
        if text.startswith("\ufeff"):
            raise ValueError("a byte-order mark")  # as json.loads refuses one
        return STRICT.decode(text)
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
    paths = [item["path"] for item in manifest["files"]]
    listed = set(paths)
    if len(listed) != len(paths):
        twice = next(path for path in paths if paths.count(path) > 1)
        raise Failed(f"{twice} is listed twice in manifest.json")
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
    named: dict[str, set[str]] = defaultdict(set)
    for record in records:
        named[record["object"]].add(record["content_sha256"])
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


def check_summary(manifest: Json) -> None:
    """What the pages say that no single object holds: each entry is shown at its latest version
    (the object marked "current" is the highest version of its entry), and the diary's title and
    time zone (every local time is printed in it) are the ones its ledger last recorded (its
    latest settings change, else the diary as made, for content version 2)."""
    latest: dict[Any, int] = {}
    shown: dict[Any, tuple[int, str]] = {}
    settings = None
    for item in manifest["objects"]:
        label, content = item["object"].partition(":")[0], item["content"]
        if label == "diary.entryversion":
            entry, version = content["entry"], content["version"]
            latest[entry] = max(latest.get(entry, 0), version)
            if item.get("current") is True:
                shown[entry] = (version, item.get("reference") or item["object"])
        elif label == "diary.diarysettingschange" or (
            label == "diary.diary" and content.get("v", 1) >= 2
        ):
            settings = content  # in the order they were made: the last one holds
    for entry, (version, reference) in shown.items():
        if version != latest[entry]:
            raise Failed(f"{reference}: shown as the entry's wording, but it has a later version")
    diary = manifest.get("diary", {})
    if settings is not None and (diary.get("title"), diary.get("time_zone")) != (
        settings["title"],
        settings["time_zone"],
    ):
        raise Failed("the diary's title or time zone is not the one its ledger last recorded")


def check_earlier_exports(manifest: Json, records: list[Json]) -> None:
    for earlier in manifest.get("earlier_exports", []):
        seq = earlier["head_seq"]
        if seq < 1 or seq > len(records) or records[seq - 1]["hash"] != earlier["head_hash"]:
            raise Failed(
                f"export {earlier['export']}: the chain no longer holds its head at record {seq}"
            )


# RFC 3161 timestamp tokens, checked with the standard library alone: a small DER reader, the
# parts of X.509 and CMS a token uses, and RSA (PKCS #1 v1.5) and ECDSA (P-256, P-384).
class Der:
    """One DER element: its tag, its value's bytes, and all of its bytes."""

    def __init__(self, data: bytes, at: int = 0) -> None:
        try:
            start = at
            self.tag = data[at]
            length = data[at + 1]
            at += 2
            if length & 0x80:
                count = length & 0x7F
                if not 1 <= count <= 4:
                    raise IndexError
                length = int.from_bytes(data[at : at + count], "big")
                at += count
        except IndexError:
            raise Failed("a timestamp is not valid DER") from None
        if self.tag & 0x1F == 0x1F or at + length > len(data):
            raise Failed("a timestamp is not valid DER")
        self.value = data[at : at + length]
        self.raw = data[start : at + length]
        self.end = at + length

    def children(self) -> list[Der]:
        found, at = [], 0
        while at < len(self.value):
            child = Der(self.value, at)
            found.append(child)
            at = child.end
        return found

    def tagged(self, tag: int) -> Der:
        """This element, once it is the kind the structure puts here."""
        if self.tag != tag:
            raise Failed("a timestamp is not valid DER")
        return self

    def only(self) -> Der:
        """What an EXPLICIT tag wraps."""
        inside = self.children()
        if len(inside) != 1:
            raise Failed("a timestamp is not valid DER")
        return inside[0]

    def integer(self) -> int:
        return int.from_bytes(self.value, "big", signed=True)

    def oid(self) -> str:
        if self.tag != 0x06 or not self.value:
            raise Failed("a timestamp is not valid DER")
        parts, number = [], 0
        for byte in self.value:
            number = (number << 7) | (byte & 0x7F)
            if not byte & 0x80:
                parts.append(number)
                number = 0
        first = min(parts[0] // 40, 2)
        return ".".join(str(n) for n in [first, parts[0] - 40 * first, *parts[1:]])

    def time(self) -> str:
        """A UTCTime or GeneralizedTime as ISO 8601 in UTC, to the second or finer."""
        text = self.value.decode("ascii", "replace")
        if self.tag == 0x17:
            text = ("19" if int(text[:2]) >= 50 else "20") + text
        if self.tag not in (0x17, 0x18) or not text.endswith("Z") or len(text) < 15:
            raise Failed("a timestamp has a time this checker cannot read")
        fraction = text[14:-1]
        iso = f"{text[:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:14]}"
        return iso + (fraction if fraction.startswith(".") else "") + "Z"


OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_COMMON_NAME = "2.5.4.3"
OID_EXTENDED_KEY_USAGE = "2.5.29.37"
OID_TIME_STAMPING = "1.3.6.1.5.5.7.3.8"
OID_RSA = "1.2.840.113549.1.1.1"
OID_EC = "1.2.840.10045.2.1"
DIGESTS = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
SIGNATURES = {  # a signature algorithm: (the key it needs, its digest or None for the signer's)
    OID_RSA: ("rsa", None),
    "1.2.840.113549.1.1.11": ("rsa", "sha256"),
    "1.2.840.113549.1.1.12": ("rsa", "sha384"),
    "1.2.840.113549.1.1.13": ("rsa", "sha512"),
    "1.2.840.10045.4.3.2": ("ec", "sha256"),
    "1.2.840.10045.4.3.3": ("ec", "sha384"),
    "1.2.840.10045.4.3.4": ("ec", "sha512"),
}
DIGEST_INFO = {  # what PKCS #1 v1.5 puts before each digest (RFC 8017, section 9.2)
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
# Short-Weierstrass curves y^2 = x^3 - 3x + b: (p, b, n, Gx, Gy), from SEC 2.
CURVES = {
    "1.2.840.10045.3.1.7": (
        2**256 - 2**224 + 2**192 + 2**96 - 1,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
        0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
        0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    ),
    "1.3.132.0.34": (
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
        0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
        0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
    ),
}


def _ec_add(a: tuple[int, int] | None, b: tuple[int, int] | None, p: int) -> tuple[int, int] | None:
    if a is None:
        return b
    if b is None:
        return a
    (x1, y1), (x2, y2) = a, b
    if x1 == x2:
        if (y1 + y2) % p == 0:
            return None
        slope = (3 * x1 * x1 - 3) * pow(2 * y1, -1, p) % p
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, p) % p
    x3 = (slope * slope - x1 - x2) % p
    return (x3, (slope * (x1 - x3) - y1) % p)


def _ec_mul(scalar: int, point: tuple[int, int] | None, p: int) -> tuple[int, int] | None:
    result: tuple[int, int] | None = None
    while scalar:
        if scalar & 1:
            result = _ec_add(result, point, p)
        point = _ec_add(point, point, p)
        scalar >>= 1
    return result


class PublicKey:
    """A certificate's key: RSA (n, e) or an EC point on a named curve."""

    def __init__(self, spki: Der) -> None:
        algorithm, bits = spki.children()
        parts = algorithm.children()
        self.kind = {OID_RSA: "rsa", OID_EC: "ec"}.get(parts[0].oid(), "")
        if bits.tag != 0x03 or not self.kind:
            raise Failed("a timestamp's certificate has a key this checker does not know")
        key = bits.value[1:]
        if self.kind == "rsa":
            n, e = Der(key).children()
            self.n, self.e = n.integer(), e.integer()
        else:
            curve = CURVES.get(parts[1].oid())
            size = (len(key) - 1) // 2
            if curve is None or key[:1] != b"\x04":
                raise Failed("a timestamp's certificate has a curve this checker does not know")
            self.curve = curve
            self.point = (
                int.from_bytes(key[1 : 1 + size], "big"),
                int.from_bytes(key[1 + size :], "big"),
            )

    def verifies(self, algorithm: str, digest_name: str | None, message: bytes, sig: bytes) -> bool:
        kind, named = SIGNATURES.get(algorithm, ("", None))
        digest_name = named or digest_name
        if kind != self.kind or digest_name not in DIGEST_INFO:
            return False
        digest = hashlib.new(digest_name, message).digest()
        if self.kind == "rsa":
            size = (self.n.bit_length() + 7) // 8
            decoded = pow(int.from_bytes(sig, "big"), self.e, self.n).to_bytes(size, "big")
            info = DIGEST_INFO[digest_name] + digest
            return decoded == b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
        p, _b, n, gx, gy = self.curve
        try:
            r, s = (part.integer() for part in Der(sig).children())
        except (Failed, ValueError):
            return False
        if not (0 < r < n and 0 < s < n):
            return False
        e = int.from_bytes(digest, "big") >> max(0, len(digest) * 8 - n.bit_length())
        w = pow(s, -1, n)
        total = _ec_add(_ec_mul(e * w % n, (gx, gy), p), _ec_mul(r * w % n, self.point, p), p)
        return total is not None and total[0] % n == r


class Certificate:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        tbs, algorithm, signature = Der(raw).tagged(0x30).children()
        self.tbs, self.algorithm = tbs.raw, algorithm.children()[0].oid()
        self.signature = signature.value[1:]
        fields = tbs.tagged(0x30).children()
        if fields[0].tag == 0xA0:
            fields = fields[1:]
        self.serial = fields[0].integer()
        self.issuer, self.subject = fields[2].raw, fields[4].raw
        self.not_before, self.not_after = (t.time() for t in fields[3].children())
        self.key = PublicKey(fields[5])
        self.fingerprint = hashlib.sha256(raw).hexdigest()
        self.usages: list[str] = []
        for extra in fields[6:]:
            if extra.tag != 0xA3:
                continue
            for extension in extra.only().children():
                parts = extension.children()
                if parts[0].oid() == OID_EXTENDED_KEY_USAGE:
                    self.usages = [usage.oid() for usage in Der(parts[-1].value).children()]

    @property
    def name(self) -> str:
        for relative in Der(self.subject).children():
            for attribute in relative.children():
                kind, value = attribute.children()
                if kind.oid() == OID_COMMON_NAME:
                    return value.value.decode("utf-8", "replace")
        return "an unnamed authority"

    def signed_by(self, issuer: Certificate) -> bool:
        # Every token of an authority carries the same certificates: each pair is checked once.
        pair = (self.raw, issuer.raw)
        if pair not in ISSUED:
            ISSUED[pair] = self.issuer == issuer.subject and issuer.key.verifies(
                self.algorithm, None, self.tbs, self.signature
            )
        return ISSUED[pair]


# Whether a certificate (its bytes) was issued by another, for every pair checked so far.
ISSUED: dict[tuple[bytes, bytes], bool] = {}


def pem_certificate(data: bytes) -> Certificate:
    text = data.decode("ascii", "replace")
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    if begin not in text or end not in text:
        raise Failed("a timestamp authority's certificate is not a PEM certificate")
    body = text.split(begin, 1)[1].split(end, 1)[0]
    try:
        return Certificate(base64.b64decode("".join(body.split()), validate=True))
    except (ValueError, IndexError):
        raise Failed("a timestamp authority's certificate cannot be read") from None


class Token:
    """A timestamp token (RFC 3161: CMS SignedData over a TSTInfo), once its signature holds
    and its signer's certificate was issued by `root`, the authority's own certificate."""

    def __init__(self, raw: bytes, root: Certificate) -> None:
        content_type, signed = Der(raw).tagged(0x30).children()
        if content_type.oid() != OID_SIGNED_DATA:
            raise Failed("it is not a signed token")
        parts = signed.tagged(0xA0).only().tagged(0x30).children()
        encapsulated = parts[2].tagged(0x30).children()
        if encapsulated[0].oid() != OID_TST_INFO:
            raise Failed("it does not hold a timestamp")
        self.tst_info = encapsulated[1].tagged(0xA0).only().tagged(0x04).value
        certificates = (
            [Certificate(c.raw) for c in parts[3].children()] if parts[3].tag == 0xA0 else []
        )
        signer_info = parts[-1].tagged(0x31).children()
        if len(signer_info) != 1:
            raise Failed("it does not have exactly one signer")
        self._check_signer(signer_info[0].tagged(0x30).children(), certificates, root)
        info = Der(self.tst_info).tagged(0x30).children()
        algorithm, hashed = info[2].children()
        self.digest_algorithm = DIGESTS.get(algorithm.children()[0].oid(), "")
        self.hashed = hashed.value
        self.gen_time = info[4].time()

    def _check_signer(
        self, parts: list[Der], certificates: list[Certificate], root: Certificate
    ) -> None:
        sid, digest_algorithm, attributes, algorithm, signature = parts[1:6]
        digest_name = DIGESTS.get(digest_algorithm.children()[0].oid())
        if attributes.tag != 0xA0 or digest_name is None:
            raise Failed("its signer's details cannot be read")
        found: dict[str, Der] = {}
        for attribute in attributes.children():
            kind, values = attribute.children()
            found[kind.oid()] = values.only()
        content_type = found.get(OID_CONTENT_TYPE)
        if content_type is None or content_type.oid() != OID_TST_INFO:
            raise Failed("its signature is not over a timestamp")
        digest = hashlib.new(digest_name, self.tst_info).digest()
        claimed = found.get(OID_MESSAGE_DIGEST)
        if claimed is None or claimed.tag != 0x04 or claimed.value != digest:
            raise Failed("its content has changed since the authority signed it")
        signer = self._signer(sid, certificates)
        signed_bytes = b"\x31" + attributes.raw[1:]
        if not signer.key.verifies(
            algorithm.children()[0].oid(), digest_name, signed_bytes, signature.value
        ):
            raise Failed("the authority's signature on it is not valid")
        if OID_TIME_STAMPING not in signer.usages:
            raise Failed("its signer's certificate is not one for timestamps")
        self.signer = signer
        self._check_chain(signer, certificates, root)

    @staticmethod
    def _signer(sid: Der, certificates: list[Certificate]) -> Certificate:
        if sid.tag == 0x30:
            issuer, serial = sid.children()
            for certificate in certificates:
                if certificate.issuer == issuer.raw and certificate.serial == serial.integer():
                    return certificate
        raise Failed("it does not carry its signer's certificate")

    @staticmethod
    def _check_chain(
        signer: Certificate, certificates: list[Certificate], root: Certificate
    ) -> None:
        current = signer
        for _step in range(5):
            if current.raw == root.raw or current.signed_by(root):
                return
            issuer = next(
                (c for c in certificates if c.subject == current.issuer and c.raw != current.raw),
                None,
            )
            if issuer is None or not current.signed_by(issuer):
                break
            current = issuer
        raise Failed("its signer's certificate was not issued by the authority's certificate")


# A record may say it was written a little after an authority saw the head holding it: two
# clocks never agree exactly. More than this, and the record claims a time it cannot have had.
CLOCK_SLACK_SECONDS = 120


def _seconds(iso_time: str) -> int:
    """Seconds since 1970 of an ISO 8601 UTC time (the ledger's or a token's)."""
    return calendar.timegm(time.strptime(iso_time[:19], "%Y-%m-%dT%H:%M:%S"))


def check_timestamps(bundle: Bundle, manifest: Json, records: list[Json]) -> list[str]:
    """Each timestamp token is an authority's signed word that a head existed by its time:
    check every one, and say for every record how early an authority vouches for it."""
    roots: dict[str, Certificate] = {}
    stamps: dict[str, list[tuple[int, str]]] = {}
    for listed in manifest.get("timestamps", []):
        seq, path = listed["seq"], listed["path"]
        if not 1 <= seq <= len(records) or records[seq - 1]["hash"] != listed["hash"]:
            raise Failed(f"{path}: the ledger has no record {seq} with the hash it vouches for")
        ca_path = listed["ca_path"]
        if ca_path not in roots:
            roots[ca_path] = pem_certificate(bundle.read(ca_path))
        root = roots[ca_path]
        try:
            token = Token(bundle.read(path), root)
        except Failed as problem:
            raise Failed(f"{path}: {problem}") from None
        except (ValueError, IndexError):
            raise Failed(f"{path}: it is not a timestamp token") from None
        if token.digest_algorithm != "sha256" or token.hashed != bytes.fromhex(listed["hash"]):
            raise Failed(f"{path}: the token is for another hash than record {seq}'s")
        signer = token.signer
        if not signer.not_before[:19] <= token.gen_time[:19] <= signer.not_after[:19]:
            raise Failed(f"{path}: the authority's certificate was not valid at {token.gen_time}")
        authority = f"{signer.name} (root {grouped(root.fingerprint[:16])})"
        stamps.setdefault(authority, []).append((seq, token.gen_time))
    lines = []
    for authority, found in sorted(stamps.items()):
        lines += _vouched(authority, found, records)
    covered = max((seq for found in stamps.values() for seq, _t in found), default=0)
    if covered < len(records):
        first = covered + 1
        lines.append(
            f"records {first} to {len(records)}: not yet anchored (no authority vouches for them)"
        )
    return lines


def _vouched(authority: str, found: list[tuple[int, str]], records: list[Json]) -> list[str]:
    """For each stretch of records, the earliest time this authority saw a head holding it,
    once no record in it claims to be later than that."""
    latest_first: list[tuple[int, str]] = []  # (last seq, time), the times falling
    for seq, gen_time in sorted(found, key=lambda stamp: (-stamp[0], stamp[1])):
        if not latest_first or gen_time < latest_first[-1][1]:
            latest_first.append((seq, gen_time))
    lines, first = [], 1
    for last, gen_time in reversed(latest_first):
        limit = _seconds(gen_time) + CLOCK_SLACK_SECONDS
        for record in records[first - 1 : last]:
            if _seconds(record["at"]) > limit:
                raise Failed(
                    f"ledger record {record['seq']} says it was written at {record['at']}, "
                    f"after {authority} saw it at {gen_time}"
                )
        lines.append(
            f"records {first} to {last}: recorded no later than {gen_time}, per {authority}"
        )
        first = last + 1
    return lines


def read_manifest(bundle: Bundle) -> Json:
    if not bundle.has("manifest.json"):
        raise Failed("manifest.json is missing: is this a Sightline bundle?")
    manifest = strict_json(bundle.read("manifest.json"), "manifest.json")
    if not isinstance(manifest, dict):
        raise Failed("manifest.json is not a bundle's manifest")
    return manifest


def verify(*args: Any, **kwargs: Any) -> str:
    """check(), with the garbage collector paused: a large bundle's JSON is hundreds of
    thousands of objects, none of them in a reference cycle, and the collector's passes over
    them were a fifth of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return check(*args, **kwargs)
    finally:
        if was_enabled:
            gc.enable()


def check(
    path: Path,
    want_key: str | None = None,
    earlier: list[Path] | None = None,
    receipts: list[Path] | None = None,
    trusted: list[str] | None = None,
) -> str:
    """The bundle at `path` checked on its own, then against each earlier copy and receipt
    someone else kept (check_copies): its OK line, or Failed."""
    summary, manifest, records, fingerprint = verify_bundle(path, want_key)
    if not earlier and not receipts:
        return summary
    keys = {fingerprint, *(key.replace(" ", "").lower() for key in trusted or [])}
    copies, found = check_copies(manifest, records, earlier or [], receipts or [], keys)
    verdict, *times = summary.split("\n")
    verdict = f"{verdict}; extends {copies} earlier copies; {found} receipts found"
    return "\n".join([verdict, *times])


def verify_bundle(path: Path, want_key: str | None = None) -> tuple[str, Json, list[Json], str]:
    """The bundle checked on its own: its verdict, its manifest, its ledger and the fingerprint
    of the key that signed it."""
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
    check_summary(manifest)
    check_earlier_exports(manifest, records)
    times = check_timestamps(bundle, manifest, records)
    earlier = len(manifest.get("earlier_exports", []))
    signed = f"signed by key {grouped(fingerprint)}" if fingerprint else "not signed (format 1)"
    stamped = len(manifest.get("timestamps", []))
    verdict = (
        f"OK: {len(hashes)} files, {len(records)} ledger records, {objects} entries and items "
        f"checked, {earlier} earlier exports extended, {stamped} timestamps checked; "
        f"head {head}; {signed}"
    )
    return "\n".join([verdict, *times]), manifest, records, fingerprint


# Copies held by other people (docs/export-format.md, "Checking against copies others hold"):
# an earlier bundle or a signed head (--earlier), a contact's receipt (--receipt). The server's
# own word cannot vouch for them; each was kept by someone else since it was made.

HEAD_FORMAT = "sightline-head/1"
RECEIPT_FORMAT = "sightline-receipt/1"


def signed_by(document: Any, what: str, keys: set[str]) -> None:
    """`document` (a signed head) carries a valid Ed25519 signature, over the canonical JSON of
    everything but `signature`, by the key it names, and that key is one trusted here: the
    bundle's own, or one given with --trust-key."""
    if not isinstance(document, dict) or document.get("format") != HEAD_FORMAT:
        raise Failed(f"{what} is not a signed head")
    body = {name: value for name, value in document.items() if name != "signature"}
    key = document.get("key")
    if not isinstance(key, dict):
        raise Failed(f"{what}: it names no key")
    try:
        public_key = base64.b64decode(key["public_key"], validate=True)
        signature = base64.b64decode(document["signature"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise Failed(f"{what}: its signature cannot be read") from None
    fingerprint = hashlib.sha256(public_key).hexdigest()
    if key.get("algorithm") != "Ed25519" or key.get("fingerprint") != fingerprint:
        raise Failed(f"{what}: it does not name its key correctly")
    if not ed25519_verify(public_key, canonical_json(body), signature):
        raise Failed(f"{what}: its signature is not valid")
    if fingerprint not in keys:
        raise Failed(
            f"{what} is signed by key {grouped(fingerprint)}, not this bundle's; if that is an "
            "earlier key of the same server, give it with --trust-key"
        )


def in_chain(records: list[Json], seq: Any, hash_: Any) -> bool:
    return (
        isinstance(seq, int) and 1 <= seq <= len(records) and records[seq - 1].get("hash") == hash_
    )


def check_head(manifest: Json, records: list[Json], head: Any, what: str, keys: set[str]) -> int:
    """A signed head someone kept: by a trusted key, of this diary, and its record is in this
    bundle's chain with the same hash (so, the chain being hashed, is every record before it).
    Returns its sequence number."""
    signed_by(head, what, keys)
    if head.get("diary") != manifest.get("diary", {}).get("id"):
        raise Failed(f"{what} is of another diary")
    seq = head.get("seq")
    if not isinstance(seq, int) or seq < 1:
        raise Failed(f"{what} names no record")
    if seq > len(records):
        raise Failed(f"{what} holds records this bundle lacks (it ends at record {seq})")
    if not in_chain(records, seq, head.get("hash")):
        raise Failed(f"the history differs from {what} at or before record {seq}")
    return seq


def check_earlier_bundle(manifest: Json, records: list[Json], path: Path, keys: set[str]) -> None:
    """An earlier bundle: it verifies on its own, and its whole ledger is this one's start."""
    try:
        _, older_manifest, older, fingerprint = verify_bundle(path)
    except (Failed, KeyError, TypeError) as problem:
        raise Failed(
            f"the earlier bundle {path.name} does not verify on its own: {problem}"
        ) from None
    if fingerprint and fingerprint not in keys:
        raise Failed(
            f"the earlier bundle {path.name} is signed by key {grouped(fingerprint)}, not this "
            "bundle's; if that is an earlier key of the same server, give it with --trust-key"
        )
    if older_manifest.get("diary", {}).get("id") != manifest.get("diary", {}).get("id"):
        raise Failed(f"the earlier bundle {path.name} is of another diary")
    for index in range(min(len(records), len(older))):
        if records[index] != older[index]:
            raise Failed(f"the history differs from the earlier bundle from record {index + 1}")
    if len(older) > len(records):
        raise Failed("the history differs: the earlier bundle has records this one lacks")


def check_receipt(
    manifest: Json, records: list[Json], receipt: Any, path: Path, keys: set[str]
) -> None:
    """A contact's receipt: its signed head is in the chain, and the record of the send, at or
    before that head, has the receipt's hash and the hash of what was sent."""
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        raise Failed(f"{path.name} is not a receipt")
    what = f"the receipt {receipt.get('reference')}"
    head_seq = check_head(manifest, records, receipt.get("head"), what, keys)
    seq = receipt.get("seq")
    if not isinstance(seq, int) or not in_chain(records, seq, receipt.get("hash")):
        raise Failed(f"{what}: the bundle's ledger has no record {seq} with its hash")
    if seq > head_seq:
        raise Failed(f"{what}: its signed head does not include its record {seq}")
    if records[seq - 1].get("content_sha256") != receipt.get("content_sha256"):
        raise Failed(f"{what}: record {seq} does not hold what was sent")


def check_copies(
    manifest: Json, records: list[Json], earlier: list[Path], receipts: list[Path], keys: set[str]
) -> tuple[int, int]:
    """Each earlier copy and receipt checked against this bundle's ledger, in the order given."""
    for path in earlier:
        if path.is_file() and path.suffix == ".json":
            head = strict_json(path.read_bytes(), path.name)
            check_head(manifest, records, head, f"the earlier copy {path.name}", keys)
        else:
            check_earlier_bundle(manifest, records, path, keys)
    for path in receipts:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise Failed(f"{path.name} cannot be read: {error}") from None
        check_receipt(manifest, records, strict_json(data, path.name), path, keys)
    return len(earlier), len(receipts)


def take_all(args: list[str], option: str) -> list[str]:
    """Every value given with a repeatable `option`, taken out of `args`."""
    values = []
    while option in args:
        at = args.index(option)
        if at + 1 >= len(args):
            raise Failed(f"{option} needs a value")
        values.append(args[at + 1])
        del args[at : at + 2]
    return values


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
    try:
        earlier = [Path(value) for value in take_all(args, "--earlier")]
        receipts = [Path(value) for value in take_all(args, "--receipt")]
        trusted = take_all(args, "--trust-key")
    except Failed as problem:
        print(f"FAILED: {problem}")
        return 1
    path = Path(args[0]) if args else Path(__file__).resolve().parent
    try:
        print(verify(path, want_key, earlier, receipts, trusted))
    except (Failed, KeyError, TypeError) as problem:
        print(f"FAILED: {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
