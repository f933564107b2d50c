"""Bringing an export in from the pages: the file read by a worker, whom it holds shown with
a preview, her choice added by a worker, and bad files refused in words."""

from datetime import timedelta
from pathlib import Path

import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from diary.imports.pending import pending_sweep
from diary.models import Entry, ImportedMessage, Job, MessageImport, PendingImport
from tests.imports.samples import whatsapp
from tests.jobs import worker_runs_it

SPELLING = whatsapp.BY_KEY[next(iter(whatsapp.BY_KEY))]


def chat_upload(tmp_path: Path) -> tuple[SimpleUploadedFile, list]:
    path = tmp_path / whatsapp.zip_name(SPELLING)
    expected = whatsapp.write_zip(path, SPELLING)
    return SimpleUploadedFile(path.name, path.read_bytes(), "application/zip"), expected


def upload(client, file, **extra):
    data = {"file": file, "time_zone": "Europe/London", "date_order": "", **extra}
    with worker_runs_it():
        return client.post(reverse("diary:import"), data)


def stored_imports() -> list[Path]:
    return [p for p in (Path(settings.MEDIA_ROOT) / "imports").rglob("*") if p.is_file()]


def test_she_uploads_a_chat_chooses_the_person_and_their_messages_come_in(
    owner, owner_client, tmp_path
):
    page = owner_client.get(reverse("diary:capture")).content.decode()
    assert reverse("diary:import") in page
    file, expected = chat_upload(tmp_path)
    response = upload(owner_client, file)
    read = Job.objects.get(kind=Job.Kind.IMPORT_READ)
    assert response.url == reverse("diary:job", args=[read.pk])
    pending = PendingImport.objects.get()
    page = owner_client.get(response.url).content.decode()
    assert "The file is read." in page
    choose = reverse("diary:import_choose", args=[pending.pk])
    assert choose in page

    page = owner_client.get(choose).content.decode()
    bobs = [e for e in expected if e.sender == "Bob"]
    assert f"{len(bobs)} messages" in page and "Bob" in page and "Alice" in page
    assert escape(bobs[0].text[:40]) in page  # the first words, as a preview
    assert not Entry.objects.exists()  # nothing added until she chooses

    with worker_runs_it():
        response = owner_client.post(choose, {"parties": ["Bob"], "person": "B"})
    added = Job.objects.get(kind=Job.Kind.IMPORT_ADD)
    assert response.url == reverse("diary:job", args=[added.pk])
    assert added.result["added"] == len(bobs) and added.result["already"] == 0
    page = owner_client.get(response.url).content.decode()
    assert f"{len(bobs)} messages added to your diary." in page
    assert Entry.objects.filter(diary=owner.diary).count() == len(bobs)
    assert ImportedMessage.objects.count() == len(bobs)
    assert MessageImport.objects.get().file_name == file.name
    assert not PendingImport.objects.exists()  # the upload is the import's kept file now
    assert len(stored_imports()) == 1

    # The same export again: read, it says they are in the diary already; added, none twice.
    file, _ = chat_upload(tmp_path)
    upload(owner_client, file)
    pending = PendingImport.objects.get()
    page = owner_client.get(reverse("diary:import_choose", args=[pending.pk])).content.decode()
    assert f"{len(bobs)} already in your diary" in page
    with worker_runs_it():
        owner_client.post(reverse("diary:import_choose", args=[pending.pk]), {"parties": ["Bob"]})
    assert Entry.objects.filter(diary=owner.diary).count() == len(bobs)


def test_a_file_that_cannot_be_brought_in_is_refused_in_words_and_nothing_is_kept(
    owner_client,
):
    response = upload(owner_client, SimpleUploadedFile("notes.docx", b"PK\x03\x04", "x"))
    assert response.status_code == 200
    assert "This kind of file cannot be brought in." in response.content.decode()
    assert not PendingImport.objects.exists() and not Job.objects.exists()
    assert stored_imports() == []


def test_a_damaged_chat_fails_its_reading_plainly_and_is_let_go(owner_client):
    response = upload(
        owner_client, SimpleUploadedFile("WhatsApp Chat with Bob.txt", b"\x89PNG\r\n\x1a\n", "x")
    )
    job = Job.objects.get(kind=Job.Kind.IMPORT_READ)
    assert job.state == Job.State.FAILED and job.reason and "Traceback" not in job.reason
    page = owner_client.get(response.url).content.decode()
    assert "It could not be finished." in page
    assert not PendingImport.objects.exists() and stored_imports() == []


def test_choosing_nobody_says_so(owner, owner_client, tmp_path):
    file, _ = chat_upload(tmp_path)
    upload(owner_client, file)
    pending = PendingImport.objects.get()
    response = owner_client.post(reverse("diary:import_choose", args=[pending.pk]), {})
    assert response.status_code == 200
    assert "Choose at least one person, number or address." in response.content.decode()
    assert not Job.objects.filter(kind=Job.Kind.IMPORT_ADD).exists()


def test_an_export_never_added_is_deleted_after_a_day(owner_client, tmp_path):
    file, _ = chat_upload(tmp_path)
    upload(owner_client, file)
    assert pending_sweep() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert pending_sweep() == 1
    assert not PendingImport.objects.exists() and stored_imports() == []


def test_another_owner_cannot_reach_her_export(owner_client, other_client, tmp_path):
    file, _ = chat_upload(tmp_path)
    upload(owner_client, file)
    pending = PendingImport.objects.get()
    url = reverse("diary:import_choose", args=[pending.pk])
    assert other_client.get(url).status_code == 404
    assert other_client.post(url, {"parties": ["Bob"]}).status_code == 404
    assert not Job.objects.filter(kind=Job.Kind.IMPORT_ADD).exists()


def test_a_run_of_messages_is_one_card_on_the_timeline_that_opens_to_each(
    owner, owner_client, tmp_path
):
    from tests.factories import make_entry

    make_entry(owner, what_happened="MARKER-OWN written by her")
    file, expected = chat_upload(tmp_path)
    upload(owner_client, file)
    pending = PendingImport.objects.get()
    with worker_runs_it():
        owner_client.post(reverse("diary:import_choose", args=[pending.pk]), {"parties": ["Bob"]})
    page = owner_client.get(reverse("diary:timeline")).content.decode()
    # Bob's night of messages (within an hour of each other) is one run; the next day's
    # stand alone, and her own entry is a card of its own.
    night = [e for e in expected if e.sender == "Bob" and e.when.day == 31]
    assert f"{len(night)} messages between" in page
    assert page.count('class="card run"') == 1
    assert "MARKER-OWN written by her" in page
    # A line separator kept in a message's words is shown as the line break it was on the
    # phone (browsers draw it as nothing, running two words together).
    assert "line one\nsame line, a separator" in page and "\u2028" not in page
    for entry in Entry.objects.filter(source=Entry.Source.IMPORTED):
        assert f'id="entry-{entry.pk}"' in page  # every message is there, inside its run
