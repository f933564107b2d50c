"""He signed in on his own phone back when he knew the password, and kept the cookie; she
signs out everywhere else."""

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connections
from django.urls import reverse

from diary.core.crypto import stored_key
from diary.models import AccessEvent, OwnerSession
from project.asgi import application
from tests.security.conftest import (
    HER_PHONE,
    PASSWORD,
    SENTINEL,
    body,
    browser,
    shut_out,
    sign_in,
)


def confirm_and_end_the_others(her: Any) -> Any:
    """She presses "Sign out everywhere else", confirms it is her, and the ending goes on."""
    response = her.post(reverse("diary:sessions_end_others"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    return her.post(response.url, {"password": PASSWORD})


def test_his_old_session_is_signed_out_everywhere_else(owner):
    him = browser()
    assert sign_in(him, owner.email).status_code == 302
    assert SENTINEL in body(him.get(reverse("diary:timeline")))
    his_key = him.cookies[settings.SESSION_COOKIE_NAME].value
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    # She sees both sessions, his by his browser.
    listing = body(her.get(reverse("diary:sessions")))
    assert "Chrome on Android" in listing and "Safari on iPhone" in listing

    response = confirm_and_end_the_others(her)
    assert response.status_code == 302
    assert response.url == reverse("diary:sessions")
    page = her.get(response.url).content.decode()
    assert "Signed out everywhere else (1 session)." in page

    his_session = OwnerSession.objects.get(session_key=stored_key(his_key))
    assert his_session.ended_at is not None
    assert his_session.ended_how == OwnerSession.Ended.ENDED_ALL
    assert not Session.objects.filter(session_key=stored_key(his_key)).exists()
    shut_out(him, owner.sentinel_entry.pk)
    # She is still in, and the log says what happened.
    assert SENTINEL in body(her.get(reverse("diary:timeline")))
    assert AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.SESSIONS_ENDED).exists()


def test_without_confirming_nothing_is_ended(owner):
    him = browser()
    sign_in(him, owner.email)
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    her.post(reverse("diary:sessions_end_others"))
    assert OwnerSession.objects.filter(user=owner, ended_at__isnull=True).count() == 2
    assert SENTINEL in body(him.get(reverse("diary:timeline")))


def test_a_copy_of_a_cookie_she_signed_out_is_dead(owner):
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    key = her.cookies[settings.SESSION_COOKIE_NAME].value
    him = browser()
    him.cookies[settings.SESSION_COOKIE_NAME] = key  # copied from her browser
    assert SENTINEL in body(him.get(reverse("diary:timeline")))
    her.post(reverse("account_logout"))
    assert (
        OwnerSession.objects.get(session_key=stored_key(key)).ended_how
        == OwnerSession.Ended.SIGNED_OUT
    )
    shut_out(him, owner.sentinel_entry.pk)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_his_open_socket_closes_when_she_ends_his_session(owner):
    him, her = browser(), browser(agent=HER_PHONE)
    await database_sync_to_async(sign_in)(him, owner.email)
    await database_sync_to_async(sign_in)(her, owner.email)
    cookie = f"{settings.SESSION_COOKIE_NAME}={him.cookies[settings.SESSION_COOKIE_NAME].value}"
    socket = WebsocketCommunicator(
        application,
        "/ws/diary/",
        headers=[
            (b"host", b"testserver"),
            (b"origin", b"http://testserver"),
            (b"cookie", cookie.encode()),
        ],
    )
    try:
        connected, _ = await socket.connect()
        assert connected
        await database_sync_to_async(confirm_and_end_the_others)(her)
        closed = await socket.receive_output(timeout=2)
        assert closed == {"type": "websocket.close", "code": 4403}
    finally:
        await socket.disconnect()
        await database_sync_to_async(connections.close_all)()
