"""`rotate_keys`: everything written under one master key is brought under the next, in
batches, so the old key can leave the settings and everything still reads."""

import io
import os

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary.bundle.services import export_create, unzip_to
from diary.core.crypto import UnknownKeyError
from diary.models import Entry, EntryVersion
from diary.ops import rekey
from tests.conftest import confirmed
from tests.diary.test_export import run_verify
from tests.factories import OwnerFactory, make_entry
from tests.security.at_rest_data import SENTENCE, WORD, fill_diary, raw_key_ids, stored_plaintexts

pytestmark = pytest.mark.django_db


KEY_A, KEY_B, KEY_C = os.urandom(32), os.urandom(32), os.urandom(32)


@pytest.fixture
def owner(db, settings):
    """An owner with an empty diary (not the security suite's owner, who has an entry already
    written under the test key), made under key "a" (the diary's title is sealed too)."""
    settings.ENCRYPTION_KEYS = {"a": KEY_A}
    return OwnerFactory()


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_keys", stdout=out, stderr=out)
    return out.getvalue()


def read_everything() -> None:
    """Load every row of every model (opening each sealed value) and every stored file."""
    for model in apps.get_models():
        list(model._default_manager.all())
    assert stored_plaintexts()


def test_rotating_then_dropping_the_old_key_keeps_everything_readable(
    owner, owner_client, settings, tmp_path
):
    settings.ENCRYPTION_KEYS = {"a": KEY_A}
    filled = fill_diary(owner)
    assert raw_key_ids() == {"a"}

    settings.ENCRYPTION_KEYS = {"b": KEY_B, "a": KEY_A}
    output = rotate()
    assert "Re-encrypted 0 values" not in output
    # Two photos with previews on entries (one shared with the contact's file row, which
    # has its own copy of the wrapped key), the brief's photo, the bundle.
    assert "Re-wrapped 8 file keys" in output
    assert "Encrypted 0 files stored before encryption." in output
    assert "Everything is under the key 'b'" in output
    assert raw_key_ids() == {"b"}

    again = rotate()
    assert "Re-encrypted 0 values in 0 rows." in again
    assert "Re-wrapped 0 file keys." in again

    settings.ENCRYPTION_KEYS = {"b": KEY_B}
    # Session data sealed under the dropped key opens no more: everyone signs in again.
    owner_client.force_login(owner)
    confirmed(owner_client)
    read_everything()
    call_command("verify_ledger")  # exits 1 (SystemExit) on any problem
    entry_page = owner_client.get(reverse("diary:entry", args=[filled.entry.pk]))
    assert SENTENCE in entry_page.content.decode()
    assert (
        owner_client.get("/api/entries/", {"q": WORD}).json()["count"] == 3
    )  # two, and one sent by the API
    filled.export.refresh_from_db()  # its wrapped key changed
    assert run_verify(unzip_to(filled.export, tmp_path / "old")).returncode == 0
    newer = export_create(diary=owner.diary, actor=owner)
    result = run_verify(unzip_to(newer, tmp_path / "new"))
    assert result.returncode == 0, result.stdout


def test_dropping_a_key_before_rotating_is_a_clear_error(owner, settings):
    settings.ENCRYPTION_KEYS = {"a": KEY_A}
    entry = make_entry(owner, what_happened=SENTENCE)
    settings.ENCRYPTION_KEYS = {"b": KEY_B}
    with pytest.raises(UnknownKeyError, match="the key 'a', which is not in ENCRYPTION_KEYS"):
        EntryVersion.objects.get(pk=entry.current_id)
    with pytest.raises(CommandError, match="the key 'a', which is not in ENCRYPTION_KEYS"):
        rotate()


def test_rotating_costs_the_same_queries_however_many_rows(owner, settings):
    settings.ENCRYPTION_KEYS = {"a": KEY_A}
    for n in range(3):
        make_entry(owner, what_happened=f"Entry {n}")
    settings.ENCRYPTION_KEYS = {"b": KEY_B, "a": KEY_A}
    with CaptureQueriesContext(connection) as few:
        rekey.reseal(EntryVersion, rekey.Report())

    for n in range(40):
        make_entry(owner, what_happened=f"More {n}")
    settings.ENCRYPTION_KEYS = {"c": KEY_C, "b": KEY_B, "a": KEY_A}
    report = rekey.Report()
    with CaptureQueriesContext(connection) as many:
        rekey.reseal(EntryVersion, report)
    assert report.rows["diary.entryversion"] == 43
    assert len(many.captured_queries) == len(few.captured_queries)


def test_reindex_rebuilds_search_after_the_index_key_changes(owner, owner_client, settings):
    make_entry(owner, what_happened=SENTENCE)
    settings.SEARCH_INDEX_KEY = os.urandom(32)
    # Stored session keys are keyed hashes under this key: a new key signs everyone out.
    owner_client.force_login(owner)
    confirmed(owner_client)
    assert owner_client.get("/api/entries/", {"q": WORD}).json()["count"] == 0
    out = io.StringIO()
    call_command("rotate_keys", "--reindex", stdout=out)
    assert "Rebuilt the search index of 1 rows (diary.entryversion 1)." in out.getvalue()
    assert owner_client.get("/api/entries/", {"q": WORD}).json()["count"] == 1
    assert Entry.objects.count() == 1
