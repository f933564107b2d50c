"""The instance's signing key: Ed25519 over canonical JSON, checkable by anyone with its
public key, and refusing any change to what it signed."""

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import override_settings

from diary.core import signing
from diary.core.hashing import canonical_json
from tests.conftest import TEST_SIGNING_KEY


def test_a_signed_document_checks_with_the_published_public_key_alone():
    document = signing.signed({"seq": 3, "hash": "ab" * 32})
    body = {k: v for k, v in document.items() if k != "signature"}
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["key"]["public_key"]))
    public.verify(base64.b64decode(document["signature"]), canonical_json(body))
    assert document["key"]["fingerprint"] == signing.fingerprint_of(
        base64.b64decode(document["key"]["public_key"])
    )
    assert signing.verify_signed(document)


def test_any_change_to_a_signed_document_is_refused():
    document = signing.signed({"seq": 3, "hash": "ab" * 32})
    assert not signing.verify_signed({**document, "seq": 4})
    assert not signing.verify_signed({k: v for k, v in document.items() if k != "signature"})
    assert not signing.verify_signed({**document, "signature": "not base64!"})


def test_after_rotation_the_new_key_signs_and_the_old_one_still_checks():
    old = signing.signed({"seq": 1})
    new_seed = bytes(range(100, 132))
    with override_settings(SIGNING_KEYS={"s2": new_seed, "s-test": TEST_SIGNING_KEY}):
        assert signing.current_key().key_id == "s2"
        assert signing.verify_signed(old)
        new = signing.signed({"seq": 2})
        assert new["key"]["fingerprint"] != old["key"]["fingerprint"]
        assert [key.key_id for key in signing.published_keys()] == ["s2", "s-test"]
    assert not signing.verify_signed(new)  # a key this instance never had


def test_fingerprints_read_in_groups_of_four():
    assert signing.grouped("ab12cd34ef56") == "ab12 cd34 ef56"


def test_the_command_prints_each_keys_fingerprint():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("signing_key", stdout=out)
    key = signing.current_key()
    assert out.getvalue() == f"s-test: {signing.grouped(key.fingerprint)}  (signs now)\n"
