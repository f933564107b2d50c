"""Stored files on S3-compatible storage (diary.core.s3), against moto's S3 in this process: the
bucket only ever holds ciphertext, files stream both ways without a local path, each save is
durable once acknowledged, and files reach people only through the app's own permission checks.
`tests/test_stack.py` checks the same against a real S3 server behind the whole stack."""

import hashlib
import io
import threading
from datetime import timedelta

import boto3
import pytest
from django.core.checks import run_checks
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from diary.bundle.services import export_create, unzip_to
from diary.core import filestore
from diary.core.s3 import NO_URLS, PART_SIZE, S3Storage
from diary.evidence.services import evidence_attach
from diary.ledger.verify import ledger_verify
from diary.models import Evidence
from tests.conftest import confirmed
from tests.diary.test_export import run_verify
from tests.factories import PDF_BYTES, jpeg_bytes, make_entry, upload
from tests.jobs import worker_runs_it
from tests.test_project import settings_error
from tests.witnesses.factories import make_witness, witness_api_client

pytestmark = pytest.mark.django_db

BUCKET = "sightline-test"
SENTINEL = b"SENTINEL-plain-words-never-in-the-bucket-7f3a"


@pytest.fixture
def bucket(settings):
    """S3 as the default storage, on moto's in-process S3: the bucket's raw objects."""
    # Imported here: moto adds a quarter of a second to every run that collects this file (on
    # each worker), whether or not it runs these tests.
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "diary.core.s3.S3Storage",
                "OPTIONS": {"bucket_name": BUCKET, "region_name": "us-east-1"},
            },
        }
        yield client


def objects(client) -> dict[str, bytes]:
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", ()):
            body = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            found[item["Key"]] = body
    return found


def pdf_with_sentinel() -> bytes:
    return PDF_BYTES.replace(b"%%EOF", b"% " + SENTINEL + b"\n%%EOF")


def test_the_default_storage_is_s3_and_has_no_local_path(bucket):
    default_storage._setup()
    assert isinstance(default_storage._wrapped, S3Storage)
    with pytest.raises(NotImplementedError):
        default_storage.path("anything")


def test_a_file_round_trips_and_the_bucket_holds_only_ciphertext(bucket):
    plain = SENTINEL * 1000  # several segments
    stored = filestore.save("evidence/1/a.enc", io.BytesIO(plain))
    assert stored.sha256 == hashlib.sha256(plain).hexdigest()
    assert stored.size == len(plain)
    raw = objects(bucket)
    assert list(raw) == [stored.name]
    assert raw[stored.name].startswith(filestore.MAGIC)
    assert SENTINEL not in raw[stored.name]
    with filestore.open(stored.name, stored.key) as handle:
        assert handle.read() == plain


def test_a_file_larger_than_one_part_goes_up_in_parts_and_comes_back_whole(bucket):
    plain = bytes(range(256)) * (PART_SIZE // 256 + 5000)  # just over one part
    stored = filestore.save("exports/1/big.enc", io.BytesIO(plain))
    head = bucket.head_object(Bucket=BUCKET, Key=stored.name)
    assert "-" in head["ETag"]  # a multipart upload's ETag names its part count
    assert filestore.sha256_of(stored.name, stored.key) == hashlib.sha256(plain).hexdigest()


def test_a_streamed_bundle_is_stored_in_the_bucket(bucket):
    with filestore.create("exports/1/streamed.enc") as out:
        for _ in range(100):
            out.write(SENTINEL * 100)
    assert SENTINEL not in objects(bucket)[out.stored.name]
    assert filestore.sha256_of(out.stored.name, out.stored.key) == out.sha256


def test_reads_stream_from_the_bucket_instead_of_downloading_first(bucket):
    stored = filestore.save("evidence/1/b.enc", io.BytesIO(SENTINEL * 10_000))
    with default_storage.open(stored.name, "rb") as handle:
        # The response body itself, read as it arrives: not a spooled copy of the whole object.
        assert not handle.file.seekable()
        assert handle.read(len(filestore.MAGIC)) == filestore.MAGIC


def test_a_missing_object_is_a_missing_file(bucket):
    with pytest.raises(FileNotFoundError):
        default_storage.open("evidence/1/never.enc", "rb")
    assert not filestore.exists("evidence/1/never.enc")


def test_a_name_in_use_is_never_overwritten(bucket):
    first = filestore.save("brief/1/photo.enc", io.BytesIO(b"first"))
    second = filestore.save("brief/1/photo.enc", io.BytesIO(b"second"))
    assert first.name != second.name
    with filestore.open(first.name, first.key) as handle:
        assert handle.read() == b"first"


def test_there_is_no_bucket_url_to_give_out(bucket):
    stored = filestore.save("evidence/1/c.enc", io.BytesIO(b"x"))
    with pytest.raises(NotImplementedError, match="served only through the app"):
        default_storage.url(stored.name)
    assert "served only through the app's views" in NO_URLS


def test_every_thread_shares_one_client(bucket):
    default_storage._setup()
    storage = default_storage._wrapped
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(storage.connection)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(each) for each in seen}) == 1


