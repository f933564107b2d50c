"""Bringing a chat export in: whom it holds, the chosen person's messages as entries (each
with where in the file it came from), the export kept byte for byte, each message once however
often it is imported, and a bad file adding nothing."""

import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from diary.bundle.services import export_create
from diary.imports import readers
from diary.imports.formats.base import ImportProblem, NeedsTimeZone
from diary.imports.readers import format_of
from diary.imports.services import messages_import, parties_in
from diary.ledger.services import IMPORT_CREATE, IMPORT_MESSAGE
from diary.ledger.verify import ledger_verify
from diary.models import Entry, ImportedMessage, LedgerRecord, MessageImport
from tests.imports.samples import whatsapp

LONDON = ZoneInfo("Europe/London")
SPELLING = whatsapp.BY_KEY[next(iter(whatsapp.BY_KEY))]


@pytest.fixture
def chat_zip(tmp_path) -> tuple[Path, list]:
    path = tmp_path / whatsapp.zip_name(SPELLING)
    expected = whatsapp.write_zip(path, SPELLING)
    return path, expected


def bring_in(owner, path: Path, **options):
    with path.open("rb") as stream:
        return messages_import(
            diary=owner.diary, actor=owner, stream=stream, name=path.name, **options
        )


def test_the_export_lists_everyone_in_it_with_counts_and_dates(chat_zip):
    path, expected = chat_zip
    with path.open("rb") as stream:
        found = parties_in(
            readers.read(stream, format=format_of(stream, path.name), name=path.name, zone=LONDON)
        )
    counts = {party.party: party.count for party in found}
    senders = [e.sender for e in expected]
    assert counts == {sender: senders.count(sender) for sender in set(senders)}
    assert found[0].party == "Bob"  # most messages first
    bob = found[0]
    bobs = [e.when for e in expected if e.sender == "Bob"]
    assert (bob.first, bob.last) == (
        min(bobs).replace(tzinfo=LONDON),
        max(bobs).replace(tzinfo=LONDON),
    )


def test_the_chosen_persons_messages_become_entries_with_their_place_in_the_file(owner, chat_zip):
    path, expected = chat_zip
    done = bring_in(owner, path, parties=["Bob"], person="B", zone=LONDON)
    bobs = [e for e in expected if e.sender == "Bob"]
    assert (done.added, done.already) == (len(bobs), 0)

    kept = MessageImport.objects.get(diary=owner.diary)
    assert kept.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert kept.size == path.stat().st_size and kept.format == "whatsapp"
    with kept.original_file.open() as stored:
        assert stored.read() == path.read_bytes()  # byte for byte

    rows = ImportedMessage.objects.filter(message_import=kept).select_related("entry__current")
    by_line = {row.position: row for row in rows}
    assert set(by_line) == {f"line {e.line}" for e in bobs}
    for e in bobs:
        row = by_line[f"line {e.line}"]
        version = row.entry.current
        assert row.entry.source == Entry.Source.IMPORTED
        assert version.occurred_start == e.when.replace(tzinfo=LONDON)
        assert version.words_used == e.text
        assert version.what_happened.startswith("Message from B")
        assert version.channel == "social_media" and version.behaviours == ["contact"]
        assert (row.party, row.direction) == ("Bob", "unknown")
    # Alice (the owner, in this chat) and the others were not chosen: nothing of theirs.
    assert {row.party for row in ImportedMessage.objects.all()} == {"Bob"}

    kinds = list(LedgerRecord.objects.filter(diary=owner.diary).values_list("kind", flat=True))
    assert kinds.count(IMPORT_CREATE) == 1 and kinds.count(IMPORT_MESSAGE) == len(bobs)
    assert ledger_verify(diary=owner.diary).ok


def test_importing_again_adds_only_what_is_new(owner, chat_zip, tmp_path):
    path, _ = chat_zip
    first = bring_in(owner, path, parties=["Bob"], zone=LONDON)
    again = bring_in(owner, path, parties=["Bob"], zone=LONDON)
    assert (again.added, again.already) == (0, first.added)
    # A longer export of the same chat: only the two new messages are added.
    samples = whatsapp.conversation()
    later = samples[-1].when
    from datetime import timedelta

    samples += [
        whatsapp.Sample("Bob", later + timedelta(hours=1), "Still here."),
        whatsapp.Sample("Bob", later + timedelta(hours=2), "Answer me."),
    ]
    text, _expected, _files = whatsapp.chat_text(SPELLING, samples)
    longer = tmp_path / "WhatsApp Chat with Bob (2).txt"
    longer.write_text(text)
    third = bring_in(owner, longer, parties=["Bob"], zone=LONDON)
    assert (third.added, third.already) == (2, first.added)
    assert Entry.objects.filter(diary=owner.diary).count() == first.added + 2


