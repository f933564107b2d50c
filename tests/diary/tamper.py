"""What a tamperer can do to a bundle, as functions over its unzipped folder: the mutation
campaign (test_tamper_campaign.py) runs each one against the verifiers.

Each mutation is named for its class; `keys=True` ones re-sign the manifest with the
instance's key, as only someone holding the server's keys could, so what catches them is a
check behind the signature, or a copy held outside the server.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from diary.bundle.offline import verify as offline
from tests.diary.test_export import resign


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[Path], None]
    # The check the trust model says catches it, and the words of the FAILED line it gives
    # (any one of them, when which check comes first depends on which record was hit).
    caught_by: str
    says: tuple[str, ...]


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True)
    (folder / "manifest.json").write_text(text, encoding="utf-8")


def fix_hashes(folder: Path, manifest: dict[str, Any]) -> None:
    """Give every listed file the hash it has now, as anyone could."""
    for item in manifest["files"]:
        data = (folder / item["path"]).read_bytes()
        item["sha256"], item["size"] = hashlib.sha256(data).hexdigest(), len(data)


def refreshed(folder: Path, manifest: dict[str, Any] | None = None, *, keys: bool) -> None:
    """The manifest (as given, or as it is) with every listed file's hash as it is now,
    written back as anyone could, and signed again if `keys`."""
    manifest = read_manifest(folder) if manifest is None else manifest
    fix_hashes(folder, manifest)
    write_manifest(folder, manifest)
    if keys:
        resign(folder)


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def read_ledger(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def write_ledger(folder: Path, records: list[dict[str, Any]]) -> None:
    """The records re-chained from the first: every seq, prev_hash and hash made consistent
    again, as a careful rewriter would."""
    prev = offline.GENESIS
    lines = []
    for seq, record in enumerate(records, start=1):
        record.update(seq=seq, prev_hash=prev)
        record["hash"] = offline.canonical_sha256({name: record[name] for name in offline.BODY})
        prev = record["hash"]
        lines.append(offline.canonical_json(record) + b"\n")
    (folder / "ledger.jsonl").write_bytes(b"".join(lines))


def rewritten(
    folder: Path,
    records: list[dict[str, Any]],
    *,
    keys: bool,
    drop_timestamps: bool = False,
) -> None:
    """Put back a rewritten ledger with a manifest that agrees with it everywhere (its head,
    and the heads of earlier exports moved to where those records are now), re-signed if
    `keys`."""
    was = [record["seq"] for record in records]
    write_ledger(folder, records)
    now = {old: record for old, record in zip(was, records, strict=True)}
    manifest = read_manifest(folder)
    manifest["ledger_head"] = {"seq": len(records), "hash": records[-1]["hash"]}
    manifest["earlier_exports"] = [
        {**earlier, "head_seq": now[seq]["seq"], "head_hash": now[seq]["hash"]}
        for earlier in manifest["earlier_exports"]
        if (seq := earlier["head_seq"]) in now
    ]
    if drop_timestamps:
        stamped = {path for stamp in manifest["timestamps"] for path in stamp.values()}
        manifest["files"] = [f for f in manifest["files"] if f["path"] not in stamped]
        manifest["timestamps"] = []
        for path in stamped:
            if isinstance(path, str) and (folder / path).is_file():
                (folder / path).unlink()
    refreshed(folder, manifest, keys=keys)


def _back(at: str, days: int) -> str:
    moved = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return (moved - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def members(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def bundle_mutations(folder: Path) -> list[Mutation]:
    """Every class of change to a bundle itself, for the members this bundle has."""
    found: list[Mutation] = []
    for name in members(folder):
        found.append(
            Mutation(
                f"flip {name}",
                lambda f, name=name: flip(f / name),
                "signature" if name in ("manifest.json", "signature.json") else "files",
                # A changed byte of signature.json's own hash of the manifest reads as the
                # manifest having changed since it was signed: the signature check either way.
                (name, "since it was signed") if name == "signature.json" else (name,),
            )
        )
        if name not in ("manifest.json", "signature.json"):
            found.append(
                Mutation(
                    f"fix-up {name}",
                    lambda f, name=name: _fixed_up(f, name),
                    "signature",
                    "manifest.json has changed since it was signed",
                )
            )
    found += [
        Mutation(
            "tail cut, without the keys",
            lambda f: rewritten(f, read_ledger(f)[:-2], keys=False),
            "signature",
            ("manifest.json has changed since it was signed",),
        ),
        Mutation(
            "tail cut, with the keys",
            lambda f: rewritten(f, read_ledger(f)[:-2], keys=True),
            "objects",
            ("no ledger record holds its hash",),
        ),
        Mutation(
            "middle record deleted and renumbered, with the keys",
            lambda f: rewritten(f, _without_middle(read_ledger(f)), keys=True),
            "objects, timestamps or earlier exports",
            (
                "no ledger record holds its hash",
                "the ledger has no record",
                "the chain no longer holds its head",
            ),
        ),
        Mutation(
            "full consistent rewrite, without the keys",
            lambda f: rewritten(f, _backdated(read_ledger(f)), keys=False),
            "signature",
            ("manifest.json has changed since it was signed",),
        ),
        Mutation(
            "backdated 30 days and re-hashed, with the keys, tokens kept",
            lambda f: rewritten(f, _backdated(read_ledger(f)), keys=True),
            "timestamps",
            ("the ledger has no record",),
        ),
        Mutation(
            "a file listed twice in the manifest, with the keys",
            lambda f: _manifest_edited(f, lambda m: m["files"].append(dict(m["files"][0]))),
            "members",
            ("is listed twice in manifest.json",),
        ),
    ]
    if read_manifest(folder).get("timestamps"):
        found.append(
            Mutation(
                "a token's outer structure changed, with the keys",
                _retagged_token,
                "timestamps",
                ("a timestamp is not valid DER",),
            )
        )
    return found


def _retagged_token(folder: Path) -> None:
    """The token's first byte, SEQUENCE, made SET: every other byte as the authority signed."""
    path = folder / read_manifest(folder)["timestamps"][0]["path"]
    data = bytearray(path.read_bytes())
    data[0] = 0x31
    path.write_bytes(bytes(data))
    refreshed(folder, keys=True)


def _fixed_up(folder: Path, name: str) -> None:
    flip(folder / name)
    refreshed(folder, keys=False)


def _manifest_edited(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    manifest = read_manifest(folder)
    change(manifest)
    write_manifest(folder, manifest)
    resign(folder)


def _without_middle(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return records[: len(records) // 2] + records[len(records) // 2 + 1 :]


def _backdated(records: list[dict[str, Any]], days: int = 30) -> list[dict[str, Any]]:
    return [{**record, "at": _back(record["at"], days)} for record in records]
