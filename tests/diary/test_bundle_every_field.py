"""Everything the owner or a contact wrote reaches the bundle's PDF and CSV, in words.

Each form is filled through the pages, every field with a marker of its own; the fields are
read from the models, so a field added later fails here until the bundle prints it."""

import csv
import io
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import models
from django.urls import reverse

from diary.bundle.services import unzip_to
from diary.models import Entry, EntryVersion, Evidence, Export, ItemVersion
from tests.factories import jpeg_bytes, make_entry, png_bytes, upload
from tests.jobs import worker_runs_it
from tests.witnesses.conftest import opened
from tests.witnesses.factories import make_witness
from witnesses.models import FollowUp, Submission

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)"),
]

# Fields that are not anyone's words: ids, links between rows, numbers and times the server
# sets, hashes and what the server reads off a file. Everything else is filled and looked for.
NOT_WRITTEN = {
    EntryVersion: {
        "id",
        "entry",
        "number",
        "recorded_at",
        "recorded_by",
        "search_index",
        "ledger_v",
    },
    ItemVersion: {"id", "item", "number", "recorded_at", "recorded_by", "ledger_v"},
    Evidence: {
        "id",
        "diary",
        "entry",
        "number",
        "uploaded_by",
        "received_at",
        # Read off the upload, not typed: the bytes, their name and type, size and hash, and
        # what the file claims about itself (the PDF's evidence index has them all).
        "original",
        "original_key",
        "original_name",
        "mime_type",
        "extension",
        "size",
        "sha256",
        "preview",
        "preview_key",
        "device_time",
        "call_home",
        "call_home_checked_at",
        "preview_sha256",
        "ledger_v",
    },
    Submission: {
        "id",
        "diary",
        "witness",
        "link",
        "device",
        "reference",
        "received_at",
        "ledger_v",
    },
    FollowUp: {"id", "submission", "received_at", "ledger_v"},
}

# What a choice is set to, and the words the form shows for it, which the bundle must use.
CHOSEN = {
    (EntryVersion, "precision"): ("range", "Between two times"),
    (EntryVersion, "behaviours"): (["loitering", "threats"], "Loitering; Threats"),
    (EntryVersion, "channel"): ("in_person", "In person"),
    (EntryVersion, "police_reported"): ("on", "Yes"),
    (Evidence, "kind"): ("screenshot", "Screenshot"),
    (ItemVersion, "kind"): ("letter", "Letter or card"),
    (ItemVersion, "storage"): ("paper_bag", "Paper bag"),
    (Submission, "kind"): ("approached", "They approached me or spoke to me"),
    (Submission, "precision"): ("approximate", "Around this time"),
    (Submission, "statement"): ("maybe", "Maybe"),
}

# Times and numbers, typed as the forms take them (in the diary's zone, Europe/London).
TYPED = {
    (EntryVersion, "occurred_start"): "2026-10-24T21:15",
    (EntryVersion, "occurred_end"): "2026-10-24T22:45",
    (EntryVersion, "latitude"): "51.512345",
    (EntryVersion, "longitude"): "-0.123456",
    (ItemVersion, "found_at"): "2026-10-24T07:05",
    (ItemVersion, "police_handed_at"): "2026-10-24T16:20",
    (Submission, "occurred_start"): "2026-10-24T19:40",
    # The hidden input the page's script fills from the device's clock, as the device sends it.
    (EntryVersion, "device_time"): "2026-10-25T10:59:58+02:00",
    (Submission, "device_time"): "2026-10-25T09:58:30+00:00",
}

NOW = datetime(2026, 10, 25, 9, 0, tzinfo=UTC)


def written(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.get_fields()
        if field.concrete and field.name not in NOT_WRITTEN[model]
    ]


def filled(model: type[models.Model], prefix: str, **given: Any) -> tuple[dict, dict]:
    """The form data filling every written field of `model`, and what to look for: a marker
    for each text field (as long as the field allows), the label for each choice."""
    data: dict[str, Any] = {}
    sought: dict[str, str] = {}
    for field in written(model):
        name = field.name
        if name in given:
            data[name] = given[name]
        elif (model, name) in CHOSEN:
            data[name], sought[name] = CHOSEN[model, name]
        elif (model, name) in TYPED:
            data[name] = TYPED[model, name]
        elif isinstance(field, models.CharField | models.TextField) and not field.choices:
            data[name] = sought[name] = f"{prefix}{name.replace('_', '')}"[: field.max_length]
        else:
            raise AssertionError(f"{model.__name__}.{name}: no marker for this field; add one")
    return data, sought


def squashed(text: str) -> str:
    """Without white space: a table cell may break a marker across lines."""
    return "".join(text.split())


