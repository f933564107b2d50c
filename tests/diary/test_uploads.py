"""Files and recordings sent in pieces (tus): the protocol, the pieces kept as they arrive,
the whole checked and kept as evidence, recordings cut off, and who may use the endpoints."""

import base64
import hashlib
from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from diary import messages
from diary.core import filestore
from diary.ledger.verify import ledger_verify
from diary.models import Entry, Evidence, LedgerRecord, Upload, UploadFinish, UploadPiece
from diary.uploads.services import recordings_tend
from tests.factories import OwnerFactory, jpeg_bytes, make_entry
from tests.witnesses.conftest import invite, opened
from witnesses.models import Submission, SubmissionFile
from witnesses.services.links import link_revoke

pytestmark = pytest.mark.django_db

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def webm_bytes(length: int = 40_000, seed: int = 0) -> bytes:
    """A WebM as a sniffer knows one (EBML, DocType webm), then counting bytes: what
    MediaRecorder's pieces joined look like to the server."""
    head = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87\x81\x04"
    return head + bytes((i + seed) % 251 for i in range(length - len(head)))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def meta(**values: str) -> str:
    return ",".join(f"{key} {b64(value)}" for key, value in values.items())


def checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def create(client: Client, collection: str, length: int | None = None, **metadata: str):
    headers = dict(TUS)
    if length is None:
        headers["HTTP_UPLOAD_DEFER_LENGTH"] = "1"
    else:
        headers["HTTP_UPLOAD_LENGTH"] = str(length)
    if metadata:
        headers["HTTP_UPLOAD_METADATA"] = meta(**metadata)
    return client.post(collection, **headers)


def patch(client: Client, url: str, offset: int, data: bytes, **headers: str):
    return client.generic(
        "PATCH",
        url,
        data,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **TUS,
        **headers,
    )


def head(client: Client, url: str):
    return client.head(url, **TUS)


def location(response) -> str:
    assert response.status_code == 201, (response.status_code, response.content)
    return response["Location"].removeprefix("http://testserver")


# The protocol


def test_options_says_what_the_server_speaks(owner_client):
    response = owner_client.options("/diary/uploads/")
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert "creation-defer-length" in response["Tus-Extension"]
    assert "checksum" in response["Tus-Extension"]
    assert response["Tus-Checksum-Algorithm"] == "sha256"


