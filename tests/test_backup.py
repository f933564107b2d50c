"""backup and restore: one encrypted file holding the database, every stored file and the
ledger heads; restored into an empty instance it verifies, byte for byte."""

import hashlib
import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from diary.bundle.services import export_create
from diary.evidence.services import evidence_attach
from diary.models import Entry, Evidence, LedgerRecord, User
from diary.ops import backup
from diary.ops.backup import Damaged, DecryptingReader, EncryptingWriter
from tests.factories import PDF_BYTES, make_entry, upload
from tests.servers import manage
from tests.witnesses.factories import make_submission, make_witness
from witnesses.models import Submission
from witnesses.services.brief import brief_update
from witnesses.services.links import device_open
from witnesses.services.submissions import submission_accept

KEY_HEX = "7d1f" * 16
needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="set DATABASE_URL to a PostgreSQL database to run this",
)


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "backup.key"
    path.write_text(KEY_HEX + "\n")
    return path


def tree(root):
    """Every file under a folder, with the SHA-256 of its bytes."""
    root = Path(root)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def heads(output):
    return re.findall(r"diary (\d+): head ([0-9a-f]{64})", output)


def fill(owner):
    """A diary with something of every kind that keeps a file."""
    entry = make_entry(owner, what_happened="Café ☕ — مرحبا — 😟 at the door")
    evidence_attach(entry=entry, actor=owner, upload=upload())
    evidence_attach(entry=entry, actor=owner, upload=upload("letter.pdf", PDF_BYTES, "x"))
    _, token = make_witness(owner)
    device, _ = device_open(token=token, user_agent="test")
    submission = make_submission(device, uploads=[upload("car.jpg")])
    submission_accept(submission=submission, actor=owner)
    brief_update(
        diary=owner.diary, actor=owner, content={"person": "Tall"}, photo=upload("him.jpg")
    )
    export_create(diary=owner.diary, actor=owner)


def empty_instance(settings, tmp_path):
    """Delete every row and point MEDIA_ROOT at an empty folder: a fresh instance."""
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path / "restored-media"


@pytest.fixture
def backed_up(owner, settings, tmp_path, key_file):
    fill(owner)
    before = {
        "heads": heads(run("verify_ledger")),
        "files": tree(settings.MEDIA_ROOT),
        "rows": backup.rows_present(),
    }
    out = tmp_path / "sightline.backup"
    printed = run("backup", "--out", str(out), "--key-file", str(key_file))
    assert "Backed up" in printed
    return out, before


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_instance_and_verifies(backed_up, settings, tmp_path):
    out, before = backed_up
    # encrypted, not merely packed (a marker long enough never to turn up in random bytes)
    assert "Café ☕ — مرحبا".encode() not in out.read_bytes()
    empty_instance(settings, tmp_path)
    assert backup.rows_present() == 0

    printed = run("restore", str(out), "--key-file", str(tmp_path / "backup.key"))

    assert "ledger records and every file verified" in printed
    assert heads(run("verify_ledger")) == before["heads"]
    assert tree(settings.MEDIA_ROOT) == before["files"]  # byte-exact, same names
    assert backup.rows_present() == before["rows"]
    entry = Entry.objects.get(number=1)
    assert entry.current.what_happened == "Café ☕ — مرحبا — 😟 at the door"
    assert Evidence.objects.count() == 3
    assert Submission.objects.get().files.count() == 1
    # The restored owner signs in with their old password.
    assert User.objects.get().check_password("correct horse battery staple")


def written(text: str) -> bool:
    """Whether some entry says this now (the text is encrypted, so not a database filter)."""
    return any(
        entry.current.what_happened == text for entry in Entry.objects.select_related("current")
    )


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_non_empty_instance_unless_forced(backed_up, tmp_path, settings):
    out, before = backed_up
    key = str(tmp_path / "backup.key")
    make_entry(User.objects.get(), what_happened="Written after the backup")
    with pytest.raises(CommandError, match=r"already has data \(\d+ rows\).*--force"):
        run("restore", str(out), "--key-file", key)
    assert written("Written after the backup")

    run("restore", str(out), "--key-file", key, "--force")
    assert not written("Written after the backup")
    assert heads(run("verify_ledger")) == before["heads"]


