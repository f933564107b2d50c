"""About the person: filled by the owner, kept in versions, encrypted, in the bundle, and
offered to the contacts' brief; and the bundle's heading asked at export."""

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from diary.bundle.services import export_create, unzip_to
from diary.models import Export, Job, LedgerRecord, PersonVersion
from diary.person.services import person_update
from tests.conftest import confirmed
from tests.factories import jpeg_bytes, make_entry, upload
from tests.jobs import worker_runs_it
from tests.witnesses.factories import make_witness
from witnesses.models import BriefVersion

pytestmark = pytest.mark.django_db

FIELDS = {
    "name": "MARKER-NAME-Jordan Blake",
    "description": "MARKER-DESC tall, grey beanie",
    "relationship": "other",
    "relationship_other": "MARKER-REL my landlord's son",
    "vehicles": "MARKER-VEH blue Ford Fiesta AB12 CDE\nMARKER-VEH2 white van",
    "addresses": "MARKER-ADDR 4 Oak Lane, Leeds",
}
PLAIN = [
    "MARKER-NAME",
    "Jordan Blake",
    "MARKER-DESC",
    "MARKER-REL",
    "MARKER-VEH",
    "MARKER-ADDR",
]


def fill(client: Client, **changes: Any) -> Any:
    data = {**FIELDS, "photo": upload("them.jpg", jpeg_bytes(exif_time="2024:01:02 03:04:05"))}
    data.update(changes)
    return client.post(reverse("diary:person"), {k: v for k, v in data.items() if v is not None})


def raw_database() -> list[bytes]:
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


