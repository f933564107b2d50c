"""A bundle is signed: editing the manifest and fixing up its hashes no longer passes, and the
offline verifier checks the Ed25519 signature with the standard library alone."""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from diary.bundle.offline import verify as offline
from diary.bundle.services import export_create, unzip_to
from diary.core import signing
from diary.core.hashing import canonical_json
from tests.factories import make_entry

pytestmark = pytest.mark.django_db


def run_verify(folder: Path, *args: str) -> subprocess.CompletedProcess:
    # -I: isolated, as the README tells an examiner to run it (no site packages, no cwd path).
    return subprocess.run(
        [sys.executable, "-I", str(folder / "verify.py"), str(folder), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def bundle(owner, tmp_path):
    make_entry(owner, what_happened="Car outside the house at 21:03")
    make_entry(owner, what_happened="Message from a new number")
    return unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")


def test_the_signature_checks_with_the_instances_public_key(bundle):
    signature = json.loads((bundle / "signature.json").read_text())
    manifest_bytes = (bundle / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    key = signing.current_key()
    assert manifest["format_version"] == 2
    assert manifest["signing_key"] == key.described()
    assert signature["fingerprint"] == key.fingerprint
    assert signature["manifest_sha256"] == hashlib.sha256(manifest_bytes).hexdigest()
    statement = {"format": signature["format"], "manifest_sha256": signature["manifest_sha256"]}
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(
        base64.b64decode(signature["signature"]), canonical_json(statement)
    )
    result = run_verify(bundle)
    assert result.returncode == 0, result.stdout
    assert f"signed by key {signing.grouped(key.fingerprint)}" in result.stdout
    assert run_verify(bundle, "--key", signing.grouped(key.fingerprint)).returncode == 0


def test_a_csv_changed_and_its_hash_fixed_up_in_the_manifest_fails(bundle):
    csv = bundle / "entries.csv"
    csv.write_bytes(csv.read_bytes().replace(b"21:03", b"23:03"))
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for item in manifest["files"]:
        if item["path"] == "entries.csv":
            item["sha256"] = hashlib.sha256(csv.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    result = run_verify(bundle)
    assert result.returncode == 1
    assert result.stdout == "FAILED: manifest.json has changed since it was signed\n"

    # Naming the new manifest in signature.json does not help without the key.
    signature_path = bundle / "signature.json"
    signature = json.loads(signature_path.read_text())
    signature["manifest_sha256"] = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    signature_path.write_text(json.dumps(signature))
    result = run_verify(bundle)
    assert result.stdout == "FAILED: the signature in signature.json is not valid\n"


def test_a_bundle_signed_again_with_another_key_is_refused_by_the_instances_fingerprint(bundle):
    other = Ed25519PrivateKey.generate()
    public = other.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    fingerprint = hashlib.sha256(public).hexdigest()
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["signing_key"] = {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(public).decode(),
        "fingerprint": fingerprint,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    statement = {
        "format": "sightline-signature/1",
        "manifest_sha256": hashlib.sha256(manifest_path.read_bytes()).hexdigest(),
    }
    (bundle / "signature.json").write_text(
        json.dumps(
            {
                **manifest["signing_key"],
                **statement,
                "signature": base64.b64encode(other.sign(canonical_json(statement))).decode(),
            }
        )
    )
    # Self-consistent, so it verifies, but names a key that is not the instance's ...
    result = run_verify(bundle)
    assert result.returncode == 0
    assert signing.grouped(fingerprint) in result.stdout
    # ... and an examiner who has the instance's fingerprint from elsewhere refuses it.
    refused = run_verify(bundle, "--key", signing.current_key().fingerprint)
    assert refused.returncode == 1
    assert "not the key given with --key" in refused.stdout


def test_a_bundle_without_its_signature_fails(bundle):
    (bundle / "signature.json").unlink()
    assert run_verify(bundle).stdout == "FAILED: signature.json is missing or cannot be read\n"


def test_the_standard_library_ed25519_agrees_with_cryptography():
    # RFC 8032, section 7.1, test 1 (the empty message).
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
        "701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert offline.ed25519_verify(public, b"", signature)
    assert not offline.ed25519_verify(public, b"x", signature)
    for _ in range(20):
        key = Ed25519PrivateKey.generate()
        raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        message = os.urandom(int.from_bytes(os.urandom(1), "big"))
        good = key.sign(message)
        assert offline.ed25519_verify(raw, message, good)
        bad = bytearray(good)
        bad[int.from_bytes(os.urandom(1), "big") % 64] ^= 1 << (os.urandom(1)[0] % 8)
        assert not offline.ed25519_verify(raw, message, bytes(bad))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_cover_names_the_signing_key_and_the_verifiers_hash(bundle):
    text = subprocess.run(
        [shutil.which("pdftotext") or "pdftotext", "-l", "1", str(bundle / "chronology.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    grouped = signing.grouped(signing.current_key().fingerprint)
    assert grouped.split()[0] in text
    flat = "".join(text.split())
    assert grouped.replace(" ", "") in flat
    assert hashlib.sha256((bundle / "verify.py").read_bytes()).hexdigest() in flat
