"""Someone who copies the database file and the media folder learns nothing written in the diary:
every free-text value and every stored file is encrypted, while the owner's pages, search,
exports and the ledger work as before."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from diary.bundle.services import unzip_to
from diary.core import crypto, filestore
from diary.ledger.verify import ledger_verify
from diary.models import Evidence
from tests.factories import OwnerFactory, make_entry
from tests.security.at_rest_data import (
    IMAGE_MARKER,
    OTHER_WORD,
    SENTENCE,
    WORD,
    fill_diary,
    media_files,
    stored_plaintexts,
)


@pytest.fixture
def owner(db):
    """An owner with an empty diary (not the security suite's owner, who has an entry already
    written under the test key)."""
    return OwnerFactory()


LEAKS = [text.encode() for text in (SENTENCE, WORD, OTHER_WORD)]
LEAKS += [text.lower().encode() for text in (WORD, OTHER_WORD)]


def raw_database_values() -> list[bytes]:
    """Every value of every row of every table, as the database holds it."""
    values: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        values.append(bytes(value))
                    elif value is not None:
                        values.append(str(value).encode())
    return values


def database_file() -> bytes:
    """The SQLite database exactly as it would be written to disk, free pages included."""
    return connection.connection.serialize()


def slices(data: bytes, count: int = 8, size: int = 24) -> list[bytes]:
    step = max(1, (len(data) - size) // count)
    return [data[start : start + size] for start in range(0, len(data) - size, step)][:count]


@pytest.mark.django_db(transaction=True)
def test_the_database_and_the_media_folder_hold_no_plaintext(owner):
    filled = fill_diary(owner)

    raw = raw_database_values()
    for leak in LEAKS:
        assert not [value for value in raw if leak in value], leak
    if connection.vendor == "sqlite":
        image = database_file()
        for leak in LEAKS:
            assert leak not in image, leak
        assert IMAGE_MARKER not in image

    files = media_files()
    # The owner's photo and the contact's (shared with the entry it became), each with its
    # preview; the brief's photo; the bundle.
    assert len(files) == 6
    image_parts = [IMAGE_MARKER, *slices(filled.image)]
    for plain in stored_plaintexts():
        image_parts += slices(plain)
    for path in files:
        data = path.read_bytes()
        assert data.startswith(filestore.MAGIC), path
        for leak in [*LEAKS, *image_parts]:
            assert leak not in data, (path, leak)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_zeroes_what_it_overwrites():
    # Some builds of SQLite do this by default (Debian's does); settings ask for it anyway.
    assert "PRAGMA secure_delete=ON" in connection.settings_dict["OPTIONS"]["init_command"]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_postgresql_columns_hold_ciphertext(owner):
    fill_diary(owner)
    with connection.cursor() as cursor:
        cursor.execute("SELECT what_happened, location FROM diary_entryversion")
        rows = cursor.fetchall()
    values = [value for row in rows for value in row]
    assert all(crypto.is_sealed(value) for value in values if value)
    assert sum(crypto.is_sealed(value) for value in values) > len(rows)  # not all blank


@pytest.mark.django_db
def test_everything_reads_back_through_the_pages(owner, owner_client):
    filled = fill_diary(owner)
    entry_page = owner_client.get(reverse("diary:entry", args=[filled.entry.pk]))
    assert SENTENCE in entry_page.content.decode()
    assert "51.501364" in entry_page.content.decode()
    accepted = owner_client.get(reverse("diary:entry", args=[filled.accepted.pk]))
    assert f"{WORD} Smith (neighbour)" in accepted.content.decode()
    inbox = owner_client.get(reverse("witnesses:submission", args=[filled.submission.pk]))
    assert SENTENCE in inbox.content.decode()
    assert f"{WORD} Smith" in owner_client.get(reverse("witnesses:contacts")).content.decode()
    assert SENTENCE in owner_client.get(reverse("witnesses:brief")).content.decode()
    places = owner_client.get(reverse("diary:patterns")).content.decode()
    assert f"{WORD} Lane" in places
    evidence = Evidence.objects.filter(entry=filled.entry).get()
    download = owner_client.get(reverse("diary:evidence_original", args=[evidence.pk]))
    assert b"".join(download.streaming_content) == filled.image
    assert download["Content-Length"] == str(len(filled.image))
    preview = owner_client.get(reverse("diary:evidence_preview", args=[evidence.pk]))
    assert b"".join(preview.streaming_content).startswith(b"\xff\xd8")  # a JPEG


@pytest.mark.django_db
def test_the_bundle_is_plain_inside_and_still_verifies(owner, tmp_path):
    filled = fill_diary(owner)
    folder = unzip_to(filled.export, tmp_path / "bundle")
    result = subprocess.run(
        [sys.executable, str(folder / "verify.py")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    paths = [o["path"] for o in manifest["objects"] if o.get("path")]
    assert [(folder / path).read_bytes() for path in paths] == [filled.image, filled.image]
    assert SENTENCE in (folder / "entries.csv").read_text(encoding="utf-8-sig")
    assert ledger_verify().ok
    with pytest.raises(zipfile.BadZipFile):  # what is stored is not a zip anyone can open
        zipfile.ZipFile(Path(settings.MEDIA_ROOT) / filled.export.bundle.name)


@pytest.mark.django_db
def test_search_finds_whole_words_and_their_beginnings(owner, owner_client):
    make_entry(owner, what_happened=SENTENCE, location="Elm Road")
    make_entry(owner, what_happened="Phone call at night", words_used="You can't hide.")
    timeline = reverse("diary:timeline")

    def found(query: str) -> bool:
        return OTHER_WORD in owner_client.get(timeline, {"q": query}).content.decode()

    assert found(WORD) and found(WORD.upper()) and found("quok") and found("elm")
    assert found(f"midnight {WORD.lower()}")  # every word, in any order, in any field
    assert not found("quokkabridges") and not found("qu") and not found("midnight phone")
    assert not found("night")  # the middle of a word is not its beginning
    body = owner_client.get("/api/entries/", {"q": "hide"}).json()
    assert [e["latest"]["what_happened"] for e in body["results"]] == ["Phone call at night"]


@pytest.mark.django_db
def test_search_only_reads_the_latest_version(owner, owner_client):
    from diary.records import services

    entry = make_entry(owner, what_happened="A red van.")
    services.entry_amend(
        entry=entry,
        actor=owner,
        content={**entry.current.content_values(), "what_happened": "A car."},
    )
    assert owner_client.get("/api/entries/", {"q": "car"}).json()["count"] == 1
    assert owner_client.get("/api/entries/", {"q": "van"}).json()["count"] == 0


@pytest.mark.django_db
def test_the_timeline_opens_each_value_once_and_unwraps_no_file_key(owner, owner_client):
    for n in range(12):
        make_entry(owner, what_happened=f"Entry {n}", location="Elm Road")
    opened, unwrapped = mock.Mock(wraps=crypto.open_text), mock.Mock(wraps=crypto.unwrap_file_key)
    with (
        mock.patch.object(crypto, "open_text", opened),
        mock.patch.object(crypto, "unwrap_file_key", unwrapped),
    ):
        page = owner_client.get(reverse("diary:timeline"))
    assert page.status_code == 200
    # what_happened and location of each current version: blank fields cost nothing.
    # And the session's own sealed data, the diary's title and the title it was made with
    # (which its ledger content holds), once each.
    assert opened.call_count == 12 * 2 + 3
    assert unwrapped.call_count == 0