def pdf_text(folder: Path) -> str:
    return subprocess.run(
        [shutil.which("pdftotext"), str(folder / "chronology.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.fixture
def every_field(owner, owner_client, tmp_path):
    with time_machine.travel(NOW, tick=False):
        entry_data, entry_sought = filled(EntryVersion, "EMARK")
        response = owner_client.post(reverse("diary:entry_new"), entry_data)
        assert response.status_code == 302, response.content.decode()[:2000]
        entry = Entry.objects.get(diary=owner.diary)

        file_data, file_sought = filled(Evidence, "FMARK")
        response = owner_client.post(
            reverse("diary:evidence_add", args=[entry.pk]),
            {**file_data, "file": upload("texts.jpg", jpeg_bytes())},
        )
        assert response.status_code == 302, response.content.decode()[:2000]

        item_data, item_sought = filled(ItemVersion, "IMARK", entry=str(entry.pk))
        response = owner_client.post(reverse("diary:item_new"), item_data)
        assert response.status_code == 302, response.content.decode()[:2000]

        _witness, token = make_witness(owner, name="Pat", relationship="neighbour")
        contact = opened(token)
        # "Around" a time, with no end: the entry above holds a range.
        report_data, report_sought = filled(Submission, "CMARK", occurred_end="")
        response = contact.post(reverse("witness:home"), report_data)
        assert response.status_code == 302, response.content.decode()[:2000]
        report = Submission.objects.get(diary=owner.diary)
        note_data, note_sought = filled(FollowUp, "NMARK")
        response = contact.post(reverse("witness:receipt", args=[report.reference]), note_data)
        assert response.status_code == 302, response.content.decode()[:2000]
        response = owner_client.post(reverse("witnesses:accept", args=[report.pk]))
        assert response.status_code == 302

        with worker_runs_it():
            response = owner_client.post(
                reverse("diary:exports"), {"include_contacts": "on", "include_reasons": "on"}
            )
        assert response.status_code == 302
    folder = unzip_to(Export.objects.get(diary=owner.diary), tmp_path / "bundle")
    sought = {
        "entry": entry_sought,
        "file": file_sought,
        "item": item_sought,
        "report": report_sought,
        "note": note_sought,
    }
    return folder, sought, report


def test_every_field_written_reaches_the_pdf_in_words(every_field):
    folder, sought, report = every_field
    text = squashed(pdf_text(folder))
    missing = [
        f"{form}.{name} = {value!r}"
        for form, fields in sought.items()
        for name, value in fields.items()
        # The PDF says precision and kinds its own way, and "reported" in a sentence: below.
        if (form, name) not in {("entry", "precision"), ("entry", "behaviours")}
        if (form, name) not in {("report", "precision"), ("entry", "police_reported")}
        if squashed(value) not in text
    ]
    assert missing == []
    # The precision and kinds of the entry, as the PDF says them.
    assert squashed("between Sat 24 Oct 2026, 21:15 +01:00 and 22:45 +01:00") in text
    reported = report.occurred_start.astimezone(report.diary.zone)
    assert squashed(f"around {reported:%a %d %b %Y, %H:%M} +01:00") in text
    assert squashed("Loitering, Threats") in text
    assert squashed("Police: reported; reference EMARKpolicereference") in text
    assert squashed("Map: 51.512345, -0.123456") in text
    assert squashed("Entry #1") in text  # the item's linked entry
    assert squashed("24 Oct 2026, 16:20 +01:00") in text  # handed to the police
    claim = "Device clock said 25 Oct 2026, 08:59 +00:00 (the device\u2019s claim)"
    assert squashed(claim) in text
    assert "loitering" not in text
    assert "in_person" not in text


def test_every_field_written_reaches_the_csv_in_words(every_field):
    folder, sought, report = every_field
    entries = rows_of(folder / "entries.csv")
    items = rows_of(folder / "items.csv")
    text = (folder / "entries.csv").read_text() + (folder / "items.csv").read_text()
    missing = [
        f"{form}.{name} = {value!r}"
        for form, fields in sought.items()
        for name, value in fields.items()
        if value not in text
    ]
    assert missing == []
    contacts, owners = entries  # in the order they happened
    assert contacts["How exact"] == "Around this time"
    assert owners["How exact"] == "Between two times"
    assert owners["Kind"] == "Loitering; Threats"
    assert owners["How"] == "In person"
    assert owners["Reported to police"] == "Yes"
    assert owners["Map position (latitude, longitude)"] == "51.512345, -0.123456"
    assert owners["Occurred (local)"] == "2026-10-24 21:15:00 +01:00"
    assert owners["Occurred (UTC)"] == "2026-10-24T20:15:00Z"
    assert owners["Until (local)"] == "2026-10-24 22:45:00 +01:00"
    # The device's clock as its claim: given in the diary's zone and in UTC, to the second.
    assert owners["Device clock said (the device's claim, local)"] == "2026-10-25 08:59:58 +00:00"
    assert owners["Device clock said (the device's claim, UTC)"] == "2026-10-25T08:59:58Z"
    # A contact's device's clock goes with their report onto the entry made from it.
    assert contacts["Device clock said (the device's claim, UTC)"] == "2026-10-25T09:58:30Z"
    assert owners["Evidence"] == "E001 (Screenshot): FMARKdescription"
    assert contacts["Recorded by"] == "Pat (neighbour)"
    assert contacts["Contact's receipt"] == report.reference
    assert contacts["Contact's kind of report"] == "They approached me or spoke to me"
    assert contacts["Contact would give a statement"] == "Maybe"
    assert contacts["How the police can reach the contact"] == "CMARKstatementcontact"
    assert contacts["Contact's later notes"] == (
        "2026-10-25 09:00:00 +00:00 (2026-10-25T09:00:00Z): NMARKtext"
    )
    [item] = items
    assert item["Linked entry"] == "#1"
    assert item["What kind"] == "Letter or card"
    assert item["How it is kept"] == "Paper bag"
    assert item["Found or received (local)"] == "2026-10-24 07:05:00 +01:00"
    assert item["Handed to the police (UTC)"] == "2026-10-24T15:20:00Z"


def test_a_field_the_test_cannot_fill_fails_it_until_one_is_added(monkeypatch):
    # A new text field gets a marker of its own (and fails until the bundle prints it); a field
    # of another type stops the test until it is given a value and a check.
    monkeypatch.setitem(NOT_WRITTEN, EntryVersion, NOT_WRITTEN[EntryVersion] - {"number"})
    with pytest.raises(AssertionError, match=r"EntryVersion\.number: no marker"):
        filled(EntryVersion, "X")


def test_the_csv_gives_local_time_with_its_offset_beside_utc_to_the_second(owner, tmp_path):
    # The night the clocks go back in London: 01:30 comes twice, an hour apart.
    with time_machine.travel(datetime(2026, 10, 25, 3, 0, 0, 123456, tzinfo=UTC), tick=False):
        make_entry(owner, occurred_start=datetime(2026, 10, 25, 0, 30, 15, 999999, tzinfo=UTC))
        make_entry(owner, occurred_start=datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
        from diary.bundle.services import export_create

        folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "b")
    first, second = rows_of(folder / "entries.csv")
    assert first["Occurred (local)"] == "2026-10-25 01:30:15 +01:00"
    assert first["Occurred (UTC)"] == "2026-10-25T00:30:15Z"
    assert second["Occurred (local)"] == "2026-10-25 01:30:00 +00:00"
    assert second["Occurred (UTC)"] == "2026-10-25T01:30:00Z"
    assert first["First received (local)"] == "2026-10-25 03:00:00 +00:00"
    assert first["First received (UTC)"] == "2026-10-25T03:00:00Z"
    assert "." not in first["First received (UTC)"]


# The night the clocks go back in London: 01:30 comes twice, an hour apart (00:30 and 01:30 UTC).
FIRST_0130 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
SECOND_0130 = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


@pytest.fixture
def clocks_go_back(owner, tmp_path):
    """Everything with a time, written once at each 01:30 of that night."""
    from diary.bundle.services import export_create
    from diary.person.services import person_update
    from diary.records.services import entry_amend
    from tests.factories import make_item
    from tests.witnesses.factories import device_of, make_submission, witness_api_client
    from witnesses.services.submissions import follow_up_add, submission_accept

    with time_machine.travel(FIRST_0130, tick=False):
        _witness, token = make_witness(owner, name="Pat", relationship="neighbour")
        device = device_of(witness_api_client(token))
        first = make_entry(owner, occurred_start=FIRST_0130, what_happened="The first")
        make_item(owner, found_at=FIRST_0130, police_handed_at=FIRST_0130)
        person_update(diary=owner.diary, actor=owner, content={"name": "R"})
        report = make_submission(device, occurred_start=FIRST_0130)
    with time_machine.travel(SECOND_0130, tick=False):
        make_entry(owner, occurred_start=SECOND_0130, what_happened="The second")
        amended = {**first.current.content_values(), "what_happened": "Amended"}
        entry_amend(entry=first, actor=owner, content=amended)
        follow_up_add(device=device, submission=report, text="Later note")
        submission_accept(submission=report, actor=owner)
        export = export_create(diary=owner.diary, actor=owner, include_reasons=True)
    return unzip_to(export, tmp_path / "b")


def test_every_time_in_the_pdf_gives_its_offset_on_the_night_the_clocks_go_back(clocks_go_back):
    text = pdf_text(clocks_go_back)
    flat = squashed(text)
    # When each happened, and when each was first received: the same 01:30 twice, told apart.
    assert squashed("Sun 25 Oct 2026, 01:30 +01:00") in flat
    assert squashed("Sun 25 Oct 2026, 01:30 +00:00") in flat
    assert squashed("25 Oct 2026, 01:30 +01:00") in flat
    assert squashed("25 Oct 2026, 01:30 +00:00") in flat
    # No time is printed without one: every hh:mm is followed by its offset, but for the hours
    # of the day on the patterns chart's axis, which are not moments.
    bare = re.findall(r"(?<![+\-\d])\d\d:\d\d\b(?!\s*[+-]\d\d:\d\d)", text)
    assert set(bare) <= {"00:00", "06:00", "12:00", "18:00"}, bare


def test_every_time_column_in_the_csvs_gives_local_with_offset_beside_utc(clocks_go_back):
    rows = {row["What happened"]: row for row in rows_of(clocks_go_back / "entries.csv")}
    first, second = rows["Amended"], rows["The second"]
    assert first["Occurred (local)"] == "2026-10-25 01:30:00 +01:00"
    assert first["Occurred (UTC)"] == "2026-10-25T00:30:00Z"
    assert first["First received (local)"] == "2026-10-25 01:30:00 +01:00"
    assert first["First received (UTC)"] == "2026-10-25T00:30:00Z"
    assert second["Occurred (local)"] == "2026-10-25 01:30:00 +00:00"
    assert second["First received (local)"] == "2026-10-25 01:30:00 +00:00"
    assert second["First received (UTC)"] == "2026-10-25T01:30:00Z"
    [contacts] = [row for row in rows.values() if row["Contact's receipt"]]
    assert contacts["Contact's later notes"] == (
        "2026-10-25 01:30:00 +00:00 (2026-10-25T01:30:00Z): Later note"
    )
    [item] = rows_of(clocks_go_back / "items.csv")
    assert item["Found or received (local)"] == "2026-10-25 01:30:00 +01:00"
    assert item["Found or received (UTC)"] == "2026-10-25T00:30:00Z"
    assert item["Handed to the police (local)"] == "2026-10-25 01:30:00 +01:00"
    assert item["Handed to the police (UTC)"] == "2026-10-25T00:30:00Z"
    person = dict((row["Field"], row["Value"]) for row in rows_of(clocks_go_back / "person.csv"))
    assert person["Saved (local)"] == "2026-10-25 01:30:00 +01:00"
    assert person["Saved (UTC)"] == "2026-10-25T00:30:00Z"


def test_verify_txt_names_a_file_that_is_in_the_bundle(owner, owner_client, tmp_path):
    from diary.bundle.services import export_create
    from diary.evidence.services import evidence_attach
    from diary.records.services import entry_withdraw

    first = make_entry(owner, what_happened="First")
    evidence_attach(entry=first, actor=owner, upload=upload("a.jpg", jpeg_bytes()))
    second = make_entry(owner, what_happened="Second")
    evidence_attach(entry=second, actor=owner, upload=upload("b.png", png_bytes(), "image/png"))
    entry_withdraw(entry=first, actor=owner, reason="Wrong day")

    folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "b")
    guide = (folder / "VERIFY.txt").read_text()
    assert not (folder / "evidence" / "E001.jpg").exists()
    assert "E001" not in guide
    assert "sha256sum evidence/E002.png" in guide
    assert "certutil -hashfile evidence\\E002.png SHA256" in guide
    assert (folder / "evidence" / "E002.png").exists()

    entry_withdraw(entry=second, actor=owner, reason="Wrong day")
    folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "c")
    guide = (folder / "VERIFY.txt").read_text()
    assert "sha256sum entries.csv" in guide
    assert "{example" not in guide


def test_the_contacts_details_for_the_police_only_when_the_owner_asks(every_field, owner):
    from diary.bundle.services import export_create

    _folder, _sought, report = every_field
    folder = unzip_to(export_create(diary=owner.diary, actor=owner), every_field[0].parent / "n")
    assert "CMARKstatementcontact" not in squashed(pdf_text(folder))
    assert "CMARKstatementcontact" not in (folder / "entries.csv").read_text()
    assert "NMARKtext" in (folder / "entries.csv").read_text()
    assert report.statement_contact == "CMARKstatementcontact"
