"""He got into a session of hers once (her unlocked phone, or the password), adds an e-mail
address of his own and confirms it from his own inbox: from then on he could send himself a
reset at any time. Each step is in her access log with his session, browser and address, and
she is told at once on every page she has open, and again when she next signs in, until she
says she has seen it."""

import re
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core import mail
from django.db import connections
from django.urls import reverse

from diary import messages
from diary.core.crypto import stored_key
from diary.models import AccessEvent, OwnerSession
from project.asgi import application
from tests.conftest import confirmed
from tests.security.conftest import HER_PHONE, body, browser, sign_in

HIS_ADDRESS = "his.own@example.net"


def his_session(client: Any) -> OwnerSession:
    return OwnerSession.objects.get(
        session_key=stored_key(client.cookies[settings.SESSION_COOKIE_NAME].value)
    )


def he_adds_his_address(him: Any, owner: Any) -> None:
    sign_in(him, owner.email)
    confirmed(him)
    response = him.post(reverse("account_email"), {"email": HIS_ADDRESS, "action_add": ""})
    assert response.status_code == 302


def he_confirms_from_his_inbox(owner: Any, ip: str) -> None:
    [message] = [m for m in mail.outbox if HIS_ADDRESS in m.to]
    link = re.search(r"https?://testserver(/accounts/confirm-email/\S+)", message.body)
    assert link is not None
    inbox_browser = browser(ip=ip)  # not signed in: only his mailbox
    assert inbox_browser.get(link.group(1)).status_code == 200
    response = inbox_browser.post(link.group(1))
    assert response.status_code == 302


def lines(owner: Any, kind: str) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(user=owner, kind=kind))


def her_socket(her: Any) -> WebsocketCommunicator:
    cookie = f"{settings.SESSION_COOKIE_NAME}={her.cookies[settings.SESSION_COOKIE_NAME].value}"
    return WebsocketCommunicator(
        application,
        "/ws/diary/",
        headers=[
            (b"origin", b"http://testserver"),
            (b"host", b"testserver"),
            (b"cookie", cookie.encode()),
        ],
    )


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_address_he_adds_and_confirms_is_logged_and_shown_to_her_at_once(owner):
    her = browser(agent=HER_PHONE)
    await database_sync_to_async(sign_in)(her, owner.email)
    socket = her_socket(her)
    try:
        connected, _ = await socket.connect()
        assert connected

        him = browser(ip="198.51.100.23")
        await database_sync_to_async(he_adds_his_address)(him, owner)
        [added] = await database_sync_to_async(lines)(owner, AccessEvent.Kind.EMAIL_ADDED)
        session = await database_sync_to_async(his_session)(him)
        assert added.session_id == session.pk
        assert (added.browser, added.ip, added.detail) == (
            "Chrome on Android",
            "198.51.100.23",
            HIS_ADDRESS,
        )
        heard = await socket.receive_json_from(timeout=2)
        assert heard["event"] == "notice" and heard["access_event"] == added.pk
        assert HIS_ADDRESS in heard["html"] and "198.51.100.23" in heard["html"]

        await database_sync_to_async(he_confirms_from_his_inbox)(owner, "198.51.100.24")
        [confirmed_line] = await database_sync_to_async(lines)(
            owner, AccessEvent.Kind.EMAIL_CONFIRMED
        )
        assert (confirmed_line.ip, confirmed_line.detail) == ("198.51.100.24", HIS_ADDRESS)
        assert confirmed_line.session_id is None  # his inbox was not signed in
        heard = await socket.receive_json_from(timeout=2)
        assert heard["access_event"] == confirmed_line.pk
        assert str(messages.NOTICE_EMAIL_CONFIRMED % {"detail": HIS_ADDRESS}) in heard["html"]
    finally:
        await socket.disconnect()
        await database_sync_to_async(connections.close_all)()


def test_she_sees_it_at_her_next_sign_in_until_she_says_she_has(owner):
    him = browser(ip="198.51.100.23")
    he_adds_his_address(him, owner)
    he_confirms_from_his_inbox(owner, "198.51.100.24")

    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    page = body(her.get(reverse("diary:timeline")))
    added = str(messages.NOTICE_EMAIL_ADDED % {"detail": HIS_ADDRESS})
    confirmed_text = str(messages.NOTICE_EMAIL_CONFIRMED % {"detail": HIS_ADDRESS})
    assert added in page and confirmed_text in page
    assert "198.51.100.23" in page
    # On every page, not only the first one.
    assert confirmed_text in body(her.get(reverse("diary:settings")))

    [line] = lines(owner, AccessEvent.Kind.EMAIL_CONFIRMED)
    response = her.post(
        reverse("diary:access_notice_seen", args=[line.pk]), {"next": reverse("diary:settings")}
    )
    assert response.status_code == 302 and response.url == reverse("diary:settings")
    line.refresh_from_db()
    assert not line.notice_open
    page = body(her.get(reverse("diary:settings")))
    assert confirmed_text not in page and added in page
    # The line stays in the access log; only the notice is gone.
    assert HIS_ADDRESS in body(her.get(reverse("diary:access_log")))


def test_he_cannot_dismiss_her_notice_from_another_account(owner, django_user_model):
    from tests.factories import OwnerFactory

    him = browser(ip="198.51.100.23")
    he_adds_his_address(him, owner)
    [line] = lines(owner, AccessEvent.Kind.EMAIL_ADDED)
    stranger = browser()
    sign_in(stranger, OwnerFactory().email)
    response = stranger.post(reverse("diary:access_notice_seen", args=[line.pk]))
    assert response.status_code == 404
    line.refresh_from_db()
    assert line.notice_open


def test_a_removed_address_and_a_new_main_one_are_logged(owner):
    from allauth.account.models import EmailAddress

    him = browser(ip="198.51.100.23")
    he_adds_his_address(him, owner)
    he_confirms_from_his_inbox(owner, "198.51.100.24")
    confirmed(him)
    response = him.post(reverse("account_email"), {"email": HIS_ADDRESS, "action_primary": ""})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=owner, primary=True).email == HIS_ADDRESS
    [made_main] = lines(owner, AccessEvent.Kind.EMAIL_CHANGED)
    assert made_main.detail == HIS_ADDRESS
    assert made_main.session_id == his_session(him).pk

    confirmed(him)
    response = him.post(reverse("account_email"), {"email": owner.email, "action_remove": ""})
    assert response.status_code == 302
    [removed] = lines(owner, AccessEvent.Kind.EMAIL_REMOVED)
    assert removed.detail == owner.email and removed.ip == "198.51.100.23"
