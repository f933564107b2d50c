"""Recording in the page and uploads that resume (diary/uploads/), from the other side: an
ex-partner who knows her password, has held her phone (or a contact's), holds a forwarded link
or a copy of the database. Each test reads the database back."""

import base64
import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone

from diary.core.crypto import stored_key
from diary.models import Evidence, OwnerSession, Upload, UploadFinish, UploadPiece
from diary.safety.services import session_end
from diary.uploads import services
from diary.uploads.services import recordings_tend
from tests.diary.test_uploads import create, head, location, patch, webm_bytes
from tests.factories import jpeg_bytes, make_entry
from tests.witnesses.conftest import invite, opened
from witnesses.models import Submission

pytestmark = pytest.mark.django_db

OFFSET = "application/offset+octet-stream"


def bogus_whole() -> str:
    return "sha256 " + base64.b64encode(b"\0" * 32).decode()


# A leaked upload id (the phone's page, or the id column of a copy of the database) and her
# password: his own session of her account must not reach the recording her phone is making.


def test_another_session_of_hers_cannot_reach_her_recording_under_way(owner, owner_client):
    data = webm_bytes(20_000)
    url = location(create(owner_client, "/diary/uploads/", media="audio"))
    assert patch(owner_client, url, 0, data[:10_000]).status_code == 204
    his = Client()
    his.force_login(owner)  # he knows her password and signs in on his own device
    assert head(his, url).status_code == 404
    # Neither adding to it nor ending it early.
    assert patch(his, url, 10_000, b"his words, under her name").status_code == 404
    stop = patch(his, url, 10_000, b"", HTTP_UPLOAD_LENGTH="10000", CONTENT_TYPE=OFFSET)
    assert stop.status_code == 404
    upload = Upload.objects.get()
    assert upload.offset == 10_000 and upload.length is None and upload.state == "open"
    assert UploadPiece.objects.count() == 1
    # Her phone carries on.
    response = patch(owner_client, url, 10_000, data[10_000:], HTTP_UPLOAD_LENGTH="20000")
    assert response.status_code == 204
    assert Evidence.objects.get().sha256 == hashlib.sha256(data).hexdigest()


# Her phone taken mid-recording: what reached the server stays, whatever the phone sends next.


def test_a_false_whole_checksum_from_her_taken_phone_does_not_erase_the_recording(
    owner, owner_client, settings
):
    data = webm_bytes(20_000)
    start = timezone.now() - timedelta(minutes=5)
    with time_machine.travel(start, tick=False):
        url = location(create(owner_client, "/diary/uploads/", media="video"))
    with time_machine.travel(start + timedelta(seconds=6), tick=False):
        assert patch(owner_client, url, 0, data[:10_000]).status_code == 204
        assert patch(owner_client, url, 10_000, data[10_000:]).status_code == 204
        # The phone in his hand: "it has stopped, and the whole hashes to this".
        response = patch(
            owner_client,
            url,
            20_000,
            b"",
            HTTP_UPLOAD_LENGTH="20000",
            HTTP_UPLOAD_WHOLE_CHECKSUM=bogus_whole(),
            CONTENT_TYPE=OFFSET,  # the test client leaves it out of an empty body
        )
        assert response.status_code == 460
    assert UploadPiece.objects.count() == 2  # nothing that arrived is gone
    with time_machine.travel(start + timedelta(seconds=7 + settings.RECORDING_QUIET_SECONDS)):
        assert recordings_tend() == 1
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert UploadFinish.objects.get().outcome == "cut_off"


def test_a_false_whole_checksum_from_a_contacts_taken_phone_does_not_erase_theirs(owner, settings):
    _, token = invite(owner)
    client = opened(token)
    data = webm_bytes(20_000)
    start = timezone.now() - timedelta(minutes=5)
    with time_machine.travel(start, tick=False):
        url = location(create(client, "/w/uploads/", media="audio"))
    with time_machine.travel(start + timedelta(seconds=6), tick=False):
        assert patch(client, url, 0, data).status_code == 204
        response = patch(
            client,
            url,
            20_000,
            b"",
            HTTP_UPLOAD_LENGTH="20000",
            HTTP_UPLOAD_WHOLE_CHECKSUM=bogus_whole(),
            CONTENT_TYPE=OFFSET,  # the test client leaves it out of an empty body
        )
        assert response.status_code == 460
    assert UploadPiece.objects.count() == 1
    with time_machine.travel(start + timedelta(seconds=7 + settings.RECORDING_QUIET_SECONDS)):
        assert recordings_tend() == 1
    assert Submission.objects.get().files.get().sha256 == hashlib.sha256(data).hexdigest()