def test_a_save_to_s3_is_durable_once_acknowledged(bucket, monkeypatch):
    flushed = []
    monkeypatch.setattr(filestore.os, "fsync", flushed.append)
    filestore.save("evidence/1/d.enc", io.BytesIO(b"x"))
    assert flushed == []  # nothing local to flush: the PUT's success is the promise
    default_storage._setup()
    assert filestore.can_be_durable(default_storage._wrapped)


def test_a_storage_that_cannot_vouch_for_a_save_keeps_nothing():
    storage = InMemoryStorage()  # no local paths, and no promise that a save is durable
    with pytest.raises(filestore.NotDurableError):
        filestore.save("evidence/1/e.enc", io.BytesIO(b"x"), storage)
    assert storage.listdir("evidence/1") == ([], [])
    assert not filestore.can_be_durable(storage)


def test_the_start_up_check_refuses_such_a_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    assert [each.id for each in run_checks()] == ["diary.E001"]


def test_evidence_is_uploaded_read_back_and_verified_through_the_app(bucket, owner, owner_client):
    entry = make_entry(owner, what_happened="A letter through the door")
    response = APIClient()
    response.force_login(owner)
    created = response.post(
        f"/api/entries/{entry.pk}/evidence/",
        {"file": upload("letter.pdf", pdf_with_sentinel(), "application/pdf")},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    evidence = Evidence.objects.get()
    raw = objects(bucket)
    assert evidence.original.name in raw
    assert not [key for key, body in raw.items() if SENTINEL in body]
    page = owner_client.get(reverse("diary:evidence_original", args=[evidence.pk]))
    assert SENTINEL in b"".join(page.streaming_content)
    assert ledger_verify().ok


def test_only_the_owner_gets_a_file_from_the_bucket(bucket, owner, other_client, anon_client):
    entry = make_entry(owner)
    evidence = evidence_attach(entry=entry, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
    path = reverse("diary:evidence_original", args=[evidence.pk])
    assert other_client.get(path).status_code == 404
    assert anon_client.get(path).status_code == 302  # to the sign-in page, and nothing else


def test_a_witness_photo_lands_encrypted(bucket, owner):
    _witness, token = make_witness(owner)
    client = witness_api_client(token)
    sent = client.post(
        "/api/witness/submissions/",
        {
            "kind": "saw",
            "what_happened": "Grey car",
            "files": [upload("p.pdf", pdf_with_sentinel(), "application/pdf")],
        },
        format="multipart",
    )
    assert sent.status_code == 201, sent.content
    raw = objects(bucket)
    assert any(key.startswith(f"witness/{owner.diary.pk}/") for key in raw)
    assert not [key for key, body in raw.items() if SENTINEL in body]


def test_a_bundle_exports_from_the_bucket_and_verifies(bucket, owner, tmp_path):
    entry = make_entry(owner, what_happened="Car outside")
    evidence_attach(
        entry=entry, actor=owner, upload=upload("doc.pdf", pdf_with_sentinel(), "application/pdf")
    )
    export = export_create(diary=owner.diary, actor=owner)
    assert export.bundle.name in objects(bucket)
    folder = unzip_to(export, tmp_path / "bundle")
    result = run_verify(folder)
    assert result.returncode == 0, result.stdout
    assert not [key for key, body in objects(bucket).items() if SENTINEL in body]


def test_the_bundle_downloads_through_the_app(bucket, owner):
    make_entry(owner)
    client = APIClient()
    client.force_login(owner)
    confirmed(client)
    with worker_runs_it():
        made = client.post("/api/exports/", {}, format="json")
    assert made.status_code == 202, made.content
    job = client.get(made["Location"]).json()
    download = client.get(job["export"]["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"PK")


def test_a_changed_object_is_found_by_the_ledger_check(bucket, owner):
    entry = make_entry(owner)
    evidence = evidence_attach(entry=entry, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
    body = bytearray(objects(bucket)[evidence.original.name])
    body[-20] ^= 1
    bucket.put_object(Bucket=BUCKET, Key=evidence.original.name, Body=bytes(body))
    result = ledger_verify()
    assert not result.ok
    bucket.delete_object(Bucket=BUCKET, Key=evidence.original.name)
    assert not ledger_verify().ok


def test_sweep_orphans_lists_and_removes_from_the_bucket(bucket, owner):
    entry = make_entry(owner)
    kept = evidence_attach(entry=entry, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
    orphan = default_storage.save("evidence/1/left-by-a-crash.enc", ContentFile(b"x"))
    out = io.StringIO()
    call_command("sweep_orphans", "--older-than", "0", stdout=out)
    assert f"Removed {orphan}" in out.getvalue()
    assert set(objects(bucket)) == {kept.original.name, kept.preview.name}
    assert default_storage.get_modified_time(kept.original.name) <= timezone.now() + timedelta(
        seconds=5
    )


def test_s3_settings_are_strict():
    assert "set the bucket too" in settings_error(S3_ENDPOINT_URL="http://127.0.0.1:9000")
    assert "S3_ADDRESSING_STYLE must be" in settings_error(
        S3_BUCKET="b", S3_ADDRESSING_STYLE="sideways"
    )
    assert "Set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY" in settings_error(
        S3_BUCKET="b", S3_ACCESS_KEY_ID="k"
    )
    assert settings_error(S3_BUCKET="b", S3_ENDPOINT_URL="http://127.0.0.1:9000") == ""