def pdf_text(folder: Path, *pages: int) -> str:
    span = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return subprocess.run(
        [shutil.which("pdftotext"), *span, "-layout", str(folder / "chronology.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_every_field_saves_as_a_version_with_its_ledger_record(owner, owner_client):
    response = fill(owner_client)
    assert response.status_code == 302
    version = PersonVersion.objects.get(diary=owner.diary)
    assert {name: str(getattr(version, name)) for name in FIELDS} == FIELDS
    assert version.number == 1 and version.photo_sha256
    record = LedgerRecord.objects.filter(diary=owner.diary).order_by("-seq").first()
    assert record.kind == "person.update"
    assert record.object == f"diary.personversion:{version.pk}"
    page = owner_client.get(reverse("diary:person")).content.decode()
    assert "MARKER-ADDR 4 Oak Lane" in page and reverse("diary:person_photo") in page


def test_the_photo_is_kept_re_encoded_without_its_camera_data(owner, owner_client):
    fill(owner_client)
    response = owner_client.get(reverse("diary:person_photo"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    photo = b"".join(response.streaming_content)
    assert photo.startswith(b"\xff\xd8") and b"PhoneMaker" not in photo
    assert hashlib.sha256(photo).hexdigest() == PersonVersion.objects.get().photo_sha256


def test_saving_again_appends_a_version_and_keeps_the_old_one(owner, owner_client):
    fill(owner_client)
    first = PersonVersion.objects.get()
    records = LedgerRecord.objects.filter(diary=owner.diary).count()
    fill(owner_client, vehicles="MARKER-VEH blue Ford Fiesta AB12 CDF", photo=None)
    versions = list(PersonVersion.objects.filter(diary=owner.diary).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert str(versions[0].vehicles) == FIELDS["vehicles"]  # the old version, as it was
    assert str(versions[1].vehicles) == "MARKER-VEH blue Ford Fiesta AB12 CDF"
    assert versions[1].photo_sha256 == first.photo_sha256  # the photo carries over
    assert LedgerRecord.objects.filter(diary=owner.diary).count() == records + 1
    assert LedgerRecord.objects.filter(diary=owner.diary, kind="person.update").count() == 2


def test_other_without_words_is_a_form_error_and_nothing_is_saved(owner, owner_client):
    response = fill(owner_client, relationship_other="", photo=None)
    assert response.status_code == 200
    assert "Say who they are to you, in your words." in response.content.decode()
    assert not PersonVersion.objects.exists()


def test_the_database_holds_no_plaintext_of_what_she_wrote(owner, owner_client):
    fill(owner_client)
    raw = raw_database()
    for marker in PLAIN:
        assert not [value for value in raw if marker.encode() in value], marker
    assert not [value for value in raw if value == b"other"]  # the relationship's code too


def test_the_bundle_holds_every_field_in_the_pdf_and_person_csv_and_the_photo(
    owner, owner_client, tmp_path
):
    make_entry(owner, what_happened="Seen at the gate")
    fill(owner_client)
    version = PersonVersion.objects.get()
    folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "b")
    text = " ".join(pdf_text(folder).split())
    for value in FIELDS.values():
        if value != "other":
            for line in value.splitlines():
                assert line in text, line
    assert "About the person" in text
    rows = dict(csv.reader(io.StringIO((folder / "person.csv").read_text("utf-8-sig"))))
    assert rows["Name"] == FIELDS["name"]
    assert rows["Description"] == FIELDS["description"]
    assert rows["Relationship to the owner"] == FIELDS["relationship_other"]
    assert rows["Vehicles"] == FIELDS["vehicles"]
    assert rows["Known addresses"] == FIELDS["addresses"]
    assert rows["Photo"] == "person/photo.jpg"
    # When it was saved: in the diary's zone with its offset, and in UTC, to the second.
    saved = version.recorded_at
    local = saved.astimezone(owner.diary.zone)
    offset = local.strftime("%z")
    assert rows["Saved (local)"] == f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"
    assert rows["Saved (UTC)"] == saved.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    photo = (folder / "person" / "photo.jpg").read_bytes()
    digest = hashlib.sha256(photo).hexdigest()
    assert digest == version.photo_sha256
    manifest = json.loads((folder / "manifest.json").read_text())
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert listed["person/photo.jpg"] == digest
    assert "person.csv" in listed
    about = next(o for o in manifest["objects"] if o["reference"] == "About the person v1")
    assert about["content"]["photo_sha256"] == digest
    result = subprocess.run(
        [sys.executable, str(folder / "verify.py")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_a_chosen_relationship_reaches_the_bundle_in_words(owner, tmp_path):
    person_update(diary=owner.diary, actor=owner, content={"relationship": "former_partner"})
    folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "b")
    rows = dict(csv.reader(io.StringIO((folder / "person.csv").read_text("utf-8-sig"))))
    assert rows["Relationship to the owner"] == "A former partner"
    assert "A former partner" in pdf_text(folder)
    assert not (folder / "person" / "photo.jpg").exists()


def test_without_it_the_bundle_has_an_empty_person_csv_and_no_section(owner, tmp_path):
    folder = unzip_to(export_create(diary=owner.diary, actor=owner), tmp_path / "b")
    assert (folder / "person.csv").read_text("utf-8-sig").splitlines() == ["Field,Value"]
    assert "About the person" not in pdf_text(folder)


def test_no_one_else_reaches_the_page_or_the_photo(owner, owner_client, other_client):
    fill(owner_client)
    anonymous = Client()
    for url in (reverse("diary:person"), reverse("diary:person_photo")):
        response = anonymous.get(url)
        assert response.status_code == 302 and "MARKER" not in response.content.decode()
    # Another owner sees their own empty page, and has no photo.
    confirmed(other_client)
    page = other_client.get(reverse("diary:person"))
    assert page.status_code == 200 and "MARKER" not in page.content.decode()
    assert other_client.get(reverse("diary:person_photo")).status_code == 404
    # A contact of hers, with their link's cookie, has no account: they are sent to sign in.
    contact = Client()
    assert contact.get(f"/w/{make_witness(owner)[1]}").status_code == 302
    for url in (reverse("diary:person"), reverse("diary:person_photo")):
        response = contact.get(url)
        assert response.status_code in (302, 404) and "MARKER" not in response.content.decode()
    assert PersonVersion.objects.count() == 1


def test_the_page_asks_her_to_confirm_first(unconfirmed_client):
    response = unconfirmed_client.get(reverse("diary:person"))
    assert response.status_code == 302 and "reauthenticate" in response["Location"]


def test_the_brief_fills_from_about_the_person_only_when_asked(owner, owner_client):
    fill(owner_client)
    plain = owner_client.get(reverse("witnesses:brief")).content.decode()
    assert "Fill from About the person" in plain and "MARKER-VEH" not in plain
    page = owner_client.get(reverse("witnesses:brief") + "?fill=person").content.decode()
    assert "Copied from About the person." in page
    assert "MARKER-NAME-Jordan Blake\nMARKER-DESC tall, grey beanie</textarea>" in page
    assert "MARKER-VEH blue Ford Fiesta AB12 CDE\nMARKER-VEH2 white van</textarea>" in page
    assert "MARKER-ADDR 4 Oak Lane, Leeds</textarea>" in page
    assert "MARKER-REL" not in page  # who they are to her stays with her
    assert not BriefVersion.objects.exists()  # nothing saved until she saves


def test_the_brief_copies_only_the_parts_she_ticks(owner, owner_client):
    fill(owner_client)
    page = owner_client.get(reverse("witnesses:brief")).content.decode()
    assert page.count('name="take"') == 4
    # Known addresses are offered, but not ticked: every contact sees the brief.
    assert page.count('name="take" value="addresses" checked') == 0
    assert page.count('" checked>') == 3
    url = reverse("witnesses:brief") + "?fill=person&take=vehicles"
    page = owner_client.get(url).content.decode()
    assert "MARKER-VEH2 white van</textarea>" in page
    assert "MARKER-NAME" not in page and "MARKER-ADDR" not in page


def test_the_brief_offers_no_fill_before_about_the_person_is_filled(owner_client):
    page = owner_client.get(reverse("witnesses:brief") + "?fill=person").content.decode()
    assert "Fill from About the person" not in page and "Copied from" not in page


def test_the_settings_page_leads_to_about_the_person(owner_client):
    page = owner_client.get(reverse("diary:settings")).content.decode()
    assert reverse("diary:person") in page


# The bundle's heading and her name, asked at export


def export_post(client: Client, **data: str) -> Any:
    with worker_runs_it():
        return client.post(reverse("diary:exports"), data)


def test_the_export_form_asks_for_the_title_and_name_and_offers_them_next_time(owner, owner_client):
    page = owner_client.get(reverse("diary:exports")).content.decode()
    assert 'name="title"' in page and 'name="owner_name"' in page
    response = export_post(owner_client, title="MARKER-TITLE Log", owner_name="MARKER-OWNER Sam")
    assert response.status_code == 302
    export = Export.objects.get(diary=owner.diary)
    assert (export.title, export.owner_name) == ("MARKER-TITLE Log", "MARKER-OWNER Sam")
    page = owner_client.get(reverse("diary:exports")).content.decode()
    assert 'value="MARKER-TITLE Log"' in page and 'value="MARKER-OWNER Sam"' in page
    raw = raw_database()
    assert not [value for value in raw if b"MARKER-OWNER" in value]


def test_the_pdf_first_page_carries_her_title_and_name(owner, owner_client, tmp_path):
    export_post(owner_client, title="MARKER-TITLE Log", owner_name="MARKER-OWNER Sam")
    folder = unzip_to(Export.objects.get(), tmp_path / "b")
    first = pdf_text(folder, 1)
    assert "MARKER-TITLE Log" in first and "MARKER-OWNER Sam" in first
    assert "Notes" not in first


def test_a_blank_title_heads_the_pdf_neutrally_never_with_notes(owner, owner_client, tmp_path):
    assert str(owner.diary.title) == "Notes"
    export_post(owner_client, title="", owner_name="")
    first = pdf_text(unzip_to(Export.objects.get(), tmp_path / "a"), 1)
    assert "Incident diary" in first and "Notes" not in first
    export_post(owner_client, title="", owner_name="Sam Rivers")
    second = pdf_text(unzip_to(Export.objects.get(number=2), tmp_path / "b"), 1)
    assert "Incident diary of Sam Rivers" in " ".join(second.split())


def test_her_name_on_the_bundle_is_shown_on_no_other_page(owner, owner_client):
    entry = make_entry(owner)
    export_post(owner_client, title="MARKER-TITLE Log", owner_name="MARKER-OWNER Sam")
    job = Job.objects.get()
    assert job.params == {}  # what was asked goes once the job ends
    for url in (
        reverse("diary:job", args=[job.pk]),
        reverse("api:job", args=[job.pk]),
        reverse("diary:timeline"),
        reverse("diary:entry", args=[entry.pk]),
        reverse("diary:settings"),
        reverse("diary:person"),
        reverse("diary:patterns"),
        reverse("diary:items"),
        reverse("diary:access_log"),
        reverse("witnesses:brief"),
        reverse("witnesses:contacts"),
        reverse("api:exports"),
    ):
        text = owner_client.get(url).content.decode()
        assert "MARKER-OWNER" not in text and "MARKER-TITLE" not in text, url


def test_the_api_takes_the_title_and_name_too(owner, api, tmp_path):
    with worker_runs_it():
        response = api.post(
            reverse("api:exports"), {"title": "API title", "owner_name": "Sam"}, format="json"
        )
    assert response.status_code == 202, response.content
    export = Export.objects.get()
    assert (export.title, export.owner_name) == ("API title", "Sam")
    assert "API title" in pdf_text(unzip_to(export, tmp_path / "b"), 1)


def test_the_export_command_takes_the_heading_and_name(owner, tmp_path):
    out = tmp_path / "b.zip"
    call_command(
        "export_diary",
        diary=owner.diary.pk,
        out=str(out),
        title="Server title",
        owner_name="Sam Rivers",
        stdout=io.StringIO(),
    )
    export = Export.objects.get()
    assert (export.title, export.owner_name) == ("Server title", "Sam Rivers")
    first = pdf_text(unzip_to(export, tmp_path / "b"), 1)
    assert "Server title" in first and "Sam Rivers" in first
