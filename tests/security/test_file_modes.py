"""He has an account on the same machine (a shared server, a family computer): he reads what
other users may read. The keys in `.env`, the database, media/ and bundles are the owner's
alone: files 0600, folders 0700, whatever umask the shell had."""

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.urls import reverse

from diary.models import Evidence
from tests.factories import make_entry, upload
from tests.security.conftest import browser
from tests.servers import ROOT


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def lax_umask():
    """The usual shell's umask (022: everyone may read), for the length of a test."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.slow
def test_make_keys_writes_an_env_only_its_owner_reads(tmp_path):
    env = {**os.environ, "MAKEFLAGS": ""}
    make = ["make", "-s", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), "keys"]
    subprocess.run(
        ["/bin/sh", "-c", f"umask 022 && exec {' '.join(make)} PYTHON={sys.executable}"],
        env=env,
        check=True,
        capture_output=True,
    )
    written = tmp_path / ".env"
    assert "ENCRYPTION_KEYS=" in written.read_text()
    assert mode(written) == 0o600

    # An older .env that others could read is narrowed by the next `make keys`.
    written.chmod(0o644)
    subprocess.run(
        ["/bin/sh", "-c", f"umask 022 && exec {' '.join(make)} PYTHON={sys.executable}"],
        env=env,
        check=True,
        capture_output=True,
    )
    assert mode(written) == 0o600


def test_stored_files_and_their_folders_are_owner_only(owner, settings, lax_umask):
    her = browser()
    her.force_login(owner)
    entry = make_entry(owner)
    response = her.post(reverse("diary:evidence_add", args=[entry.pk]), {"file": upload()})
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.preview
    root = Path(settings.MEDIA_ROOT)
    made = [root, *root.rglob("*")]
    assert len([p for p in made if p.is_file()]) == 2  # the original and its preview
    for path in made:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_a_bundle_written_by_export_diary_is_owner_only(owner, tmp_path, lax_umask):
    make_entry(owner)
    out = tmp_path / "bundle.zip"
    call_command(
        "export_diary", "--diary", str(owner.diary.pk), "--out", str(out), stdout=io.StringIO()
    )
    assert mode(out) == 0o600


@pytest.mark.django_db
def test_the_sqlite_database_is_owner_only(tmp_path, lax_umask):
    """A database file made before the umask was set (0644) is narrowed when the app
    connects; its write-ahead log follows the file's mode."""
    template = connections["default"].settings_dict
    if template["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the database is not a SQLite file here")
    name = tmp_path / "db.sqlite3"
    name.touch(mode=0o644)
    assert mode(name) == 0o644
    database = DatabaseWrapper({**template, "NAME": str(name)}, alias="file_modes")
    try:
        with database.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x integer)")
            cursor.execute("INSERT INTO t VALUES (1)")
        made = [name, *[Path(f"{name}{end}") for end in ("-wal", "-shm")]]
        assert Path(f"{name}-wal").exists()
        for path in made:
            if path.exists():
                assert mode(path) == 0o600, path
    finally:
        database.close()


@pytest.mark.slow
def test_every_entry_point_sets_an_owner_only_umask(tmp_path):
    """manage.py (and the db_worker it runs) and the ASGI app uvicorn imports."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "project.settings",
    }
    show = "import os; print(oct(os.umask(0)))"
    runs = {
        "manage.py": [sys.executable, "manage.py", "shell", "-c", show],
        "asgi": [sys.executable, "-c", f"import project.asgi; {show}"],
    }
    for name, command in runs.items():
        done = subprocess.run(
            ["/bin/sh", "-c", 'umask 022 && exec "$@"', "sh", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        assert done.stdout.strip().splitlines()[-1] == "0o77", name


def test_the_uvicorn_command_sets_it_before_uvicorn_starts(monkeypatch, lax_umask):
    from project import servers

    inherited = []

    class Beside:
        """The worker and the jobs' loop `make run` starts beside the server: they inherit
        the mask too."""

        def __init__(self, argv: list[str]) -> None:
            command = next(arg for arg in argv if arg in ("db_worker", "tend_jobs"))
            inherited.append((command, os.umask(0o077)))
            self.stopped = False

        def terminate(self) -> None:
            self.stopped = True

        def wait(self) -> int:
            return 0

    def serve(argv: list[str]) -> int:
        inherited.append(("uvicorn", os.umask(0o077)))
        return 0

    monkeypatch.setattr(servers.subprocess, "Popen", Beside)
    monkeypatch.setattr(servers.subprocess, "call", serve)
    with pytest.raises(SystemExit) as ended:
        servers.main(["--port", "8106"])
    assert ended.value.code == 0
    assert inherited == [("db_worker", 0o077), ("tend_jobs", 0o077), ("uvicorn", 0o077)]
