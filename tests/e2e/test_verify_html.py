"""verify.html, the bundle's second verifier, gives verify.py's verdict, line for line.

Real bundles are made with the app, unzipped, changed the ways a tamperer or an accident would
change them, zipped again as the writer zips (stored and deflated members with ZIP64 local
headers and data descriptors), and checked twice: by verify.py in a subprocess, and by
verify.html opened from file:// in Debian's Chromium, one page for every bundle.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import connections
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route

from diary.bundle.offline import verify as offline
from diary.bundle.services import export_create
from diary.core import filestore, signing
from diary.core.hashing import canonical_json
from tests.diary import tamper
from tests.diary.test_export import flip_byte, resign
from tests.diary.test_tamper_campaign import diary_with_history  # noqa: F401 (a fixture)
from tests.e2e import a11y
from tests.factories import OwnerFactory, jpeg_bytes, make_entry, make_item, upload
from tests.tsa import Authority

ROOT = Path(__file__).resolve().parents[2]
OFFLINE = ROOT / "diary" / "bundle" / "offline"
PAGE = (OFFLINE / "verify.html").as_uri()
# The examiner's own copy of verify.py, not the one inside the bundle being checked.
VERIFY_PY = OFFLINE / "verify.py"


def verify_py(
    target: Path, key: str | None = None, copies: dict[str, list[Any]] | None = None
) -> str:
    args = ["--key", key] if key is not None else []
    for option, values in (copies or {}).items():
        args += [arg for value in values for arg in (f"--{option}", str(value))]
    result = subprocess.run(
        [sys.executable, "-I", str(VERIFY_PY), str(target), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stderr == "", result.stderr
    return result.stdout.rstrip("\n")


def zipped(folder: Path, out: Path, extra: dict[str, bytes] | None = None) -> Path:
    """The folder as the writer zips a bundle: files streamed in with ZIP64 local headers and
    data descriptors (originals stored, the rest deflated), the small ones written whole."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for number, path in enumerate(sorted(folder.rglob("*"))):
            if not path.is_file():
                continue
            name = path.relative_to(folder).as_posix()
            if number % 2:
                archive.writestr(name, path.read_bytes())
                continue
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 23, 21, 10, 0))
            stored = name.startswith(("evidence/", "person/"))
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                data = path.read_bytes()
                for at in range(0, len(data), 4096):
                    member.write(data[at : at + 4096])
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out


def manifest_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


def fix_up(folder: Path, *names: str) -> None:
    """Give the manifest the new SHA-256 of each changed file, as a tamperer would."""
    manifest = manifest_of(folder)
    for item in manifest["files"]:
        if item["path"] in names:
            data = (folder / item["path"]).read_bytes()
            item["sha256"], item["size"] = hashlib.sha256(data).hexdigest(), len(data)
    write_manifest(folder, manifest)


def ledger_lines(folder: Path) -> list[bytes]:
    return (folder / "ledger.jsonl").read_bytes().splitlines(keepends=True)


