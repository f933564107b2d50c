"""The ciphers under encryption at rest: sealed values, segmented files, keys from settings."""

import base64
import hashlib
import io
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from django.core.exceptions import FieldError
from django.core.files.storage import default_storage
from hypothesis import given
from hypothesis import strategies as st

from diary.core import crypto, filestore
from diary.core.crypto import DecryptionError, UnknownKeyError
from diary.core.filestore import HEADER, SEGMENT, FileIntegrityError
from diary.core.sealed import TAG
from diary.models import EntryVersion
from tests.conftest import TEST_KEY, TEST_KEY_ID, key_text

ROOT = Path(__file__).resolve().parent.parent.parent
CONTEXT = b"diary_entryversion.what_happened"


def flip(token: str, position: int) -> str:
    """The same sealed value with one byte of its ciphertext changed."""
    prefix, key_id, body = token.split(":")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[position] ^= 0x01
    return f"{prefix}:{key_id}:{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"


# Sealed values


def test_a_value_opens_to_what_was_sealed_and_names_its_key():
    token = crypto.seal_text("He said: “I know where you live.”", CONTEXT)
    assert token.startswith(f"enc1:{TEST_KEY_ID}:")
    assert "know" not in token
    assert crypto.open_text(token, CONTEXT) == "He said: “I know where you live.”"


def test_the_same_text_seals_differently_each_time():
    assert crypto.seal_text("same", CONTEXT) != crypto.seal_text("same", CONTEXT)


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1])
def test_one_changed_byte_is_refused(position):
    token = crypto.seal_text("Parked outside at 11pm.", CONTEXT)
    with pytest.raises(DecryptionError, match="changed or is damaged"):
        crypto.open_text(flip(token, position), CONTEXT)


def test_a_cut_short_value_is_refused():
    token = crypto.seal_text("Parked outside at 11pm.", CONTEXT)
    with pytest.raises(DecryptionError):
        crypto.open_text(token[:-4], CONTEXT)


def test_a_value_moved_to_another_column_is_refused():
    token = crypto.seal_text("Parked outside at 11pm.", CONTEXT)
    with pytest.raises(DecryptionError):
        crypto.open_text(token, b"diary_entryversion.impact")


def test_an_unknown_key_id_is_a_clear_error(settings):
    token = crypto.seal_text("Parked outside.", CONTEXT)
    settings.ENCRYPTION_KEYS = {"k2": os.urandom(32)}
    with pytest.raises(UnknownKeyError) as error:
        crypto.open_text(token, CONTEXT)
    assert f"the key '{TEST_KEY_ID}', which is not in ENCRYPTION_KEYS" in str(error.value)
    assert "rotate_keys" in str(error.value)


def test_plain_text_is_not_taken_for_a_sealed_value():
    with pytest.raises(DecryptionError, match="not encrypted"):
        crypto.open_text("just words", CONTEXT)


def test_the_first_key_seals_and_the_others_still_open(settings):
    old = crypto.seal_text("Before the change.", CONTEXT)
    settings.ENCRYPTION_KEYS = {"k2": os.urandom(32), TEST_KEY_ID: TEST_KEY}
    new = crypto.seal_text("After the change.", CONTEXT)
    assert crypto.key_id_of(new) == "k2" and crypto.is_current(new)
    assert not crypto.is_current(old)
    assert crypto.open_text(old, CONTEXT) == "Before the change."


def test_a_wrapped_file_key_rewraps_under_the_current_key(settings):
    raw = crypto.new_file_key()
    wrapped = crypto.wrap_file_key(raw)
    settings.ENCRYPTION_KEYS = {"k2": os.urandom(32), TEST_KEY_ID: TEST_KEY}
    rewrapped = crypto.rewrap_file_key(wrapped)
    assert crypto.key_id_of(rewrapped) == "k2"
    settings.ENCRYPTION_KEYS = {"k2": settings.ENCRYPTION_KEYS["k2"]}
    assert crypto.unwrap_file_key(rewrapped) == raw
    with pytest.raises(UnknownKeyError):
        crypto.unwrap_file_key(wrapped)


# The blind index