def test_a_files_whole_checksum_still_refuses_a_file_that_is_not_what_was_declared(
    owner, owner_client
):
    """The other side of the fix above: a chosen file (not a recording) that does not hash as
    declared is still never evidence."""
    entry = make_entry(owner)
    data = jpeg_bytes()
    url = location(
        create(owner_client, "/diary/uploads/", len(data), entry=str(entry.pk), sha256="0" * 64)
    )
    assert patch(owner_client, url, 0, data).status_code == 460
    assert not Evidence.objects.exists() and not UploadPiece.objects.exists()
    assert Upload.objects.get().state == "refused"


# Odd numbers in the headers: a plain 400, never a 500.


@pytest.mark.parametrize("number", ["²", "¹²", "9" * 5000, "-1", "1e3", " 1"])
def test_an_offset_or_length_that_is_not_plain_digits_is_400(owner, owner_client, number):
    url = location(create(owner_client, "/diary/uploads/", media="audio"))
    odd_offset = owner_client.generic(
        "PATCH",
        url,
        b"x" * 10,
        content_type="application/offset+octet-stream",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_OFFSET=number,
    )
    assert odd_offset.status_code == 400
    assert patch(owner_client, url, 0, b"x" * 10, HTTP_UPLOAD_LENGTH=number).status_code == 400
    response = owner_client.post(
        "/diary/uploads/",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_LENGTH=number,
        HTTP_UPLOAD_METADATA="media YXVkaW8=",
    )
    assert response.status_code == 400
    assert Upload.objects.count() == 1 and not UploadPiece.objects.exists()


@pytest.mark.parametrize("digest", [b"\0" * 40, b"\0" * 4, b""])
def test_a_whole_checksum_that_is_not_a_sha256_is_400_and_changes_nothing(
    owner, owner_client, digest
):
    url = location(create(owner_client, "/diary/uploads/", media="audio"))
    response = patch(
        owner_client,
        url,
        0,
        webm_bytes(10_000),
        HTTP_UPLOAD_WHOLE_CHECKSUM="sha256 " + (base64.b64encode(digest).decode() or "="),
    )
    assert response.status_code == 400
    upload = Upload.objects.get()
    assert upload.declared_sha256 == "" and upload.offset == 0


# Filling the disk with uploads that never finish (her password, before she locks him out).


def test_she_cannot_be_made_to_hold_unbounded_unfinished_uploads(owner, owner_client, settings):
    """Someone with her password starting file uploads he never sends: at most
    OPEN_FILE_UPLOADS_MAX stay open, each new one ending the one that has waited longest, so
    the disk is bounded and her own upload under way is never the one ended, nor refused."""
    entry = make_entry(owner)
    data = jpeg_bytes()
    hers = location(create(owner_client, "/diary/uploads/", len(data), entry=str(entry.pk)))
    his = []
    for n in range(3 * services.OPEN_FILE_UPLOADS_MAX):
        answer = create(
            owner_client, "/diary/uploads/", settings.EVIDENCE_MAX_BYTES, entry=str(entry.pk)
        )
        assert answer.status_code == 201  # never refused: she must always be able to send
        his.append(location(answer))
        if n == 0:  # hers is under way: a piece since his first
            assert patch(owner_client, hers, 0, data[:100]).status_code == 204
    assert Upload.objects.filter(state="open").count() == services.OPEN_FILE_UPLOADS_MAX
    assert head(owner_client, hers).status_code == 200  # hers goes on
    assert patch(owner_client, hers, 100, data[100:]).status_code == 204
    assert Evidence.objects.filter(entry=entry).count() == 1
    assert head(owner_client, his[0]).status_code == 404  # his oldest, ended


# A piece that lands while the sweep is joining a quiet recording (the signal came back just as
# it was taken for cut off): it is either in what is kept or refused, never answered 204 and lost.


