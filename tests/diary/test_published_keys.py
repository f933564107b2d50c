"""The instance's keys published for anyone (/.well-known/sightline/signing-keys.json), with the
record of each key following another, signed by both; and /verify/, which offers the checker
with its SHA-256, the same bytes every bundle carries."""

import base64
import hashlib
import json
import re
import zipfile

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import override_settings
from django.urls import reverse

from diary.bundle.services import export_create
from diary.core import filestore, signing
from diary.core.hashing import canonical_json
from diary.ledger.keys import forget_on_record, signed
from diary.models import KeyRotation
from tests.conftest import TEST_SIGNING_KEY
from tests.factories import make_entry

pytestmark = pytest.mark.django_db

NEW_SEED = bytes(range(100, 132))
ROTATED = {"s2": NEW_SEED, "s-test": TEST_SIGNING_KEY}


@pytest.fixture(autouse=True)
def _fresh_process():
    forget_on_record()  # each test's database starts without the rotations of the last
    yield
    forget_on_record()


def checks(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    try:
        public.verify(base64.b64decode(signature_b64), message)
    except InvalidSignature:
        return False
    return True


def test_the_keys_are_published_to_anyone_without_signing_in(anon_client):
    response = anon_client.get("/.well-known/sightline/signing-keys.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = response.json()
    key = signing.current_key()
    assert document["format"] == "sightline-signing-keys/1"
    assert document["keys"] == [
        {
            "id": "s-test",
            "algorithm": "Ed25519",
            "public_key": base64.b64encode(key.public_key).decode(),
            "fingerprint": hashlib.sha256(key.public_key).hexdigest(),
            "signs_now": True,
        }
    ]
    assert document["rotations"] == []
    assert KeyRotation.objects.count() == 0


def test_a_new_key_is_recorded_once_as_following_the_old_signed_by_both(anon_client):
    old = signing.current_key()
    with override_settings(SIGNING_KEYS=ROTATED):
        new = signing.current_key()
        signed({"seq": 1})  # the first signature with the new key
        signed({"seq": 2})
        document = anon_client.get(reverse("signing_keys")).json()
    assert KeyRotation.objects.count() == 1
    [rotation] = document["rotations"]
    statement = rotation["statement"]
    assert statement["format"] == "sightline-key-rotation/1"
    assert statement["old_key"]["fingerprint"] == old.fingerprint
    assert statement["new_key"]["fingerprint"] == new.fingerprint
    row = KeyRotation.objects.get()
    assert statement["from"] == row.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    message = canonical_json(statement)
    # Someone holding only the old key's fingerprint checks it with that key, then the new.
    assert checks(statement["old_key"]["public_key"], message, rotation["old_signature"])
    assert checks(statement["new_key"]["public_key"], message, rotation["new_signature"])
    assert not checks(statement["old_key"]["public_key"], message, rotation["new_signature"])
    changed = canonical_json({**statement, "from": "2020-01-01T00:00:00.000000Z"})
    assert not checks(statement["old_key"]["public_key"], changed, rotation["old_signature"])
    assert [key["fingerprint"] for key in document["keys"]] == [new.fingerprint, old.fingerprint]
    assert [key["signs_now"] for key in document["keys"]] == [True, False]


def test_a_bundle_signed_by_a_new_key_records_the_rotation_first(owner):
    make_entry(owner)
    with override_settings(SIGNING_KEYS=ROTATED):
        export_create(diary=owner.diary, actor=owner)
        export_create(diary=owner.diary, actor=owner)
    assert KeyRotation.objects.count() == 1


def test_two_rotations_make_a_chain_from_the_first_key_to_the_current(anon_client):
    third = bytes(range(140, 172))
    with override_settings(SIGNING_KEYS={"s3": third, **ROTATED}):
        document = anon_client.get(reverse("signing_keys")).json()
    chain = [
        (r["statement"]["old_key"]["fingerprint"], r["statement"]["new_key"]["fingerprint"])
        for r in document["rotations"]
    ]
    fingerprints = [key["fingerprint"] for key in document["keys"]]
    assert chain == [(fingerprints[2], fingerprints[1]), (fingerprints[1], fingerprints[0])]


def test_the_verify_page_offers_the_checker_the_bundle_carries(owner, anon_client, tmp_path):
    make_entry(owner)
    export = export_create(diary=owner.diary, actor=owner)
    with (
        filestore.decrypted_copy(export.bundle_file.name, export.bundle_key) as handle,
        zipfile.ZipFile(handle) as archive,
    ):
        carried = archive.read("verify.py")
    page = anon_client.get(reverse("verify"))
    assert page.status_code == 200
    html = page.content.decode()
    shown = re.search(r'data-sha256-of="verify.py">([0-9a-f]{64})<', html).group(1)
    assert shown == hashlib.sha256(carried).hexdigest()
    download = anon_client.get(reverse("verifier", args=["verify.py"]))
    assert download.status_code == 200
    assert download.content == carried
    assert download["Content-Disposition"] == 'attachment; filename="verify.py"'
    key = signing.current_key()
    assert signing.grouped(key.fingerprint) in html
    assert re.search(r"data-key>((?:[0-9a-f]{4} ){15}[0-9a-f]{4})<", html)
    assert "--earlier" in html and "--receipt" in html


def test_the_verify_page_offers_verify_html_only_when_there_is_one(anon_client):
    from diary.bundle.writer import BUNDLE_FILES

    html = anon_client.get(reverse("verify")).content.decode()
    assert ('data-sha256-of="verify.html"' in html) == (BUNDLE_FILES / "verify.html").is_file()
    assert anon_client.get(reverse("verifier", args=["manifest.json"])).status_code == 404
    assert anon_client.get(reverse("verifier", args=["..%2Fwriter.py"])).status_code == 404


def test_the_export_page_links_to_the_verify_page(owner_client):
    html = owner_client.get(reverse("diary:exports")).content.decode()
    assert f'href="{reverse("verify")}"' in html


def test_the_keys_document_is_json_anyone_can_parse_again(anon_client):
    body = anon_client.get(reverse("signing_keys")).content
    assert json.loads(body)["keys"][0]["algorithm"] == "Ed25519"


def test_once_a_rotation_is_on_record_signing_asks_the_database_nothing(django_assert_num_queries):
    with override_settings(SIGNING_KEYS=ROTATED):
        signed({"seq": 1})
        with django_assert_num_queries(0):
            signed({"seq": 2})
            signed({"seq": 3})
    assert KeyRotation.objects.count() == 1
