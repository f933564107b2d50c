"""Players for recordings beside each original's download: the page streams the original,
inline, of its own type, a range at a time, under the same rules as the download."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diary.evidence.services import evidence_attach
from diary.models import AccessEvent
from tests.conftest import confirmed
from tests.factories import jpeg_bytes, make_entry, mp3_bytes, mp4_bytes, upload
from witnesses.selectors import witness_actor
from witnesses.services.links import link_revoke, witness_invite
from witnesses.services.sharing import entry_share
from witnesses.services.submissions import submission_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def recordings(owner):
    entry = make_entry(owner)
    audio = evidence_attach(
        entry=entry, actor=owner, upload=upload("voicemail.mp3", mp3_bytes(), "audio/mpeg")
    )
    video = evidence_attach(
        entry=entry, actor=owner, upload=upload("doorbell.mp4", mp4_bytes(), "video/mp4")
    )
    photo = evidence_attach(entry=entry, actor=owner, upload=upload("car.jpg", jpeg_bytes()))
    return entry, audio, video, photo


def streamed(response):
    return b"".join(response.streaming_content)


def test_the_entry_page_shows_a_player_for_each_recording(owner_client, recordings):
    entry, audio, video, photo = recordings
    response = owner_client.get(reverse("diary:entry", args=[entry.pk]))
    assert "media-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    audio_url = reverse("diary:evidence_media", args=[audio.pk])
    video_url = reverse("diary:evidence_media", args=[video.pk])
    assert f'<audio controls preload="none" src="{audio_url}">' in page
    assert f'<video controls preload="none" playsinline src="{video_url}">' in page
    assert reverse("diary:evidence_media", args=[photo.pk]) not in page
    # Beside the download, not instead of it.
    assert reverse("diary:evidence_original", args=[audio.pk]) in page


def test_an_unconfirmed_session_is_asked_to_confirm_before_playing(unconfirmed_client, recordings):
    entry, audio, video, _photo = recordings
    page = unconfirmed_client.get(reverse("diary:entry", args=[entry.pk])).content.decode()
    # No player of a kept recording (the page's own recorder has an empty, muted preview).
    assert "<audio controls" not in page and "<video controls" not in page
    for kept in (audio, video):
        assert reverse("diary:evidence_media", args=[kept.pk]) not in page
    assert reverse("account_reauthenticate") in page
    response = unconfirmed_client.get(reverse("diary:evidence_media", args=[audio.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.ORIGINAL_DOWNLOADED).exists()


def test_the_media_view_streams_the_original_inline(owner_client, recordings):
    _entry, audio, video, _photo = recordings
    response = owner_client.get(reverse("diary:evidence_media", args=[audio.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "private, no-store"
    assert response["Accept-Ranges"] == "bytes"
    assert streamed(response) == mp3_bytes()
    # It is the original's bytes, so it is in the access log as a download is.
    logged = AccessEvent.objects.get(kind=AccessEvent.Kind.ORIGINAL_DOWNLOADED)
    assert logged.detail == audio.download_name
    played = owner_client.get(reverse("diary:evidence_media", args=[video.pk]))
    assert played["Content-Type"] == "video/mp4"


def test_a_player_gets_the_range_it_asks_for(owner_client, recordings):
    _entry, _audio, video, _photo = recordings
    url = reverse("diary:evidence_media", args=[video.pk])
    data = mp4_bytes()
    middle = owner_client.get(url, HTTP_RANGE="bytes=1000-1999")
    assert middle.status_code == 206
    assert middle["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert middle["Content-Length"] == "1000"
    assert middle["Content-Disposition"].startswith("inline")
    assert streamed(middle) == data[1000:2000]
    rest = owner_client.get(url, HTTP_RANGE="bytes=3900-")
    assert streamed(rest) == data[3900:]
    tail = owner_client.get(url, HTTP_RANGE="bytes=-10")
    assert streamed(tail) == data[-10:]
    beyond = owner_client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(data)}"


def test_only_recordings_play(owner_client, recordings):
    _entry, _audio, _video, photo = recordings
    response = owner_client.get(reverse("diary:evidence_media", args=[photo.pk]))
    assert response.status_code == 404


def test_nobody_else_gets_a_recording(recordings, anon_client, other_client):
    _entry, audio, _video, _photo = recordings
    url = reverse("diary:evidence_media", args=[audio.pk])
    confirmed(other_client)
    assert other_client.get(url).status_code == 404
    assert anon_client.get(url).url.startswith(reverse("account_login"))
    assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.ORIGINAL_DOWNLOADED).exists()


def test_a_contact_gets_no_recording_even_a_revoked_one(owner, recordings):
    entry, audio, _video, _photo = recordings
    entry_share(entry=entry, actor=owner)
    url = reverse("diary:evidence_media", args=[audio.pk])
    for sharing, revoke in (("all", False), ("all", True)):
        witness, token = witness_invite(
            diary=owner.diary, actor=owner, name="Pat", relationship="neighbour", sharing=sharing
        )
        contact = Client()
        contact.get(f"/w/{token}")
        if revoke:
            link_revoke(witness=witness, actor=owner)
        response = contact.get(url)
        assert response.status_code in (302, 404)
        assert response.status_code == 404 or response.url.startswith(reverse("account_login"))
        assert mp3_bytes() not in response.content


def test_the_owner_plays_what_a_contact_sent_and_the_contact_cannot(
    owner, owner_client, other_client
):
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour"
    )
    contact = Client()
    contact.get(f"/w/{token}")
    submission = submission_create(
        device=witness_actor(contact.cookies["w"].value),
        content={
            "kind": "saw",
            "occurred_start": timezone.now() - timedelta(hours=1),
            "what_happened": "He shouted at the door; I recorded it.",
        },
        uploads=[upload("shouting.mp3", mp3_bytes(), "audio/mpeg")],
    )
    file = submission.files.get()
    url = reverse("witnesses:file_media", args=[file.pk])
    page = owner_client.get(reverse("witnesses:submission", args=[submission.pk])).content.decode()
    assert f'<audio controls preload="none" src="{url}">' in page
    response = owner_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert streamed(response) == mp3_bytes()
    confirmed(other_client)
    assert other_client.get(url).status_code == 404
    refused = contact.get(url)
    assert refused.status_code == 404 or refused.url.startswith(reverse("account_login"))
    link_revoke(witness=witness, actor=owner)
    revoked = contact.get(url)
    assert revoked.status_code == 404 or revoked.url.startswith(reverse("account_login"))