def test_a_file_sent_in_three_pieces_is_kept_on_its_entry_with_its_hash(owner, owner_client):
    entry = make_entry(owner)
    data = jpeg_bytes(size=(640, 480)) + b""
    whole = hashlib.sha256(data).hexdigest()
    url = location(
        create(
            owner_client,
            "/diary/uploads/",
            len(data),
            filename="IMG_1.jpg",
            entry=str(entry.pk),
            sha256=whole,
        )
    )
    assert head(owner_client, url)["Upload-Offset"] == "0"
    cuts = [0, len(data) // 3, 2 * len(data) // 3, len(data)]
    for start, end in pairwise(cuts):
        response = patch(owner_client, url, start, data[start:end])
        assert response.status_code == 204, response.content
        assert response["Upload-Offset"] == str(end)
    assert response["Upload-Kept-At"] == f"/diary/entries/{entry.pk}/"
    evidence = Evidence.objects.get(entry=entry)
    assert evidence.sha256 == whole
    with evidence.original_file.open() as handle:
        assert handle.read() == data
    finish = UploadFinish.objects.get()
    assert finish.sha256 == whole and finish.outcome == "complete"
    assert [piece[2] for piece in finish.pieces] == [
        hashlib.sha256(data[a:b]).hexdigest() for a, b in pairwise(cuts)
    ]
    assert finish.result == f"diary.evidence:{evidence.pk}"
    kinds = list(LedgerRecord.objects.order_by("-seq").values_list("kind", flat=True)[:2])
    assert kinds == ["upload.finish", "evidence.attach"]
    # The pieces have gone: the original and the finish's record are what stays.
    assert not UploadPiece.objects.exists()
    assert ledger_verify(diary=owner.diary).ok, ledger_verify(diary=owner.diary).problem
    assert head(owner_client, url)["Upload-Offset"] == str(len(data))


def test_an_offset_that_is_not_the_servers_is_409_and_keeps_nothing(owner, owner_client):
    entry = make_entry(owner)
    data = jpeg_bytes()
    url = location(create(owner_client, "/diary/uploads/", len(data), entry=str(entry.pk)))
    response = patch(owner_client, url, 5, data[5:])
    assert response.status_code == 409
    assert response.content.decode() == str(messages.UPLOAD_OFFSET_MOVED)
    assert not UploadPiece.objects.exists()
    assert Upload.objects.get().offset == 0


def test_a_piece_whose_checksum_is_wrong_is_460_and_keeps_nothing(owner, owner_client):
    entry = make_entry(owner)
    data = jpeg_bytes()
    url = location(create(owner_client, "/diary/uploads/", len(data), entry=str(entry.pk)))
    response = patch(owner_client, url, 0, data, HTTP_UPLOAD_CHECKSUM=checksum(b"other"))
    assert response.status_code == 460
    assert response.content.decode() == str(messages.UPLOAD_CHECKSUM_WRONG)
    assert not UploadPiece.objects.exists()
    assert not Evidence.objects.exists()
    response = patch(owner_client, url, 0, data, HTTP_UPLOAD_CHECKSUM=checksum(data))
    assert response.status_code == 204
    assert Evidence.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_a_whole_that_does_not_hash_as_declared_is_never_evidence(owner, owner_client):
    entry = make_entry(owner)
    data = jpeg_bytes()
    url = location(
        create(
            owner_client,
            "/diary/uploads/",
            len(data),
            entry=str(entry.pk),
            sha256=hashlib.sha256(b"something else").hexdigest(),
        )
    )
    response = patch(owner_client, url, 0, data)
    assert response.status_code == 460
    assert response.content.decode() == str(messages.UPLOAD_WHOLE_CHECKSUM_WRONG)
    assert not Evidence.objects.exists()
    assert not UploadFinish.objects.exists()
    assert not UploadPiece.objects.exists()
    assert Upload.objects.get().state == "refused"
    assert head(owner_client, url).status_code == 404


def test_a_file_larger_than_the_cap_is_413_at_creation(owner, owner_client, settings):
    entry = make_entry(owner)
    response = create(
        owner_client, "/diary/uploads/", settings.EVIDENCE_MAX_BYTES + 1, entry=str(entry.pk)
    )
    assert response.status_code == 413
    assert not Upload.objects.exists()


def test_a_piece_past_the_declared_length_is_413(owner, owner_client):
    entry = make_entry(owner)
    data = jpeg_bytes()
    url = location(create(owner_client, "/diary/uploads/", len(data) - 10, entry=str(entry.pk)))
    assert patch(owner_client, url, 0, data).status_code == 413
    assert not UploadPiece.objects.exists()


def test_a_piece_larger_than_a_piece_may_be_is_413(owner, owner_client, settings):
    settings.UPLOAD_PIECE_MAX_BYTES = 64 * 1024
    url = location(create(owner_client, "/diary/uploads/", media="video"))
    assert patch(owner_client, url, 0, webm_bytes(64 * 1024 + 1)).status_code == 413
    assert not UploadPiece.objects.exists()


def test_a_recording_past_the_evidence_cap_is_413(owner, owner_client, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    url = location(create(owner_client, "/diary/uploads/", media="video"))
    piece = webm_bytes(600_000)
    assert patch(owner_client, url, 0, piece).status_code == 204
    assert patch(owner_client, url, len(piece), piece).status_code == 413
    assert UploadPiece.objects.count() == 1


def test_an_expired_upload_is_404(owner, owner_client, settings):
    settings.UPLOAD_EXPIRES_SECONDS = 600
    entry = make_entry(owner)
    data = jpeg_bytes()
    url = location(create(owner_client, "/diary/uploads/", len(data), entry=str(entry.pk)))
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert head(owner_client, url).status_code == 404
        assert patch(owner_client, url, 0, data).status_code == 404
    assert not Evidence.objects.exists()


def test_an_unknown_upload_is_404(owner_client):
    url = "/diary/uploads/00000000-0000-4000-8000-000000000000"
    assert head(owner_client, url).status_code == 404
    assert patch(owner_client, url, 0, b"x").status_code == 404


def test_without_tus_resumable_it_is_412(owner, owner_client):
    response = owner_client.post("/diary/uploads/", HTTP_UPLOAD_LENGTH="10")
    assert response.status_code == 412
    assert not Upload.objects.exists()


def test_a_patch_of_another_content_type_is_415(owner, owner_client):
    url = location(create(owner_client, "/diary/uploads/", media="audio"))
    response = owner_client.generic(
        "PATCH", url, b"abc", content_type="text/plain", HTTP_UPLOAD_OFFSET="0", **TUS
    )
    assert response.status_code == 415


def test_a_file_needs_an_entry_of_hers(owner, owner_client):
    other = make_entry(OwnerFactory())
    assert create(owner_client, "/diary/uploads/", 100).status_code == 400
    assert create(owner_client, "/diary/uploads/", 100, entry=str(other.pk)).status_code == 404
    assert not Upload.objects.exists()


def test_a_piece_takes_a_bounded_number_of_queries(
    owner, owner_client, django_assert_max_num_queries
):
    url = location(create(owner_client, "/diary/uploads/", media="audio"))
    piece = webm_bytes(10_000)
    patch(owner_client, url, 0, piece)
    for number in range(1, 4):
        with django_assert_max_num_queries(12):
            response = patch(owner_client, url, number * len(piece), piece[:5000] + bytes(5000))
        assert response.status_code == 204


# Recordings


def test_a_recording_stopped_is_kept_as_a_new_entry_dated_when_it_started(owner, owner_client):
    start = timezone.now() - timedelta(minutes=1)
    data = webm_bytes(30_000)
    with time_machine.travel(start, tick=False):
        url = location(
            create(owner_client, "/diary/uploads/", media="audio", filename="recording.webm")
        )
    pieces = [data[:10_000], data[10_000:20_000], data[20_000:]]
    offset = 0
    for number, piece in enumerate(pieces):
        final = {"HTTP_UPLOAD_LENGTH": str(len(data))} if number == 2 else {}
        response = patch(
            owner_client, url, offset, piece, HTTP_UPLOAD_CHECKSUM=checksum(piece), **final
        )
        assert response.status_code == 204
        offset += len(piece)
    entry = Entry.objects.get()
    assert response["Upload-Kept-At"] == f"/diary/entries/{entry.pk}/"
    assert entry.current.occurred_start == start
    assert entry.current.what_happened == str(messages.RECORDING_MADE_HERE["audio"])
    evidence = entry.evidence.get()
    assert evidence.kind == "audio"  # sound in a WebM, which a sniffer calls video
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    finish = UploadFinish.objects.get()
    assert finish.outcome == "complete" and finish.cut_off_after is None
    assert [p[2] for p in finish.pieces] == [hashlib.sha256(p).hexdigest() for p in pieces]
    assert ledger_verify(diary=owner.diary).ok, ledger_verify(diary=owner.diary).problem


def test_a_recording_that_stops_getting_pieces_is_kept_as_cut_off(owner, owner_client, settings):
    start = timezone.now() - timedelta(minutes=5)
    data = webm_bytes(20_000)
    with time_machine.travel(start, tick=False):
        url = location(create(owner_client, "/diary/uploads/", media="video"))
    with time_machine.travel(start + timedelta(seconds=4), tick=False):
        assert patch(owner_client, url, 0, data[:10_000]).status_code == 204
    with time_machine.travel(start + timedelta(seconds=42), tick=False):
        assert patch(owner_client, url, 10_000, data[10_000:]).status_code == 204
        # Still recording: nothing is evidence yet.
        assert recordings_tend() == 0
        assert not Evidence.objects.exists()
    quiet = start + timedelta(seconds=42 + settings.RECORDING_QUIET_SECONDS + 1)
    with time_machine.travel(quiet, tick=False):
        call_command("tend_jobs")
    evidence = Evidence.objects.get()
    assert evidence.description == "Recording cut off at 00:42."
    assert evidence.kind == "video"
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert "Recording cut off at 00:42." in evidence.entry.current.what_happened
    finish = UploadFinish.objects.get()
    assert finish.outcome == "cut_off"
    assert finish.cut_off_after == timedelta(seconds=42)
    assert len(finish.pieces) == 2
    assert Upload.objects.get().state == "cut_off"
    record = LedgerRecord.objects.get(kind="upload.finish")
    assert record.object == f"diary.uploadfinish:{finish.pk}"
    assert ledger_verify(diary=owner.diary).ok, ledger_verify(diary=owner.diary).problem
    # A piece that comes after is refused: the recording is kept as it was.
    assert patch(owner_client, url, len(data), b"late").status_code in (204, 404)
    assert Evidence.objects.count() == 1
    response = head(owner_client, url)
    assert response["Upload-Offset"] == str(len(data))


def test_a_recording_on_an_entry_goes_on_that_entry(owner, owner_client):
    entry = make_entry(owner)
    data = webm_bytes()
    url = location(create(owner_client, "/diary/uploads/", media="video", entry=str(entry.pk)))
    response = patch(owner_client, url, 0, data, HTTP_UPLOAD_LENGTH=str(len(data)))
    assert response.status_code == 204
    assert Entry.objects.count() == 1
    assert entry.evidence.get().kind == "video"


def test_a_recording_that_is_not_a_recording_is_refused_and_never_evidence(owner, owner_client):
    url = location(create(owner_client, "/diary/uploads/", media="audio"))
    response = patch(owner_client, url, 0, b"MZ not a recording", HTTP_UPLOAD_LENGTH="18")
    assert response.status_code == 422
    assert not Evidence.objects.exists() and not Entry.objects.exists()
    assert Upload.objects.get().state == "refused"
    assert not UploadPiece.objects.exists()


def test_the_pieces_are_kept_encrypted_as_they_arrive(owner, owner_client, settings):
    url = location(create(owner_client, "/diary/uploads/", media="audio"))
    piece = webm_bytes(10_000)
    patch(owner_client, url, 0, piece)
    kept = UploadPiece.objects.get()
    assert kept.sha256 == hashlib.sha256(piece).hexdigest()
    raw = (settings.MEDIA_ROOT / kept.stored.name).read_bytes()
    assert piece[:100] not in raw
    with filestore.open(kept.stored.name, kept.stored_key) as handle:
        assert handle.read() == piece


def test_unfinished_files_past_their_time_go_and_leave_nothing(owner, owner_client):
    entry = make_entry(owner)
    data = jpeg_bytes()
    url = location(create(owner_client, "/diary/uploads/", len(data), entry=str(entry.pk)))
    patch(owner_client, url, 0, data[:100])
    name = UploadPiece.objects.get().stored.name
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        recordings_tend()
    assert not UploadPiece.objects.exists()
    assert not filestore.exists(name)
    assert not Evidence.objects.exists()


# A contact's recordings


def test_a_contacts_recording_becomes_their_submission(owner):
    witness, token = invite(owner)
    client = opened(token)
    data = webm_bytes()
    url = location(create(client, "/w/uploads/", media="video"))
    assert url.startswith("/w/uploads/")
    response = patch(client, url, 0, data, HTTP_UPLOAD_LENGTH=str(len(data)))
    assert response.status_code == 204
    submission = Submission.objects.get()
    assert response["Upload-Kept-At"] == f"/w/sent/{submission.reference}/"
    assert submission.witness == witness
    file = SubmissionFile.objects.get(submission=submission)
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert not Evidence.objects.exists()  # the owner decides, as for any contact's file
    assert LedgerRecord.objects.order_by("-seq").first().kind == "upload.finish"
    assert ledger_verify(diary=owner.diary).ok, ledger_verify(diary=owner.diary).problem


def test_a_contacts_recording_cut_off_is_their_submission_too(owner, settings):
    _, token = invite(owner)
    client = opened(token)
    start = timezone.now() - timedelta(minutes=5)
    with time_machine.travel(start, tick=False):
        url = location(create(client, "/w/uploads/", media="audio"))
    with time_machine.travel(start + timedelta(seconds=9), tick=False):
        patch(client, url, 0, webm_bytes())
    with time_machine.travel(start + timedelta(seconds=9 + settings.RECORDING_QUIET_SECONDS + 1)):
        assert recordings_tend() == 1
    submission = Submission.objects.get()
    assert "Recording cut off at 00:09." in submission.what_happened
    assert submission.files.get().kind == "audio"


def test_a_contact_may_not_start_a_file_for_an_entry(owner):
    _, token = invite(owner)
    client = opened(token)
    assert create(client, "/w/uploads/", 100).status_code == 400
    assert not Upload.objects.exists()


# Who may


@pytest.fixture
def owners_upload(owner, owner_client):
    return location(create(owner_client, "/diary/uploads/", media="audio"))


@pytest.fixture
def contacts_upload(owner):
    _, token = invite(owner)
    client = opened(token)
    return client, location(create(client, "/w/uploads/", media="audio"))


def outsiders(owner):
    """Someone signed out, another owner, another owner's contact, and a revoked contact."""
    other = OwnerFactory()
    other_client = Client()
    other_client.force_login(other)
    _, other_token = invite(other)
    revoked, revoked_token = invite(owner, name="Sam")
    revoked_client = opened(revoked_token)
    link_revoke(witness=revoked, actor=owner)
    return {
        "anonymous": Client(),
        "other owner": other_client,
        "other owner's contact": opened(other_token),
        "revoked contact": revoked_client,
    }


def test_nobody_else_reaches_the_owners_upload(owner, owners_upload, contacts_upload):
    contact, _ = contacts_upload
    for who, client in {**outsiders(owner), "her own contact": contact}.items():
        assert head(client, owners_upload).status_code in (302, 404), who
        response = patch(client, owners_upload, 0, webm_bytes())
        assert response.status_code in (302, 404), who
    assert not UploadPiece.objects.exists()


def test_nobody_else_reaches_a_contacts_upload(owner, owner_client, contacts_upload):
    _, url = contacts_upload
    for who, client in {**outsiders(owner), "the owner": owner_client}.items():
        assert head(client, url).status_code == 404, who
        assert patch(client, url, 0, webm_bytes()).status_code == 404, who
    assert not UploadPiece.objects.exists()


def test_a_revoked_contact_can_neither_start_nor_go_on(owner):
    witness, token = invite(owner)
    client = opened(token)
    url = location(create(client, "/w/uploads/", media="audio"))
    assert patch(client, url, 0, webm_bytes()).status_code == 204
    link_revoke(witness=witness, actor=owner)
    assert patch(client, url, 40_000, webm_bytes()).status_code == 404
    assert create(client, "/w/uploads/", media="audio").status_code == 404
    assert Upload.objects.count() == 1 and UploadPiece.objects.count() == 1
    # What arrived before the link was stopped is not kept for her: the link ended.
    recordings_tend(now=timezone.now() + timedelta(minutes=5))
    assert not Submission.objects.exists()


def test_signed_out_or_outsiders_cannot_start_uploads_in_her_diary(owner):
    clients = outsiders(owner)
    for who, client in clients.items():
        # Her collection: only she is signed in as her; another owner starts one in his own.
        response = create(client, "/diary/uploads/", media="audio")
        if who == "other owner":
            assert response.status_code == 201
        else:
            assert response.status_code == 302, who  # to sign in
        # A contact's collection: only a live link's cookie; another diary's contact starts
        # one in that diary.
        response = create(client, "/w/uploads/", media="audio")
        if who == "other owner's contact":
            assert response.status_code == 201
        else:
            assert response.status_code == 404, who
    assert not Upload.objects.filter(diary=owner.diary).exists()
    assert Upload.objects.count() == 2


# The pages that record


def test_only_pages_with_record_now_may_use_the_camera_and_microphone(owner, owner_client):
    entry = make_entry(owner)
    for path in ("/diary/capture/", f"/diary/entries/{entry.pk}/"):
        response = owner_client.get(path)
        # Hidden until record.js finds a camera API: without it the file field is the way.
        assert "data-recorder hidden" in response.content.decode()
        assert (
            'type="file"' in response.content.decode() or "evidence/" in response.content.decode()
        )
        assert "camera=(self)" in response["Permissions-Policy"], path
        assert "microphone=(self)" in response["Permissions-Policy"], path
        assert "geolocation=()" in response["Permissions-Policy"], path
    timeline = owner_client.get("/diary/")
    assert "camera=()" in timeline["Permissions-Policy"]
    assert "microphone=()" in timeline["Permissions-Policy"]


def test_a_withdrawn_entry_offers_no_recording(owner, owner_client):
    from diary.records.services import entry_withdraw

    entry = make_entry(owner)
    entry_withdraw(entry=entry, actor=owner, reason="mistake")
    response = owner_client.get(f"/diary/entries/{entry.pk}/")
    assert "data-recorder" not in response.content.decode()
    assert "camera=()" in response["Permissions-Policy"]
    url = "/diary/uploads/"
    assert create(owner_client, url, 100, entry=str(entry.pk)).status_code == 404


# In the bundle


def test_a_bundle_with_a_recording_verifies_offline(owner, owner_client, tmp_path, settings):
    import subprocess
    import sys

    from diary.bundle.services import export_create, unzip_to

    start = timezone.now() - timedelta(minutes=5)
    with time_machine.travel(start, tick=False):
        url = location(create(owner_client, "/diary/uploads/", media="video"))
    with time_machine.travel(start + timedelta(seconds=3), tick=False):
        patch(owner_client, url, 0, webm_bytes())
    recordings_tend()
    export = export_create(diary=owner.diary, actor=owner)
    folder = unzip_to(export, tmp_path / "bundle")
    result = subprocess.run(
        [sys.executable, str(folder / "verify.py")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert "upload.finish" in (folder / "ledger.jsonl").read_text()


def test_a_piece_without_the_csrf_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert create(client, "/diary/uploads/", media="audio").status_code == 403
    assert not Upload.objects.exists()
    upload = Upload.objects.create(diary=owner.diary, party="owner", kind="recording")
    response = patch(client, f"/diary/uploads/{upload.pk}", 0, webm_bytes())
    assert response.status_code == 403
    assert not UploadPiece.objects.exists()


def test_a_file_keeps_the_kind_and_description_she_gave(owner, owner_client):
    entry = make_entry(owner)
    data = jpeg_bytes()
    url = location(
        create(
            owner_client,
            "/diary/uploads/",
            len(data),
            entry=str(entry.pk),
            kind="screenshot",
            description="The message he sent",
        )
    )
    assert patch(owner_client, url, 0, data).status_code == 204
    evidence = Evidence.objects.get()
    assert evidence.kind == "screenshot"
    assert evidence.description == "The message he sent"


def test_a_kind_that_does_not_fit_the_file_is_refused_and_nothing_kept(owner, owner_client):
    entry = make_entry(owner)
    data = jpeg_bytes()
    url = location(
        create(owner_client, "/diary/uploads/", len(data), entry=str(entry.pk), kind="audio")
    )
    response = patch(owner_client, url, 0, data)
    assert response.status_code == 422
    assert not Evidence.objects.exists() and not UploadFinish.objects.exists()
    assert (
        create(owner_client, "/diary/uploads/", 10, entry=str(entry.pk), kind="x").status_code
        == 400
    )


def test_finishing_an_upload_another_request_finished_is_404_not_an_error(owner, owner_client):
    from diary.uploads.services import UploadProblem, upload_finish

    url = location(create(owner_client, "/diary/uploads/", media="audio"))
    patch(owner_client, url, 0, webm_bytes())
    stale = Upload.objects.get()
    list(stale.pieces.all())  # read, as a request about to join them would
    piece = UploadPiece.objects.get()
    filestore.delete(piece.stored.name)  # the other request's pieces went as it committed
    Upload.objects.filter(pk=stale.pk).update(state="cut_off")
    with pytest.raises(UploadProblem) as refused:
        upload_finish(upload=stale, outcome="complete")
    assert refused.value.status == 404
    assert not Evidence.objects.exists()
