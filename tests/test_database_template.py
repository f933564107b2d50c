"""The migrated SQLite test database kept between runs (tests/database_template.py): named by
everything migrating depends on, and the same as a database migrated from scratch."""

import sqlite3

import pytest
from django.conf import settings
from django.db import connection

from tests import database_template
from tests.servers import ROOT, manage

ON_SQLITE = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def test_its_name_covers_every_migration_and_the_code_of_ours_they_import():
    inputs = database_template.inputs()
    ours = {str(path.relative_to(ROOT)) for path in inputs if database_template.is_ours(path)}
    assert {
        "diary/migrations/0001_initial.py",
        "witnesses/migrations/0003_encrypt_existing_rows_and_files.py",
        "diary/core/fields.py",  # the column types of our own fields
        "diary/ops/rekey.py",  # what the data migrations run
        "diary/models/entries.py",
    } <= ours
    assert any("allauth" in path.parts for path in inputs)
    # Code the migrations never import stays out: changing it keeps the copy.
    assert "diary/records/services.py" not in ours


def test_changing_a_migration_changes_its_name(monkeypatch, tmp_path):
    migration = tmp_path / "0009_something.py"
    migration.write_text("operations = []\n")
    monkeypatch.setattr(database_template, "inputs", lambda: [migration])
    before = database_template.fingerprint()
    migration.write_text("operations = [1]\n")
    assert database_template.fingerprint() != before


def described(database: sqlite3.Connection) -> dict[str, list[tuple]]:
    queries = {
        "schema": "SELECT type, name, tbl_name, sql FROM sqlite_master",
        "migrations": "SELECT app, name FROM django_migrations",
        "content types": "SELECT app_label, model FROM django_content_type",
        "permissions": "SELECT p.codename, t.app_label, t.model FROM auth_permission p"
        " JOIN django_content_type t ON t.id = p.content_type_id",
    }
    return {what: sorted(database.execute(sql).fetchall()) for what, sql in queries.items()}


@pytest.mark.slow
@pytest.mark.skipif(not ON_SQLITE, reason="only SQLite's test database is kept between runs")
@pytest.mark.django_db
def test_the_test_database_is_what_migrating_from_scratch_makes(tmp_path):
    fresh = tmp_path / "db.sqlite3"
    manage("migrate", "--noinput", env={"DATABASE_URL": f"sqlite:///{fresh}", "REDIS_URL": ""})
    migrated = sqlite3.connect(fresh)
    try:
        assert described(connection.connection) == described(migrated)
    finally:
        migrated.close()