def rehash(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A consistent chain again: every seq, prev_hash and hash recomputed from the first."""
    prev = offline.GENESIS
    for seq, record in enumerate(records, start=1):
        record["seq"], record["prev_hash"] = seq, prev
        body = {name: record.get(name) for name in offline.BODY}
        record["hash"] = prev = hashlib.sha256(canonical_json(body)).hexdigest()
    return records


def write_ledger(folder: Path, records: list[dict[str, Any]]) -> None:
    (folder / "ledger.jsonl").write_bytes(
        b"".join(canonical_json(record) + b"\n" for record in records)
    )
    fix_up(folder, "ledger.jsonl")
    manifest = manifest_of(folder)
    manifest["ledger_head"] = {"seq": len(records), "hash": records[-1]["hash"]}
    write_manifest(folder, manifest)


def sign_with_another_key(folder: Path) -> None:
    other = Ed25519PrivateKey.generate()
    public = other.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    described = {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(public).decode(),
        "fingerprint": hashlib.sha256(public).hexdigest(),
    }
    manifest = manifest_of(folder)
    manifest["signing_key"] = described
    write_manifest(folder, manifest)
    statement = {
        "format": "sightline-signature/1",
        "manifest_sha256": hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest(),
    }
    signature = base64.b64encode(other.sign(canonical_json(statement))).decode()
    document = {**described, **statement, "signature": signature}
    (folder / "signature.json").write_text(json.dumps(document, indent=2, sort_keys=True))


# Each mutation changes an unzipped copy of the bundle; what it returns (if anything) is put
# into the zip as well, beside the folder's files.
Mutation = Callable[[Path], dict[str, bytes] | None]
MUTATIONS: dict[str, Mutation] = {"rezipped as it is": lambda folder: None}

MEMBERS = [
    "manifest.json",
    "signature.json",
    "ledger.jsonl",
    "entries.csv",
    "items.csv",
    "person.csv",
    "chronology.pdf",
    "evidence/E001.jpg",
    "verify.py",
    "verify.html",
    "VERIFY.txt",
]


def flip(name: str, where: float) -> Mutation:
    def mutate(folder: Path) -> None:
        size = (folder / name).stat().st_size
        flip_byte(folder / name, min(size - 1, int(size * where)))

    return mutate


# What every verifier must refuse: any byte of any member the manifest hashes. (A byte of a
# token is checked by the token's own checks instead, once the manifest is fixed up and signed
# again; some of its bytes, such as the copy of the root a token may carry, vouch for nothing,
# and both verifiers pass them over alike.)
MUST_FAIL: set[str] = set()
for _name in MEMBERS:
    for _where in (0.0, 0.5, 0.999):
        MUTATIONS[f"one byte of {_name} at {_where:.0%}"] = flip(_name, _where)
        MUST_FAIL.add(f"one byte of {_name} at {_where:.0%}")


def mutation(name: str) -> Callable[[Mutation], Mutation]:
    def register(function: Mutation) -> Mutation:
        MUTATIONS[name] = function
        return function

    return register


def _csv_edited(folder: Path) -> None:
    csv = folder / "entries.csv"
    csv.write_bytes(csv.read_bytes().replace(b"21:03", b"23:03"))
    fix_up(folder, "entries.csv")


@mutation("entries.csv edited, the manifest fixed up")
def _(folder: Path) -> None:
    _csv_edited(folder)


@mutation("entries.csv edited, the manifest fixed up and named in signature.json")
def _(folder: Path) -> None:
    _csv_edited(folder)
    path = folder / "signature.json"
    signature = json.loads(path.read_text())
    signature["manifest_sha256"] = hashlib.sha256((folder / "manifest.json").read_bytes())
    signature["manifest_sha256"] = signature["manifest_sha256"].hexdigest()
    path.write_text(json.dumps(signature, indent=2, sort_keys=True))


@mutation("entries.csv edited and re-signed with the instance's key")
def _(folder: Path) -> None:
    _csv_edited(folder)
    resign(folder)


@mutation("re-signed with another key")
def _(folder: Path) -> None:
    _csv_edited(folder)
    sign_with_another_key(folder)


@mutation("a member added to the zip")
def _(folder: Path) -> dict[str, bytes]:
    return {"evidence/E009.jpg": jpeg_bytes()}


@mutation("a member added to the zip under a folder of its own")
def _(folder: Path) -> dict[str, bytes]:
    return {"notes/": b"", "notes/read me.txt": b"Nothing to see"}


@mutation("a member missing")
def _(folder: Path) -> None:
    (folder / "items.csv").unlink()


@mutation("the evidence file missing")
def _(folder: Path) -> None:
    (folder / "evidence" / "E001.jpg").unlink()


@mutation("signature.json missing")
def _(folder: Path) -> None:
    (folder / "signature.json").unlink()


@mutation("manifest.json missing")
def _(folder: Path) -> None:
    (folder / "manifest.json").unlink()


for _unsafe in ("../escape.txt", "/etc/passwd", "evidence\\E001.jpg", "a//b", "./entries.csv"):
    MUTATIONS[f"an unsafe name in the zip: {_unsafe}"] = lambda folder, name=_unsafe: {name: b"x"}


@mutation("a repeated name in the zip")
def _(folder: Path) -> dict[str, bytes]:
    return {"entries.csv": b"Reference\r\n#9\r\n"}


@mutation("a repeated key in the manifest, re-signed")
def _(folder: Path) -> None:
    path = folder / "manifest.json"
    text = path.read_text()
    path.write_text(text.replace('"title": ', '"title": "Another title",\n    "title": ', 1))
    resign(folder)


@mutation("a fraction in the manifest, re-signed")
def _(folder: Path) -> None:
    path = folder / "manifest.json"
    path.write_text(path.read_text().replace('"format_version": 2', '"format_version": 2.0'))
    resign(folder)


@mutation("NaN in the manifest, re-signed")
def _(folder: Path) -> None:
    path = folder / "manifest.json"
    path.write_text(path.read_text().replace('"id": ', '"id": NaN, "x": ', 1))
    resign(folder)


@mutation("manifest.json not UTF-8")
def _(folder: Path) -> None:
    path = folder / "manifest.json"
    path.write_bytes(path.read_bytes().replace(b"{", b"{\xff", 1))


@mutation("manifest.json with a byte-order mark, re-signed")
def _(folder: Path) -> None:
    path = folder / "manifest.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    resign(folder)


@mutation("manifest.json a list, re-signed")
def _(folder: Path) -> None:
    (folder / "manifest.json").write_text("[]")
    resign(folder)


@mutation("signature.json not JSON")
def _(folder: Path) -> None:
    (folder / "signature.json").write_text('{"algorithm": "Ed25519",')


@mutation("signature.json's signature not base64")
def _(folder: Path) -> None:
    path = folder / "signature.json"
    signature = json.loads(path.read_text())
    signature["signature"] = signature["signature"][:-4] + "!!=="
    path.write_text(json.dumps(signature))


@mutation("signature.json names another fingerprint")
def _(folder: Path) -> None:
    path = folder / "signature.json"
    signature = json.loads(path.read_text())
    signature["fingerprint"] = "0" * 64
    path.write_text(json.dumps(signature))


@mutation("a format 1 manifest, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    manifest["format_version"] = 1
    write_manifest(folder, manifest)
    resign(folder)


@mutation("a format 1 bundle without signature.json")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    manifest["format_version"] = 1
    write_manifest(folder, manifest)
    (folder / "signature.json").unlink()


@mutation("the ledger's tail cut")
def _(folder: Path) -> None:
    (folder / "ledger.jsonl").write_bytes(b"".join(ledger_lines(folder)[:-1]))
    fix_up(folder, "ledger.jsonl")


@mutation("the ledger's tail cut, re-signed")
def _(folder: Path) -> None:
    (folder / "ledger.jsonl").write_bytes(b"".join(ledger_lines(folder)[:-1]))
    fix_up(folder, "ledger.jsonl")
    resign(folder)


@mutation("the ledger's tail cut with the head moved back, re-signed")
def _(folder: Path) -> None:
    records = [json.loads(line) for line in ledger_lines(folder)][:-1]
    write_ledger(folder, records)
    resign(folder)


@mutation("a middle record deleted and the rest renumbered, re-signed")
def _(folder: Path) -> None:
    records = [json.loads(line) for line in ledger_lines(folder)]
    middle = len(records) // 2
    write_ledger(folder, rehash(records[:middle] + records[middle + 1 :]))
    resign(folder)


@mutation("a ledger record changed, re-signed")
def _(folder: Path) -> None:
    records = [json.loads(line) for line in ledger_lines(folder)]
    records[1]["at"] = "2026-01-01T00:00:00.000000Z"
    write_ledger(folder, records)
    resign(folder)


@mutation("a ledger record renumbered, re-signed")
def _(folder: Path) -> None:
    records = [json.loads(line) for line in ledger_lines(folder)]
    records[2]["seq"] = "3"
    write_ledger(folder, records)
    resign(folder)


@mutation("every time moved back, the chain rehashed, not re-signed")
def _(folder: Path) -> None:
    records = [json.loads(line) for line in ledger_lines(folder)]
    for record in records:
        record["at"] = "2025" + record["at"][4:]
    write_ledger(folder, rehash(records))


for _line, _why in {
    b'{"seq": 1, "seq": 1}': "repeated",
    b'{"seq": NaN}': "NaN",
    b'{"seq": 2e0}': "exponent",
    b'{"seq": 1': "cut",
    b'{"seq": "\xff"}': "not UTF-8",
    b"[1, 2]": "not a record",
    b"": "empty",
}.items():

    def _loose(folder: Path, line: bytes = _line) -> None:
        lines = ledger_lines(folder)
        (folder / "ledger.jsonl").write_bytes(b"".join([lines[0], line + b"\n", *lines[2:]]))
        fix_up(folder, "ledger.jsonl")
        resign(folder)

    MUTATIONS[f"a loose ledger line ({_why}), re-signed"] = _loose


@mutation("an entry's content changed in the manifest, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    manifest["objects"][0]["content"]["what_happened"] = "Nothing happened"
    write_manifest(folder, manifest)
    resign(folder)


@mutation("an entry's content and hash changed in the manifest, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    item = manifest["objects"][0]
    item["content"]["what_happened"] = "Nothing happened"
    item["content_sha256"] = hashlib.sha256(canonical_json(item["content"])).hexdigest()
    write_manifest(folder, manifest)
    resign(folder)


@mutation("the evidence file swapped, its hashes fixed up, re-signed")
def _(folder: Path) -> None:
    (folder / "evidence" / "E001.jpg").write_bytes(jpeg_bytes(size=(65, 48)))
    fix_up(folder, "evidence/E001.jpg")
    resign(folder)


@mutation("an earlier export's head changed, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    manifest["earlier_exports"][0]["head_hash"] = "f" * 64
    write_manifest(folder, manifest)
    resign(folder)


@mutation("an earlier export past the chain's end, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    manifest["earlier_exports"][0]["head_seq"] = 10_000
    write_manifest(folder, manifest)
    resign(folder)


@mutation("a file listed twice, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    manifest["files"].append(dict(manifest["files"][0]))
    write_manifest(folder, manifest)
    resign(folder)


@mutation("the manifest without its files, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    del manifest["files"]
    write_manifest(folder, manifest)
    resign(folder)


@mutation("the manifest without its ledger head, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    del manifest["ledger_head"]
    write_manifest(folder, manifest)
    resign(folder)


@mutation("the format version a string, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    manifest["format_version"] = "2"
    write_manifest(folder, manifest)
    resign(folder)


def tokens(folder: Path) -> list[str]:
    return sorted(item["path"] for item in manifest_of(folder)["timestamps"])


def flip_token(which: int, where: float) -> Mutation:
    """One byte of a token changed, and the manifest fixed up and signed again, so that the
    token's own check must catch it."""

    def mutate(folder: Path) -> None:
        name = tokens(folder)[which]
        size = (folder / name).stat().st_size
        flip_byte(folder / name, min(size - 1, int(size * where)))
        fix_up(folder, name)
        resign(folder)

    return mutate


for _which in (0, -1):
    for _where in (0.0, 0.02, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.97, 0.999):
        MUTATIONS[f"one byte of token {_which} at {_where:.0%}, re-signed"] = flip_token(
            _which, _where
        )


@mutation("one byte of an authority's certificate, re-signed")
def _(folder: Path) -> None:
    ca = manifest_of(folder)["timestamps"][0]["ca_path"]
    data = (folder / ca).read_bytes()
    flip_byte(folder / ca, data.index(b"\n", 40) + 30)
    fix_up(folder, ca)
    resign(folder)


@mutation("an authority's certificate not PEM, re-signed")
def _(folder: Path) -> None:
    ca = manifest_of(folder)["timestamps"][0]["ca_path"]
    (folder / ca).write_bytes(b"not a certificate")
    fix_up(folder, ca)
    resign(folder)


@mutation("the two authorities' certificates swapped, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    paths = sorted({item["ca_path"] for item in manifest["timestamps"]})
    for item in manifest["timestamps"]:
        item["ca_path"] = paths[1 - paths.index(item["ca_path"])]
    write_manifest(folder, manifest)
    resign(folder)


@mutation("a token said to be of another record, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    records = [json.loads(line) for line in ledger_lines(folder)]
    stamp = manifest["timestamps"][-1]
    stamp["seq"] -= 1
    stamp["hash"] = records[stamp["seq"] - 1]["hash"]
    write_manifest(folder, manifest)
    resign(folder)


@mutation("a token said to be of a record past the end, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    manifest["timestamps"][0]["seq"] = 99
    write_manifest(folder, manifest)
    resign(folder)


@mutation("two tokens swapped, re-signed")
def _(folder: Path) -> None:
    first, last = tokens(folder)[0], tokens(folder)[-1]
    a, b = (folder / first).read_bytes(), (folder / last).read_bytes()
    (folder / first).write_bytes(b)
    (folder / last).write_bytes(a)
    fix_up(folder, first, last)
    resign(folder)


@mutation("the later tokens left out, re-signed")
def _(folder: Path) -> None:
    manifest = manifest_of(folder)
    last = max(item["seq"] for item in manifest["timestamps"])
    dropped = [item for item in manifest["timestamps"] if item["seq"] == last]
    manifest["timestamps"] = [item for item in manifest["timestamps"] if item not in dropped]
    gone = {item["path"] for item in dropped}
    manifest["files"] = [item for item in manifest["files"] if item["path"] not in gone]
    for path in gone:
        (folder / path).unlink()
    write_manifest(folder, manifest)
    resign(folder)


@mutation("a token's file missing")
def _(folder: Path) -> None:
    (folder / tokens(folder)[0]).unlink()


@mutation("the ledger rewritten from record 2, re-signed")
def _(folder: Path) -> None:
    records = [json.loads(line) for line in ledger_lines(folder)]
    records[1]["at"] = "2026-01-01T00:00:00.000000Z"
    write_ledger(folder, rehash(records))
    resign(folder)


KEYS = {
    "no key": None,
    "the instance's key": "instance",
    "the instance's key in capitals, grouped": "INSTANCE",
    "another key": "ab12 " * 16,
}


def make_bundle(folder: Path, authorities: list[Authority]) -> Path:
    """A real bundle from the app, with an entry amended, a file, an item, one earlier export
    and its head's tokens from two authorities (RSA and ECDSA P-256), and the tokens of this
    bundle's own head: its zip as the owner downloads it."""
    from diary.evidence.services import evidence_attach
    from diary.ledger.anchoring import anchor
    from diary.ledger.heads import head_signed
    from diary.models import LedgerRecord
    from diary.records.services import entry_amend
    from tests.witnesses.factories import (
        device_of,
        make_submission,
        make_witness,
        witness_api_client,
    )

    with override_settings(
        MEDIA_ROOT=folder / "media",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TIMESTAMP_URLS=[authority.url for authority in authorities],
        TIMESTAMP_CA_CERTS=[str(authority.ca_pem) for authority in authorities],
    ):
        owner = OwnerFactory()
        first = make_entry(owner, what_happened="Car outside the house at 21:03")
        evidence_attach(entry=first, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
        make_item(owner)
        # (A test's transaction keeps export_create from asking for tokens itself.)
        anchor(owner.diary)
        earlier = export_create(diary=owner.diary, actor=owner)
        with filestore.decrypted_copy(earlier.bundle_file.name, earlier.bundle_key) as handle:
            (folder / "earlier.zip").write_bytes(handle.read())
        # What other people keep: a friend a signed head, a contact the receipt of a report.
        record = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
        assert record is not None
        (folder / "head.json").write_text(json.dumps(head_signed(record=record), indent=2))
        contact = witness_api_client(make_witness(owner)[1])
        sent = make_submission(device_of(contact))
        receipt = contact.get(reverse("witness:receipt_file", args=[sent.reference]))
        (folder / "receipt.json").write_bytes(receipt.content)
        second = make_entry(owner, what_happened="Message from a new number: «je sais où»")
        anchor(owner.diary)
        entry_amend(
            entry=second,
            actor=owner,
            content={**second.current.content_values(), "what_happened": "Two messages"},
        )
        export = export_create(diary=owner.diary, actor=owner)
        download = folder / "bundle.zip"
        with filestore.decrypted_copy(export.bundle_file.name, export.bundle_key) as handle:
            download.write_bytes(handle.read())
    return download


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop in the test's thread, and Django refuses to
    touch the database beside one; nothing here runs concurrently, so these tests may."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield
        # The tests ran in Playwright's context, where the ORM opened a connection of its own:
        # closed here (still beside the loop), or PostgreSQL could not drop the test database.
        connections.close_all()


# Made once, by the first test that needs it, and read by every other.
MADE: dict[str, Path] = {}


@pytest.fixture
def made(
    db: Any, tsa: Authority, tsa_ec: Authority, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The bundle's zip, and the folder it unzips into."""
    if not MADE:
        folder = tmp_path_factory.mktemp("made")
        download = make_bundle(folder, [tsa, tsa_ec])
        with zipfile.ZipFile(download) as archive:
            archive.extractall(folder / "bundle")
        MADE.update(
            zip=download,
            folder=folder / "bundle",
            earlier=folder / "earlier.zip",
            head=folder / "head.json",
            receipt=folder / "receipt.json",
        )
    return MADE


@pytest.fixture(scope="module")
def checker(browser: Browser) -> Iterator[Page]:
    """verify.html from file://, in a phone-sized window; any request it made would fail."""
    context = browser.new_context(viewport={"width": 360, "height": 740})
    asked: list[str] = []
    errors: list[str] = []

    def only_the_page(route: Route) -> None:
        if route.request.url == PAGE:
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_page)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda note: errors.append(note.text) if note.type == "error" else None)
    page.goto(PAGE)
    yield page
    assert asked == [], "verify.html asked for something"
    assert errors == [], errors
    context.close()


def verify_html(page: Page, target: Path, key: str | None = None) -> str:
    page.fill("#key", key or "")
    # The verdict on the bundle before goes first, so the one waited for is this bundle's.
    page.locator("#result").evaluate("result => result.replaceChildren()")
    page.set_input_files("#bundle", str(target))
    line = page.locator(f'#verdict[data-file="{target.name}"]')
    line.wait_for(timeout=30_000)
    return line.inner_text()


def instance_key(wanted: str | None) -> str | None:
    fingerprint = signing.current_key().fingerprint
    if wanted == "instance":
        return fingerprint
    if wanted == "INSTANCE":
        return signing.grouped(fingerprint).upper()
    return wanted


_names = iter(range(1_000_000))


def fresh_zip(made: dict[str, Path], tmp_path: Path, mutate: Mutation) -> Path:
    number = next(_names)
    folder = tmp_path / f"bundle-{number}"
    shutil.copytree(made["folder"], folder)
    extra = mutate(folder)
    return zipped(folder, tmp_path / f"bundle-{number}.zip", extra)


@pytest.mark.parametrize("wanted", list(KEYS.values()), ids=list(KEYS))
def test_the_bundle_as_downloaded_gets_the_same_verdict(made, checker, wanted):
    key = instance_key(wanted)
    expected = verify_py(made["zip"], key)
    assert verify_html(checker, made["zip"], key) == expected
    if wanted in (None, "instance", "INSTANCE"):
        assert expected.startswith("OK: 15 files, ")
        assert "1 earlier exports extended, 4 timestamps checked" in expected
        assert "recorded no later than" in expected
        assert expected.endswith("records 9 to 9: not yet anchored (no authority vouches for them)")
    else:
        assert expected.startswith("FAILED: signed by key ")


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_changed_bundle_gets_the_same_verdict(made, checker, tmp_path, name):
    target = fresh_zip(made, tmp_path, MUTATIONS[name])
    expected = verify_py(target)
    assert verify_html(checker, target) == expected
    if name in MUST_FAIL:
        assert expected.startswith("FAILED: "), expected


def test_another_signer_is_refused_with_the_instances_key(made, checker, tmp_path):
    target = fresh_zip(made, tmp_path, MUTATIONS["re-signed with another key"])
    key = signing.current_key().fingerprint
    assert verify_py(target).startswith("OK: ")
    assert verify_html(checker, target).startswith("OK: ")
    expected = verify_py(target, key)
    assert expected.endswith(", not the key given with --key")
    assert verify_html(checker, target, key) == expected


def test_a_format_1_bundle_with_a_key_is_not_signed(made, checker, tmp_path):
    target = fresh_zip(made, tmp_path, MUTATIONS["a format 1 bundle without signature.json"])
    expected = verify_py(target, "ab12")
    assert expected == "FAILED: this bundle (format 1) is not signed"
    assert verify_html(checker, target, "ab12") == expected


def test_not_a_zip_is_named(checker, tmp_path):
    for number, data in enumerate([b"PK\3\4 not really", b"", b"x" * 70_000]):
        junk = tmp_path / f"junk-{number}.zip"
        junk.write_bytes(data)
        expected = verify_py(junk)
        assert expected.startswith(f"FAILED: {junk.name} is not a bundle's folder or zip")
        assert verify_html(checker, junk) == expected


def test_a_zip_written_by_info_zip_with_zip64_everywhere(made, checker, tmp_path):
    info_zip = shutil.which("zip")
    if info_zip is None:
        pytest.skip("Info-ZIP's zip is not installed")
    target = tmp_path / "info-zip.zip"
    subprocess.run([info_zip, "-q", "-r", "-fz", str(target), "."], cwd=made["folder"], check=True)
    # Its central directory gives the sizes in ZIP64 extra fields.
    with zipfile.ZipFile(target) as archive:
        assert all(1 in extra_fields(info.extra) for info in archive.infolist())
    expected = verify_py(target)
    assert expected.startswith("OK: ")
    assert verify_html(checker, target) == expected


def extra_fields(extra: bytes) -> list[int]:
    kinds, at = [], 0
    while at + 4 <= len(extra):
        kinds.append(int.from_bytes(extra[at : at + 2], "little"))
        at += 4 + int.from_bytes(extra[at + 2 : at + 4], "little")
    return kinds


def test_a_zip_that_ends_in_zip64_records(made, checker, tmp_path, monkeypatch):
    # zipfile writes the ZIP64 end of central directory past 65,535 members; so it writes
    # one for a bundle's few when told the limit is lower.
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
    target = fresh_zip(made, tmp_path, MUTATIONS["rezipped as it is"])
    assert b"PK\x06\x06" in target.read_bytes()[-200:]
    expected = verify_py(target)
    assert expected.startswith("OK: ")
    assert verify_html(checker, target) == expected
    planted = fresh_zip(made, tmp_path, MUTATIONS["a member added to the zip"])
    expected = verify_py(planted)
    assert expected == "FAILED: evidence/E009.jpg is in the bundle but not in manifest.json"
    assert verify_html(checker, planted) == expected


def test_an_unzipped_folder_gets_the_same_verdict(made, checker, tmp_path):
    folder = tmp_path / "unzipped"
    shutil.copytree(made["folder"], folder)
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    checker.fill("#key", "")
    checker.set_input_files("#folder", str(folder))
    line = checker.locator('#verdict[data-file="unzipped"]')
    line.wait_for(timeout=30_000)
    assert line.inner_text() == verify_py(folder)
    assert line.inner_text().startswith("OK: ")

    (folder / "notes.txt").write_text("planted")
    checker.locator("#result").evaluate("result => result.replaceChildren()")
    checker.set_input_files("#folder", str(folder))
    expected = verify_py(folder)
    assert expected == "FAILED: notes.txt is in the bundle but not in manifest.json"
    line.wait_for(timeout=30_000)
    assert line.inner_text() == expected


def test_the_page_explains_the_verdict_in_plain_words(made, checker, tmp_path):
    verify_html(checker, made["zip"])
    assert "This bundle is intact" in checker.locator("#result").inner_text()
    assert checker.locator("#too-old").is_hidden()  # the warning for browsers it cannot run in
    target = fresh_zip(made, tmp_path, MUTATIONS["a member missing"])
    verify_html(checker, target)
    words = checker.locator("#result").inner_text()
    assert "This bundle did not pass" in words
    assert "a file was added, removed or renamed" in words
    assert words.rstrip().endswith("FAILED: items.csv is missing")
    # Nothing on a phone-wide page is wider than the page.
    width = checker.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    # Labels, focus rings and (where `make e2e` installed it) axe-core's checks.
    assert a11y.check_page(checker, axe=a11y.AXE.exists()) == []


def test_large_member_is_hashed_as_a_stream(made, checker, tmp_path):
    """An original of 24 MB, stored, as a phone's video would be: hashed in slices."""
    big = os.urandom(24 * 1024 * 1024)

    def mutate(folder: Path) -> None:
        (folder / "evidence" / "E001.jpg").write_bytes(big)
        fix_up(folder, "evidence/E001.jpg")
        resign(folder)

    target = fresh_zip(made, tmp_path, mutate)
    expected = verify_py(target)
    assert expected == "FAILED: evidence/E001.jpg is not the file that was received"
    assert verify_html(checker, target) == expected


def test_the_mutation_campaign_gets_the_same_verdicts(
    diary_with_history,  # noqa: F811 (the campaign's own diary)
    checker,
    tmp_path,
):
    """Every change of tests/diary/tamper.py, to the campaign's own bundle: the two verifiers
    agree on each, word for word."""
    diary, _earlier = diary_with_history
    export = export_create(diary=diary, actor=diary.owner)
    download = tmp_path / "campaign.zip"
    with filestore.decrypted_copy(export.bundle_file.name, export.bundle_key) as handle:
        download.write_bytes(handle.read())
    assert verify_html(checker, download) == verify_py(download)
    original = tmp_path / "campaign"
    with zipfile.ZipFile(download) as archive:
        archive.extractall(original)
    differ = []
    mutations = tamper.bundle_mutations(original)
    for number, change in enumerate(mutations):
        folder = tmp_path / f"changed-{number}"
        shutil.copytree(original, folder)
        change.apply(folder)
        target = zipped(folder, tmp_path / f"changed-{number}.zip")
        expected, got = verify_py(target), verify_html(checker, target)
        if got != expected:
            differ.append(f"{change.name}:\n  verify.py:   {expected}\n  verify.html: {got}")
    assert differ == [], "\n".join(differ)
    assert len(mutations) > 20


@pytest.mark.usefixtures("server_check_removed")  # the server itself would refuse this bundle
def test_a_record_dated_after_its_token_gets_the_same_verdict(db, tsa, checker, tmp_path):
    """A record the authority saw a day before the time it claims: the server's clock was
    ahead, or the record was dated forward."""
    from diary.ledger.anchoring import anchor

    with override_settings(
        MEDIA_ROOT=tmp_path / "media",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TIMESTAMP_URLS=[tsa.url],
        TIMESTAMP_CA_CERTS=[str(tsa.ca_pem)],
    ):
        owner = OwnerFactory()
        make_entry(owner, what_happened="Written today")
        with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
            make_entry(owner, what_happened="Said to be written tomorrow")
        anchor(owner.diary)  # the authority's own clock: today
        export = export_create(diary=owner.diary, actor=owner)
        target = tmp_path / "forward.zip"
        with filestore.decrypted_copy(export.bundle_file.name, export.bundle_key) as handle:
            target.write_bytes(handle.read())
    expected = verify_py(target)
    assert expected.startswith("FAILED: ledger record 3 says it was written at ")
    assert verify_html(checker, target) == expected


def verify_html_with_copies(page: Page, target: Path, copies: dict[str, list[Any]]) -> str:
    page.locator("#copies").evaluate("details => { details.open = true; }")
    page.set_input_files("#earlier", [str(path) for path in copies.get("earlier", [])])
    page.set_input_files("#receipts", [str(path) for path in copies.get("receipt", [])])
    page.fill("#trusted", ", ".join(copies.get("trust-key", [])))
    try:
        return verify_html(page, target)
    finally:
        page.set_input_files("#earlier", [])
        page.set_input_files("#receipts", [])
        page.fill("#trusted", "")


def edited(path: Path, out: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    document = json.loads(path.read_text())
    change(document)
    out.write_text(json.dumps(document, indent=2))
    return out


def signed_by_another_key(path: Path, out: Path) -> tuple[Path, str]:
    other = Ed25519PrivateKey.generate()
    public = other.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    document = json.loads(path.read_text())
    document["key"] = {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(public).decode(),
        "fingerprint": hashlib.sha256(public).hexdigest(),
    }
    body = {name: value for name, value in document.items() if name != "signature"}
    document["signature"] = base64.b64encode(other.sign(canonical_json(body))).decode()
    out.write_text(json.dumps(document))
    return out, signing.grouped(document["key"]["fingerprint"])


COPIES = [
    "an earlier bundle",
    "a signed head",
    "a contact's receipt",
    "all three",
    "a signed head changed",
    "a signed head by another key",
    "a signed head by another key, trusted",
    "a signed head with a repeated key",
    "a receipt whose content was changed",
    "a signed head given as a receipt",
    "a later bundle given as the earlier one",
    "an earlier bundle that is not a zip",
    "a rewritten history, against an earlier bundle",
    "a rewritten history, against a signed head",
    "a rewritten history, against a receipt",
]


@pytest.mark.parametrize("case", COPIES)
def test_copies_held_by_others_get_the_same_verdict(made, checker, tmp_path, case):
    target = tmp_path / f"checked-{next(_names)}.zip"
    shutil.copy(made["zip"], target)
    earlier, head, receipt = made["earlier"], made["head"], made["receipt"]
    copies: dict[str, list[Any]] = {
        "an earlier bundle": {"earlier": [earlier]},
        "a signed head": {"earlier": [head]},
        "a contact's receipt": {"receipt": [receipt]},
        "all three": {"earlier": [earlier, head], "receipt": [receipt]},
    }.get(case, {})
    if case == "a signed head changed":
        changed = edited(head, tmp_path / "head-changed.json", lambda h: h.update(seq=1))
        copies = {"earlier": [changed]}
    elif case.startswith("a signed head by another key"):
        other, fingerprint = signed_by_another_key(head, tmp_path / "head-other.json")
        copies = {"earlier": [other]}
        if case.endswith("trusted"):
            copies["trust-key"] = [fingerprint]
    elif case == "a signed head with a repeated key":
        repeated = tmp_path / "head-repeated.json"
        repeated.write_text(head.read_text().replace('"seq": ', '"seq": 1, "seq": ', 1))
        copies = {"earlier": [repeated]}
    elif case == "a receipt whose content was changed":
        changed = edited(
            receipt, tmp_path / "receipt-changed.json", lambda r: r.update(content_sha256="0" * 64)
        )
        copies = {"receipt": [changed]}
    elif case == "a signed head given as a receipt":
        copies = {"receipt": [head]}
    elif case == "a later bundle given as the earlier one":
        shutil.copy(earlier, target)
        later = tmp_path / "later.zip"
        shutil.copy(made["zip"], later)
        copies = {"earlier": [later]}
    elif case == "an earlier bundle that is not a zip":
        junk = tmp_path / "old.zip"
        junk.write_bytes(b"PK not really")
        copies = {"earlier": [junk]}
    elif case.startswith("a rewritten history"):

        def rewrite(folder: Path) -> None:
            records = tamper._backdated(tamper.read_ledger(folder))
            tamper.rewritten(folder, records, keys=True, drop_timestamps=True)

        target = fresh_zip(made, tmp_path, rewrite)
        assert verify_py(target).startswith("OK: ")  # on its own, it holds together
        copies = {
            "a rewritten history, against an earlier bundle": {"earlier": [earlier]},
            "a rewritten history, against a signed head": {"earlier": [head]},
            "a rewritten history, against a receipt": {"receipt": [receipt]},
        }[case]
    expected = verify_py(target, copies=copies)
    assert verify_html_with_copies(checker, target, copies) == expected
    if case in ("an earlier bundle", "a signed head", "a contact's receipt", "all three"):
        assert expected.startswith("OK: ")
        assert "earlier copies;" in expected.splitlines()[0]
    elif case != "a signed head by another key, trusted":
        assert expected.startswith("FAILED: ")


def test_a_zip_dropped_on_the_page_is_checked(made, checker):
    data = base64.b64encode(made["zip"].read_bytes()).decode()
    checker.locator("#result").evaluate("result => result.replaceChildren()")
    checker.evaluate(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.zip", { type: "application/zip" }));
            const drop = new DragEvent("drop", { dataTransfer: transfer, bubbles: true });
            document.getElementById("drop").dispatchEvent(drop);
        }""",
        data,
    )
    line = checker.locator('#verdict[data-file="dropped.zip"]')
    line.wait_for(timeout=30_000)
    assert line.inner_text() == verify_py(made["zip"])


@pytest.mark.usefixtures("server_check_removed")  # the server itself would refuse these bundles
@pytest.mark.parametrize("case", ["an entry shown at an earlier version", "another time zone"])
def test_a_bundle_made_after_the_database_changed_gets_the_same_verdict(
    db, checker, tmp_path, case
):
    """What no one object holds (each entry's current version, the diary's time zone), changed
    in the database before a bundle is made: both verifiers refuse it, in the same words."""
    from diary.models import Diary, Entry, EntryVersion
    from diary.records.services import entry_amend

    with override_settings(
        MEDIA_ROOT=tmp_path / "media",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        owner = OwnerFactory()
        entry = make_entry(owner, what_happened="Car outside the house")
        amended = {**entry.current.content_values(), "location": "Elm Road"}
        entry_amend(entry=entry, actor=owner, content=amended)
        if case == "another time zone":
            Diary.objects.filter(pk=owner.diary.pk).update(time_zone="America/New_York")
        else:
            first = EntryVersion.objects.get(entry=entry, number=1)
            Entry.objects.filter(pk=entry.pk).update(current=first)
        diary = Diary.objects.get(pk=owner.diary.pk)
        export = export_create(diary=diary, actor=owner)
        target = tmp_path / "bundle.zip"
        with filestore.decrypted_copy(export.bundle_file.name, export.bundle_key) as handle:
            target.write_bytes(handle.read())
    expected = verify_py(target)
    assert expected.startswith("FAILED: "), expected
    assert verify_html(checker, target) == expected