def test_search_tokens_match_whole_words_and_prefixes_of_three_letters_or_more():
    index = crypto.index_value(["She was harassed at the Café on Elm Rd."], "1")
    for query in ("harassed", "HARASS", "har", "cafe", "café", "elm rd", "Rd"):
        assert all(token in index for token in crypto.query_tokens(query, "1")), query
    for query in ("ha", "arassed", "harassedly", "library"):
        assert not all(token in index for token in crypto.query_tokens(query, "1")), query


def test_search_tokens_say_nothing_of_the_words_and_differ_between_diaries():
    index = crypto.index_value(["harassed"], "1")
    assert "har" not in index
    assert crypto.query_tokens("harassed", "1") != crypto.query_tokens("harassed", "2")


def test_the_search_index_key_is_separate_from_the_encryption_keys(settings):
    before = crypto.query_tokens("car", "1")
    settings.ENCRYPTION_KEYS = {"k2": os.urandom(32)}
    assert crypto.query_tokens("car", "1") == before
    settings.SEARCH_INDEX_KEY = os.urandom(32)
    assert crypto.query_tokens("car", "1") != before


@pytest.mark.django_db
def test_the_database_is_never_asked_to_compare_ciphertext():
    with pytest.raises(FieldError, match="location is encrypted"):
        list(EntryVersion.objects.filter(location="Elm Rd"))
    assert list(EntryVersion.objects.filter(location="")) == []


# Files


def stored(data: bytes) -> filestore.Stored:
    return filestore.save("test/file.enc", io.BytesIO(data))


def raw_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def write_raw(name: str, data: bytes) -> None:
    Path(default_storage.path(name)).write_bytes(data)


def read(kept: filestore.Stored) -> bytes:
    with filestore.open(kept.name, kept.key) as handle:
        return handle.read()