def test_a_piece_kept_while_the_sweep_joins_is_not_lost(owner, owner_client, settings, monkeypatch):
    data = webm_bytes(20_000)
    start = timezone.now() - timedelta(minutes=5)
    with time_machine.travel(start, tick=False):
        url = location(create(owner_client, "/diary/uploads/", media="audio"))
        assert patch(owner_client, url, 0, data[:10_000]).status_code == 204
    joined = services._joined
    late: list[int] = []

    def joined_then_a_late_piece(upload, pieces):
        answer = joined(upload, pieces)
        if not late:  # the phone's next piece commits between the join and the lock
            late.append(patch(owner_client, url, 10_000, data[10_000:]).status_code)
        return answer

    monkeypatch.setattr(services, "_joined", joined_then_a_late_piece)
    quiet = timedelta(seconds=1 + settings.RECORDING_QUIET_SECONDS)
    with time_machine.travel(start + quiet, tick=False):
        recordings_tend()
    assert late == [204]
    with time_machine.travel(start + 2 * quiet, tick=False):  # quiet again after the late one
        recordings_tend()
    kept = Evidence.objects.get()
    assert kept.sha256 == hashlib.sha256(data).hexdigest()  # both pieces, the late one too
    assert len(UploadFinish.objects.get().pieces) == 2


# A page elsewhere that posts to her phone's browser (checked sound: CSRF on both sides).


def test_a_contacts_piece_from_another_site_is_refused(owner):
    _, token = invite(owner)
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT="Mozilla/5.0 (Linux) Chrome/120")
    assert client.get(f"/w/{token}").status_code == 302
    assert create(client, "/w/uploads/", media="audio").status_code == 403
    assert not Upload.objects.exists()


# Lockout: the sessions it ends go on with nothing (checked sound).


def test_a_session_ended_from_her_sessions_page_goes_on_with_nothing(owner, owner_client):
    his = Client()
    his.force_login(owner)
    url = location(create(his, "/diary/uploads/", media="audio"))
    assert patch(his, url, 0, webm_bytes(10_000)).status_code == 204
    request = RequestFactory().post("/")
    request.session = owner_client.session
    request.user = owner
    his_session = OwnerSession.objects.get(session_key=stored_key(his.session.session_key))
    session_end(request=request, session=his_session)
    assert patch(his, url, 10_000, webm_bytes(10_000)).status_code == 302
    assert UploadPiece.objects.count() == 1


# A forwarded link (or her password) sending a recording one byte a request: every piece is a
# row and a stored file (a disk block or more each), so the pieces of one upload are bounded.


def test_an_upload_takes_a_bounded_number_of_pieces(owner, monkeypatch, settings):
    monkeypatch.setattr(services, "PIECES_MAX", 5, raising=False)
    _, token = invite(owner)
    client = opened(token)
    data = webm_bytes(1_000)
    url = location(create(client, "/w/uploads/", media="audio"))
    assert patch(client, url, 0, data[:900]).status_code == 204
    answers = [patch(client, url, 900 + n, data[900 + n : 901 + n]).status_code for n in range(5)]
    assert answers == [204, 204, 204, 204, 413]
    assert patch(client, url, 904, data[904:]).status_code == 413
    assert UploadPiece.objects.count() == 5
    # What arrived is kept as any recording gone quiet.
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.RECORDING_QUIET_SECONDS + 1)
    ):
        assert recordings_tend() == 1
    assert Submission.objects.get().files.get().size == 904


def test_a_damaged_piece_does_not_keep_the_sweep_from_the_other_recordings(
    owner, owner_client, settings
):
    """A piece file changed on the disk (or half-written by a dying disk) stops only its own
    recording from being kept; the next quiet recording is still kept as cut off."""
    from pathlib import Path

    data = webm_bytes(20_000)
    start = timezone.now() - timedelta(minutes=5)
    with time_machine.travel(start, tick=False):
        damaged = location(create(owner_client, "/diary/uploads/", media="audio"))
        assert patch(owner_client, damaged, 0, data).status_code == 204
        whole = location(create(owner_client, "/diary/uploads/", media="audio"))
        assert patch(owner_client, whole, 0, data).status_code == 204
    first = Upload.objects.order_by("created_at", "pk").first()
    piece = UploadPiece.objects.get(upload=first)
    stored = Path(settings.MEDIA_ROOT) / (piece.stored.name or "")
    stored.write_bytes(stored.read_bytes()[:-40] + b"\0" * 40)
    quiet = timedelta(seconds=1 + settings.RECORDING_QUIET_SECONDS)
    with time_machine.travel(start + quiet, tick=False):
        assert recordings_tend() == 1
    kept = Evidence.objects.get()
    assert kept.sha256 == hashlib.sha256(data).hexdigest()
    assert Upload.objects.get(pk=first.pk).state == "open"  # left for someone to look at