@pytest.mark.django_db(transaction=True)
def test_a_wrong_key_restores_nothing(backed_up, settings, tmp_path):
    out, _ = backed_up
    empty_instance(settings, tmp_path)
    wrong = tmp_path / "wrong.key"
    wrong.write_text("00" * 32)
    with pytest.raises(CommandError, match=r"made with a different key\. Nothing was restored\."):
        run("restore", str(out), "--key-file", str(wrong))
    assert backup.rows_present() == 0
    assert not Path(settings.MEDIA_ROOT).exists() or tree(settings.MEDIA_ROOT) == {}


@pytest.mark.django_db(transaction=True)
def test_an_instance_without_the_data_keys_restores_nothing(
    backed_up, settings, tmp_path, key_file
):
    """The backup's rows and files are still encrypted at rest: an instance with other
    ENCRYPTION_KEYS cannot read them, says which key it lacks, and keeps nothing."""
    out, _ = backed_up
    empty_instance(settings, tmp_path)
    settings.ENCRYPTION_KEYS = {"other": bytes(range(100, 132))}
    with pytest.raises(CommandError, match=r"cannot be read here: .*key 'test1'"):
        run("restore", str(out), "--key-file", str(key_file))
    assert backup.rows_present() == 0
    assert not Path(settings.MEDIA_ROOT).exists() or tree(settings.MEDIA_ROOT) == {}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", ["flip", "truncate", "append", "drop_a_chunk"])
def test_a_changed_or_cut_backup_restores_nothing(backed_up, settings, tmp_path, damage):
    out, _ = backed_up
    data = bytearray(out.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    elif damage == "truncate":
        data = data[: len(data) - 1000]
    elif damage == "append":
        data += data[-100:]
    else:  # remove the first chunk after the header
        start = backup.HEADER_BYTES
        length = int.from_bytes(data[start : start + 4], "big")
        del data[start : start + 4 + length]
    out.write_bytes(bytes(data))
    empty_instance(settings, tmp_path)
    with pytest.raises(CommandError, match="changed or is incomplete, so nothing was restored"):
        run("restore", str(out), "--key-file", str(tmp_path / "backup.key"))
    assert backup.rows_present() == 0
    restored = Path(settings.MEDIA_ROOT)
    assert not restored.exists() or tree(restored) == {}


@pytest.mark.django_db
def test_restore_says_when_a_file_is_not_a_backup(tmp_path, key_file):
    other = tmp_path / "notes.txt"
    other.write_bytes(b"just some text, not a backup at all, long enough for a header")
    with pytest.raises(CommandError, match="not a Sightline backup"):
        run("restore", str(other), "--key-file", str(key_file))
    with pytest.raises(CommandError, match="There is no file"):
        run("restore", str(tmp_path / "missing"), "--key-file", str(key_file))


@pytest.mark.django_db
def test_the_key_comes_from_a_file_or_backup_key_never_secret_key(settings, tmp_path, owner):
    out = tmp_path / "b"
    settings.BACKUP_KEY = ""
    with pytest.raises(CommandError, match="--key-file FILE, or set BACKUP_KEY"):
        run("backup", "--out", str(out))
    settings.BACKUP_KEY = settings.SECRET_KEY
    with pytest.raises(CommandError, match="not the SECRET_KEY"):
        run("backup", "--out", str(out))
    settings.BACKUP_KEY = "too short"
    with pytest.raises(CommandError, match="64 hex characters"):
        run("backup", "--out", str(out))
    settings.BACKUP_KEY = KEY_HEX
    assert "Backed up" in run("backup", "--out", str(out))
    assert (out.stat().st_mode & 0o777) == 0o600
    assert not out.with_name("b.partial").exists()


def test_make_key_writes_a_private_key_once(tmp_path):
    path = tmp_path / "new.key"
    run("backup", "--make-key", str(path))
    assert len(backup.parse_key(path.read_bytes())) == 32
    assert (path.stat().st_mode & 0o777) == 0o600
    with pytest.raises(CommandError, match="already exists"):
        run("backup", "--make-key", str(path))


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 5000])
def test_the_stream_round_trips_across_chunk_boundaries(monkeypatch, size):
    monkeypatch.setattr(backup, "CHUNK", 1000)
    key = bytes(range(32))
    data = os.urandom(size)
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, key)
    writer.write(data[:10])
    writer.write(data[10:])
    writer.close()
    reader = DecryptingReader(io.BytesIO(sink.getvalue()), key)
    assert reader.read(7) + reader.read() == data