def test_a_bad_file_adds_nothing_and_says_why(owner, tmp_path):
    broken = tmp_path / "WhatsApp Chat with Bob.zip"
    good = whatsapp.good_zip_bytes(SPELLING)
    broken.write_bytes(good[: len(good) // 2])
    with pytest.raises(ImportProblem):
        bring_in(owner, broken, parties=["Bob"], zone=LONDON)
    not_chat = tmp_path / "photo.docx"
    not_chat.write_bytes(b"x")
    with pytest.raises(ImportProblem, match="cannot be brought in"):
        bring_in(owner, not_chat, parties=["Bob"], zone=LONDON)
    assert not MessageImport.objects.exists() and not Entry.objects.exists()
    assert not list((Path(settings.MEDIA_ROOT) / "imports").rglob("*"))


def test_a_chat_without_zones_asks_which_zone_the_phone_was_in(owner, chat_zip):
    path, _ = chat_zip
    with pytest.raises(NeedsTimeZone):
        bring_in(owner, path, parties=["Bob"], zone=None)
    assert not MessageImport.objects.exists()


def test_imported_messages_go_into_a_bundle_that_verifies(owner, chat_zip):
    path, _ = chat_zip
    done = bring_in(owner, path, parties=["Bob"], zone=LONDON)
    export = export_create(diary=owner.diary, actor=owner)  # checked by its own verify.py
    assert export.head_seq == LedgerRecord.objects.filter(diary=owner.diary).count() - 1
    assert Entry.objects.filter(diary=owner.diary).count() == done.added


def test_texts_to_and_from_a_number_come_in_but_never_a_draft(owner, tmp_path):
    from tests.imports.samples import sms

    data, written = sms.sms_backup()
    path = tmp_path / "sms-20261204.xml"
    path.write_bytes(data)
    party = max({w.party for w in written}, key=lambda p: sum(w.party == p for w in written))
    done = bring_in(owner, path, parties=[party], to_them=True)
    wanted = [
        w
        for w in written
        if w.party == party
        and w.details.get("status") not in {"draft", "outbox", "failed", "queued"}
    ]
    assert done.added == len(wanted) > 0
    rows = {row.position: row for row in ImportedMessage.objects.select_related("entry__current")}
    assert set(rows) == {w.position for w in wanted}
    for w in wanted:
        row = rows[w.position]
        assert row.entry.current.occurred_start == w.sent_at
        assert row.entry.current.words_used == w.text[:5000]
        assert row.direction == w.direction
        assert row.entry.evidence.count() <= len(w.attachments)
    assert ledger_verify(diary=owner.diary).ok


def test_the_bundle_holds_the_export_and_says_where_each_message_came_from(
    owner, chat_zip, tmp_path
):
    import csv
    import json

    from diary.bundle.offline import verify as offline
    from diary.bundle.services import unzip_to

    path, expected = chat_zip
    bring_in(owner, path, parties=["Bob"], zone=LONDON)
    folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    kept = folder / "imports" / "import-001.zip"
    assert kept.read_bytes() == path.read_bytes()  # the original export, byte for byte
    manifest = json.loads((folder / "manifest.json").read_text())
    labels = [item["object"].partition(":")[0] for item in manifest["objects"]]
    bobs = [e for e in expected if e.sender == "Bob"]
    assert labels.count("diary.messageimport") == 1
    assert labels.count("diary.importedmessage") == len(bobs)
    with (folder / "entries.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    sources = {row["Imported from"] for row in rows}
    assert {
        f"Import 1 (imports/import-001.zip, {path.name}), line {e.line}" for e in bobs
    } == sources
    assert offline.verify(folder).startswith("OK: ")
    # The export in the bundle changed: verify.py names it.
    kept.write_bytes(kept.read_bytes() + b"x")
    with pytest.raises(offline.Failed):
        offline.verify(folder)


def test_an_emails_dkim_verdict_is_recorded_and_printed_in_the_bundle(owner, tmp_path):
    from diary.bundle.services import unzip_to
    from tests.diary.test_bundle_every_field import pdf_text
    from tests.imports.samples import mail

    samples = mail.gmail_samples()
    path = tmp_path / "Takeout.mbox"
    mail.write_mbox(path, [mail.message_bytes(sample) for sample in samples])
    with path.open("rb") as stream:
        done = messages_import(
            diary=owner.diary,
            actor=owner,
            stream=stream,
            name=path.name,
            parties=["jake.morrow@gmail.com", "someone@example.net"],
            dns=mail.FakeDns("gmail.com"),
        )
    assert done.added == len(samples)
    verdicts = {
        row.details["subject"]: row.details["dkim"] for row in ImportedMessage.objects.all()
    }
    assert verdicts["unsigned"] == []
    assert verdicts["html only"][0]["result"] == "pass"
    folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "bundle")
    flat = " ".join(pdf_text(folder).split())
    assert "signed by gmail.com, body intact" in flat
    assert "no signature" in flat
    assert "Brought in from: Import 1" in flat


# Each batch of an import costs the same queries, however long the export: the lock, what is
# there already, the entries' number, the inserts of entries, versions and the records of where
# each came from (one each on PostgreSQL; SQLite takes at most 999 values a statement, so a few
# each there), setting each entry's current version, and the two ledger appends (their head,
# then the insert). Today's count on SQLite, for a whole batch.
BATCH_QUERIES = 30


def test_each_batch_of_an_import_costs_the_same_few_queries(owner, other_owner, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from diary.imports.services import BATCH
    from tests.factories import OwnerFactory

    counts = []
    for who, batches in ((owner, 1), (other_owner, 2), (OwnerFactory(), 3)):
        size = BATCH * batches * 5 // 4  # four in five are Bob's
        path = whatsapp.write_big(tmp_path / f"WhatsApp Chat with Bob {size}.txt", size)
        with CaptureQueriesContext(connection) as queries:
            done = bring_in(who, path, parties=["Bob"], zone=LONDON, day_first=True)
        assert done.added == BATCH * batches
        assert Entry.objects.filter(diary=who.diary).count() == done.added
        assert ledger_verify(diary=who.diary).ok
        counts.append(len(queries))
    per_batch = counts[1] - counts[0]
    assert counts[2] - counts[1] == per_batch <= BATCH_QUERIES, counts


def test_a_batch_of_entries_is_numbered_on_from_the_diary_and_validated_before_any_is_written(
    owner,
):
    from django.core.exceptions import ValidationError

    from diary.records.services import entries_create_many
    from tests.factories import entry_content, make_entry

    make_entry(owner)
    made = entries_create_many(
        diary=owner.diary,
        actor=owner,
        contents=[entry_content(what_happened=f"Message {n}") for n in range(3)],
        source=Entry.Source.IMPORTED,
        origin="import:1",
    )
    stored = Entry.objects.filter(pk__in=[e.pk for e in made]).select_related("current")
    assert sorted((e.number, e.current.what_happened) for e in stored) == [
        (2, "Message 0"),
        (3, "Message 1"),
        (4, "Message 2"),
    ]
    assert all(e.current.number == 1 and e.current.recorded_by == owner for e in stored)
    with pytest.raises(ValidationError):
        entries_create_many(
            diary=owner.diary,
            actor=owner,
            contents=[entry_content(), entry_content(what_happened="")],
            source=Entry.Source.IMPORTED,
        )
    assert Entry.objects.filter(diary=owner.diary).count() == 4
    assert ledger_verify(diary=owner.diary).ok


class Stages:
    def __init__(self) -> None:
        self.totals: dict[str, int] = {}

    def stage(self, name: str, total: int = 0) -> None:
        self.totals[name] = total

    def step(self, count: int = 1) -> None:
        pass


@pytest.mark.parametrize("to_them", [False, True])
def test_an_export_read_for_whom_it_holds_is_added_without_being_read_through_again(
    owner, chat_zip, to_them
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from diary.imports.pending import pending_add, pending_create, pending_read
    from diary.jobs.progress import NoProgress
    from diary.models import PendingImport

    path, expected = chat_zip
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    pending_create(
        diary=owner.diary, actor=owner, upload=upload, time_zone="Europe/London", day_first=None
    )
    pending = PendingImport.objects.get(diary=owner.diary)
    pending_read(pending=pending, progress=NoProgress())
    stages = Stages()
    done = pending_add(
        pending=pending, actor=owner, parties=["Bob"], to_them=to_them, person="", progress=stages
    )
    # The chat's own messages have no direction: each of Bob's is added either way.
    bobs = [e for e in expected if e.sender == "Bob"]
    assert "reading" not in stages.totals  # pending_read read it through, whole
    assert stages.totals["adding"] == done.added == len(bobs)
    assert Entry.objects.filter(diary=owner.diary).count() == len(bobs)


def pending_for(owner, path: Path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from diary.imports.pending import pending_create, pending_read
    from diary.jobs.progress import NoProgress
    from diary.models import PendingImport

    upload = SimpleUploadedFile(path.name, path.read_bytes())
    pending_create(
        diary=owner.diary, actor=owner, upload=upload, time_zone="Europe/London", day_first=None
    )
    pending = PendingImport.objects.get(diary=owner.diary)
    pending_read(pending=pending, progress=NoProgress())
    return pending


class CutOff(Stages):
    """A worker that dies after adding its first batch."""

    def step(self, count: int = 1) -> None:
        raise SystemExit("killed")


def add_cut_off(owner, pending) -> None:
    """Bob's messages added by a worker that dies after the first batch."""
    from diary.imports.pending import pending_add

    with pytest.raises(SystemExit):
        pending_add(
            pending=pending,
            actor=owner,
            parties=["Bob"],
            to_them=False,
            person="",
            progress=CutOff(),
        )


def test_an_add_cut_off_half_way_goes_on_with_the_same_import_when_tried_again(
    owner, chat_zip, monkeypatch
):
    from diary.imports import services
    from diary.imports.pending import pending_add
    from diary.models import PendingImport

    monkeypatch.setattr(services, "BATCH", 2)
    path, expected = chat_zip
    bobs = [e for e in expected if e.sender == "Bob"]
    pending = pending_for(owner, path)
    add_cut_off(owner, pending)
    assert Entry.objects.filter(diary=owner.diary).count() == 2
    pending = PendingImport.objects.get(pk=pending.pk)  # as the retry finds it
    begun = MessageImport.objects.get(diary=owner.diary)
    assert pending.message_import == begun

    done = pending_add(
        pending=pending, actor=owner, parties=["Bob"], to_them=False, person="", progress=Stages()
    )
    assert done.message_import == begun
    assert (done.added, done.already) == (len(bobs), 0)
    assert MessageImport.objects.filter(diary=owner.diary).count() == 1  # kept once
    assert ImportedMessage.objects.filter(message_import=begun).count() == len(bobs)
    assert LedgerRecord.objects.filter(diary=owner.diary, kind=IMPORT_CREATE).count() == 1
    assert not PendingImport.objects.filter(pk=pending.pk).exists()


def write_mailbox(path: Path, samples) -> Path:
    from tests.imports.samples.mail import message_bytes, write_mbox

    write_mbox(path, [message_bytes(sample) for sample in samples])
    return path


@pytest.mark.parametrize("messages", [3, 5])
def test_a_mailbox_is_checked_again_before_adding_unless_its_persons_mail_was_read_whole(
    owner, tmp_path, messages
):
    """pending_read reads only the headers of a party's messages beyond the preview's few,
    so adding them checks them whole first; a party shown whole needs no second read."""
    from dataclasses import replace

    from diary.imports.pending import PREVIEW, pending_add
    from tests.imports.samples.mail import gmail_samples

    person = gmail_samples()[1]
    samples = [
        replace(person, message_id=f"<m{number}@mail.gmail.com>") for number in range(messages)
    ]
    path = write_mailbox(tmp_path / "Takeout.mbox", [*samples, gmail_samples()[3]])
    pending = pending_for(owner, path)
    [them] = [party for party in pending.parties if party["party"] == "jake.morrow@gmail.com"]
    assert them["read_whole"] == (messages <= PREVIEW)
    assert them["adds"] == [messages, messages]
    stages = Stages()
    done = pending_add(
        pending=pending,
        actor=owner,
        parties=["jake.morrow@gmail.com"],
        to_them=False,
        person="",
        progress=stages,
    )
    assert ("reading" in stages.totals) == (messages > PREVIEW)
    assert done.added == messages
    # Every message added was read whole: its subject and DKIM verdict are there (this test's
    # DNS is the real one, so the verdict itself is whatever it could say).
    kept = ImportedMessage.objects.filter(diary=owner.diary)
    assert [(m.details["subject"], len(m.details["dkim"])) for m in kept] == [
        (person.subject, 1)
    ] * messages
    assert Entry.objects.filter(diary=owner.diary, source=Entry.Source.IMPORTED).count() == messages


def test_the_import_takes_the_uploaded_file_over_as_its_original(owner, chat_zip, settings):
    from diary.imports.pending import pending_add

    path, _expected = chat_zip
    pending = pending_for(owner, path)
    done = pending_add(
        pending=pending, actor=owner, parties=["Bob"], to_them=False, person="", progress=Stages()
    )
    kept = done.message_import
    # The file the upload was kept in, not a second copy of it.
    assert kept.original.name == pending.stored.name
    assert kept.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    with kept.original_file.open() as handle:
        assert handle.read() == path.read_bytes()
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    imports = [p for p in stored if p.parts[-3] == "imports"]
    assert len(imports) == 1


def test_sweeping_an_add_cut_off_half_way_leaves_the_imports_original(owner, chat_zip):
    import time_machine
    from django.utils import timezone

    from diary.imports.pending import pending_sweep
    from diary.models import PendingImport

    path, _expected = chat_zip
    pending = pending_for(owner, path)
    add_cut_off(owner, pending)
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=25)):
        assert pending_sweep() == 1
    assert not PendingImport.objects.exists()
    kept = MessageImport.objects.get(diary=owner.diary)
    with kept.original_file.open() as handle:
        assert handle.read() == path.read_bytes()
