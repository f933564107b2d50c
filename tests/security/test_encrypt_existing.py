"""A database made before encryption at rest (plain text in its columns, plain files with no
key): the data migrations encrypt it all, and everything still reads and verifies."""

import importlib
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from diary.core import filestore
from diary.evidence.intake import STORED_SUFFIX
from diary.ledger.verify import ledger_verify
from diary.models import Evidence, Export
from diary.ops import rekey
from tests.conftest import TEST_KEY_ID
from tests.factories import OwnerFactory
from tests.security.at_rest_data import SENTENCE, WORD, fill_diary, media_files, raw_key_ids
from witnesses.models import SubmissionFile

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    """An owner with an empty diary (not the security suite's owner, who has an entry already
    written under the test key)."""
    return OwnerFactory()


MIGRATIONS = (
    "diary.migrations.0006_encrypt_existing_rows_and_files",
    "witnesses.migrations.0003_encrypt_existing_rows_and_files",
)


def update_raw(model, pk, **columns) -> None:
    """Write columns as stored, past the fields (which would encrypt them)."""
    quoted = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {quoted} WHERE id = %s",  # noqa: S608
            [*columns.values(), pk],
        )


def as_before_encryption() -> None:
    """Turn every row and file back into what an earlier version of Sightline stored: plain
    text in the columns, and plain files under names with their real extension and no key.
    A file shared by two rows (a contact's photo and the evidence it became) stays shared."""
    plain_names: dict[str, str] = {}
    # Only the tables that were there before encryption came in (those the migrations turn);
    # tables made since never held plain text.
    for model in models_before_encryption():
        fields = rekey.encrypted_fields(model)
        pairs = rekey.file_pairs(model)
        indexes = [f for f in model._meta.concrete_fields if f.name == "search_index"]
        for obj in model._default_manager.all():
            columns = {f.column: f.to_text(getattr(obj, f.attname)) for f in fields}
            columns.update({f.column: "" for f in indexes})
            for file_field, key_field in pairs:
                ref = filestore.Ref(
                    getattr(obj, file_field.attname).name, getattr(obj, key_field.attname)
                )
                if not ref:
                    continue
                if ref.name not in plain_names:
                    plain = ref.name.removesuffix(STORED_SUFFIX) + ".jpg"
                    with ref.open() as handle:
                        default_storage.save(plain, handle)
                    default_storage.delete(ref.name)
                    plain_names[ref.name] = plain
                columns[file_field.column] = plain_names[ref.name]
                columns[key_field.column] = ""
            if columns:
                update_raw(model, obj.pk, **columns)


def models_before_encryption() -> list:
    modules = [importlib.import_module(module) for module in MIGRATIONS]
    return [
        apps.get_model(module.__name__.split(".")[0], name)
        for module in modules
        for name in module.MODELS
    ]


def run_data_migrations() -> None:
    for module in MIGRATIONS:
        importlib.import_module(module).encrypt_existing(apps, None)


@pytest.mark.django_db(transaction=True)
def test_the_migrations_encrypt_rows_and_files_written_before(owner, owner_client):
    filled = fill_diary(owner)
    as_before_encryption()
    plain_files = media_files()
    assert all(not path.read_bytes().startswith(filestore.MAGIC) for path in plain_files)
    assert owner_client.get("/api/entries/", {"q": WORD}).json()["count"] == 0  # no index yet

    run_data_migrations()

    # Every value sealed and every file key wrapped (by the current key); the plain files
    # are gone.
    assert raw_key_ids() == {TEST_KEY_ID}
    if connection.vendor == "sqlite":  # nor in the file's free pages (secure_delete)
        assert SENTENCE.encode() not in connection.connection.serialize()
    assert not any(path.exists() for path in plain_files)
    files = media_files()
    assert len(files) == len(plain_files) == 6
    assert all(path.read_bytes().startswith(filestore.MAGIC) for path in files)

    # The contact's photo and the evidence it became still share one encrypted file.
    shared = Evidence.objects.get(entry=filled.accepted)
    sent = SubmissionFile.objects.get()
    assert (shared.original.name, shared.original_key) == (sent.original.name, sent.original_key)
    with sent.original_file.open() as handle:
        assert handle.read() == filled.image

    # Nothing changed that the ledger covers, and the owner's pages and search work.
    result = ledger_verify()
    assert result.ok, result.problem
    entry_page = owner_client.get(reverse("diary:entry", args=[filled.entry.pk]))
    assert SENTENCE in entry_page.content.decode()
    assert (
        owner_client.get("/api/entries/", {"q": WORD}).json()["count"] == 3
    )  # two, and one sent by the API

    # And rotate_keys finds nothing left to do.
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    assert "Re-encrypted 0 values in 0 rows." in out.getvalue()
    assert "Encrypted 0 files stored before encryption." in out.getvalue()


def test_rotate_keys_also_encrypts_a_file_left_plain(owner, django_capture_on_commit_callbacks):
    from diary.bundle.services import export_create

    export = export_create(diary=owner.diary, actor=owner)
    with export.bundle_file.open() as handle:
        zipped = handle.read()
    plain = default_storage.save("exports/old.zip", io.BytesIO(zipped))
    default_storage.delete(export.bundle.name)
    update_raw(Export, export.pk, bundle=plain, bundle_key="")

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_keys", stdout=out)
    assert "Encrypted 1 files stored before encryption (diary.export 1)." in out.getvalue()
    export.refresh_from_db()
    assert export.bundle.name == "exports/old.zip.enc"
    assert not (Path(settings.MEDIA_ROOT) / plain).exists()
    with export.bundle_file.open() as handle:
        assert handle.read() == zipped


def raw_titles() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT title FROM diary_diary UNION ALL SELECT title FROM diary_diarysettingschange"
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_migration_seals_diary_titles_stored_before(owner, owner_client):
    from diary.models import Diary, DiarySettingsChange
    from diary.records.services import diary_settings_change

    title = "Notes on what Mark does"
    diary_settings_change(diary=owner.diary, actor=owner, title=title, time_zone="UTC")
    change = DiarySettingsChange.objects.get(diary=owner.diary)
    update_raw(Diary, owner.diary.pk, title=title)
    update_raw(DiarySettingsChange, change.pk, title=title)
    assert title in raw_titles()

    importlib.import_module("diary.migrations.0013_encrypt_diary_titles").encrypt_existing(
        apps, None
    )

    assert all(value.startswith("enc1:") for value in raw_titles())
    assert not [value for value in raw_titles() if "Mark" in value]
    owner.diary.refresh_from_db()
    assert owner.diary.title == title
    change.refresh_from_db()
    assert change.title == title
    assert title in owner_client.get(reverse("diary:timeline")).content.decode()