def test_chunks_swapped_are_found(monkeypatch):
    monkeypatch.setattr(backup, "CHUNK", 100)
    key = bytes(32)
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, key)
    writer.write(os.urandom(250))
    writer.close()
    data = sink.getvalue()
    header, body = data[: backup.HEADER_BYTES], data[backup.HEADER_BYTES :]
    first = 4 + int.from_bytes(body[:4], "big")
    second = 4 + int.from_bytes(body[first : first + 4], "big")
    swapped = header + body[first : first + second] + body[:first] + body[first + second :]
    with pytest.raises(Damaged):
        DecryptingReader(io.BytesIO(swapped), key).read()


# Across processes and databases


def instance(folder: Path, database_url: str | None = None) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'db.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "REDIS_URL": "",
        "BACKUP_KEY": KEY_HEX,
    }


@pytest.mark.slow
def test_the_demo_diary_backs_up_and_restores_into_an_empty_instance(tmp_path):
    demo = instance(tmp_path / "demo")
    manage("migrate", "--noinput", env=demo)
    manage("seed_demo", env=demo)
    verified = heads(manage("verify_ledger", env=demo).stdout)
    out = tmp_path / "demo.backup"
    manage("backup", "--out", str(out), env=demo)

    fresh = instance(tmp_path / "fresh")  # no database at all yet: restore migrates it
    restored = manage("restore", str(out), env=fresh)
    assert "every file verified" in restored.stdout
    assert heads(manage("verify_ledger", env=fresh).stdout) == verified
    assert tree(fresh["MEDIA_ROOT"]) == tree(demo["MEDIA_ROOT"])

    again = manage("restore", str(out), env=fresh, check=False)
    assert again.returncode == 1
    assert "already has data" in again.stderr


@needs_postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_postgresql_and_sqlite_restore_each_others_backups(owner, settings, tmp_path, key_file):
    """A backup from PostgreSQL restores into SQLite, and one from SQLite into PostgreSQL."""
    from django.db import connection

    assert connection.vendor == "postgresql"
    fill(owner)
    pg_heads = heads(run("verify_ledger"))
    from_pg = tmp_path / "from-postgresql.backup"
    run("backup", "--out", str(from_pg), "--key-file", str(key_file))

    lite = instance(tmp_path / "lite")
    manage("restore", str(from_pg), env=lite)
    assert heads(manage("verify_ledger", env=lite).stdout) == pg_heads
    make = manage(
        "shell",
        "--no-imports",
        "-c",
        "from diary.models import User; from tests.factories import make_entry; "
        "make_entry(User.objects.get(), what_happened='Added on SQLite')",
        env=lite,
    )
    assert make.returncode == 0
    lite_heads = heads(manage("verify_ledger", env=lite).stdout)
    from_lite = tmp_path / "from-sqlite.backup"
    manage("backup", "--out", str(from_lite), env=lite)

    empty_instance(settings, tmp_path)
    run("restore", str(from_lite), "--key-file", str(key_file))
    assert heads(run("verify_ledger")) == lite_heads
    assert written("Added on SQLite")
    assert tree(settings.MEDIA_ROOT) == tree(lite["MEDIA_ROOT"])
    # The sequences moved past the restored rows: new writes do not collide.
    make_entry(User.objects.get(), what_happened="Written after the restore")
    assert LedgerRecord.objects.filter(diary=owner.diary).count() > 1
    assert heads(run("verify_ledger"))