@pytest.mark.parametrize(
    "size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 3 * SEGMENT + 5]
)
def test_a_file_reads_back_exactly_with_the_hash_of_its_plaintext(size):
    data = os.urandom(size)
    kept = stored(data)
    assert read(kept) == data
    assert kept.size == size
    assert kept.sha256 == hashlib.sha256(data).hexdigest()
    segments = max(1, -(-size // SEGMENT))
    assert len(raw_bytes(kept.name)) == len(HEADER) + size + segments * TAG


def test_a_stored_file_holds_no_plaintext():
    data = b"Photo of the grey Ford outside number 12. " * 4000
    kept = stored(data)
    assert b"grey Ford" not in raw_bytes(kept.name)
    assert raw_bytes(kept.name).startswith(filestore.MAGIC)


@pytest.mark.parametrize("position", [len(HEADER) + 3, len(HEADER) + SEGMENT + TAG + 7, -1, 7])
def test_one_changed_byte_in_a_file_is_refused(position):
    kept = stored(os.urandom(2 * SEGMENT + 100))
    data = bytearray(raw_bytes(kept.name))
    data[position] ^= 0x01
    write_raw(kept.name, bytes(data))
    with pytest.raises(FileIntegrityError):
        read(kept)


@pytest.mark.parametrize(
    "cut",
    [
        50,  # into the last segment
        TAG + 100,  # exactly the last segment: the one before it is not marked final
        TAG + 100 + SEGMENT + TAG,  # two whole segments
        1,
    ],
)
def test_a_cut_short_file_is_refused(cut):
    kept = stored(os.urandom(2 * SEGMENT + 100))
    write_raw(kept.name, raw_bytes(kept.name)[:-cut])
    with pytest.raises(FileIntegrityError):
        read(kept)


def test_reordered_or_extra_segments_are_refused():
    kept = stored(os.urandom(3 * SEGMENT))
    data = raw_bytes(kept.name)
    size = SEGMENT + TAG
    head, segments = data[: len(HEADER)], data[len(HEADER) :]
    first, second, third = segments[:size], segments[size : 2 * size], segments[2 * size :]
    for changed in (head + second + first + third, head + first + second + third + third):
        write_raw(kept.name, changed)
        with pytest.raises(FileIntegrityError):
            read(kept)


def test_a_file_under_a_key_no_longer_held_is_a_clear_error(settings):
    kept = stored(b"photo")
    settings.ENCRYPTION_KEYS = {"k2": os.urandom(32)}
    with pytest.raises(UnknownKeyError, match="not in ENCRYPTION_KEYS"):
        read(kept)


def test_a_file_with_another_files_key_is_refused():
    one, other = stored(b"first photo"), stored(b"second photo")
    with pytest.raises(FileIntegrityError), filestore.open(one.name, other.key) as handle:
        handle.read()


def test_a_streamed_file_reads_back_whatever_the_sizes_of_the_writes():
    data = os.urandom(2 * SEGMENT + 10)
    with filestore.create("test/streamed.enc") as out:
        for start in range(0, len(data), 10_000):
            out.write(data[start : start + 10_000])
    assert out.stored.size == len(data)
    assert out.stored.sha256 == hashlib.sha256(data).hexdigest()
    assert read(out.stored) == data


def test_nothing_is_stored_when_a_streamed_write_fails(settings):
    with pytest.raises(RuntimeError), filestore.create("test/failed.enc") as out:
        out.write(b"half a bundle")
        raise RuntimeError
    assert not (settings.MEDIA_ROOT / "test").exists()


def test_large_files_go_through_in_segments_not_whole(tmp_path):
    size = 12 * 1024 * 1024
    source = tmp_path / "video.mp4"
    with source.open("wb") as handle:
        for _ in range(size // SEGMENT):
            handle.write(os.urandom(SEGMENT))
    tracemalloc.start()
    try:
        with source.open("rb") as handle:
            kept = filestore.save("test/large.enc", handle)
        _now, saving = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        for chunk in filestore.chunks(kept.name, kept.key):
            digest.update(chunk)
        _now, reading = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with filestore.create("test/large-bundle.enc") as out, source.open("rb") as handle:
            while block := handle.read(SEGMENT // 3):
                out.write(block)
        _now, streaming = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.hexdigest() == kept.sha256
    assert out.stored.sha256 == kept.sha256
    # A few segments and a copy buffer at most, for a file of twelve megabytes.
    assert max(saving, reading, streaming) < 2 * 1024 * 1024, (saving, reading, streaming)


# Keys from settings


def settings_error(**env: str) -> str:
    """Import the settings in a fresh interpreter with `env`; return stderr or ''."""
    result = subprocess.run(
        [sys.executable, "-c", "import project.settings"],
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stderr


GOOD = f"k1:{key_text(os.urandom(32))}"


def test_the_app_starts_with_well_formed_keys():
    assert settings_error(ENCRYPTION_KEYS=GOOD) == ""
    url_safe = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    assert settings_error(ENCRYPTION_KEYS=f"k2:{url_safe}, {GOOD}") == ""


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENCRYPTION_KEYS": ""}, "ENCRYPTION_KEYS is not set"),
        ({"SEARCH_INDEX_KEY": ""}, "SEARCH_INDEX_KEY is not set"),
        ({"ENCRYPTION_KEYS": key_text(os.urandom(32))}, "key 1 must be written id:base64key"),
        ({"ENCRYPTION_KEYS": f"{GOOD},bad id:{key_text(os.urandom(32))}"}, "key 2 must be"),
        ({"ENCRYPTION_KEYS": f"k1:{key_text(os.urandom(16))}"}, "must be 32 random bytes"),
        ({"ENCRYPTION_KEYS": "k1:not base64!"}, "must be 32 random bytes"),
        ({"ENCRYPTION_KEYS": f"{GOOD},{GOOD}"}, "the id 'k1' is used twice"),
        ({"SEARCH_INDEX_KEY": "short"}, "SEARCH_INDEX_KEY: the key must be 32 random bytes"),
        ({"SEARCH_INDEX_KEY": GOOD.partition(":")[2]}, "must differ from every key"),
        ({"SIGNING_KEYS": ""}, "SIGNING_KEYS is not set"),
        ({"SIGNING_KEYS": "s1:short"}, "SIGNING_KEYS: the key 's1' must be 32 random bytes"),
        ({"SIGNING_KEYS": GOOD}, "SIGNING_KEYS must differ from every other key"),
    ],
)
def test_missing_or_malformed_keys_stop_the_app_with_a_clear_error(env, message):
    stderr = settings_error(**{"ENCRYPTION_KEYS": GOOD, **env})
    assert "ImproperlyConfigured" in stderr
    assert message in stderr
    assert GOOD.partition(":")[2] not in stderr  # a key is never printed


@given(st.binary(max_size=200))
def test_sealed_bodies_decode_as_the_standard_urlsafe_decoder_does(raw):
    text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert crypto._unb64(text) == base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)) == raw
