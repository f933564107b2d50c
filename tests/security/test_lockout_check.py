"""He had her password once: from his own session he made a contact's link that reads the whole
timeline, added an e-mail address of his, and stayed signed in. She opens "Check who can reach
your diary" from her own session, sees what he left marked, confirms it is her, and locks
everyone else out."""

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from diary import messages
from diary.core.crypto import stored_key
from diary.models import AccessEvent, OwnerSession
from tests.factories import OwnerFactory
from tests.security.conftest import (
    HER_PHONE,
    PASSWORD,
    SENTINEL,
    body,
    browser,
    shut_out,
    sign_in,
    totp_code,
)
from witnesses import messages as witness_messages
from witnesses.models import WitnessEvent, WitnessLink

HIS_ADDRESS = "someone.else@example.net"
LOCKOUT = "/diary/lockout/"


def confirm(client: Any) -> None:
    """Types the password on allauth's "confirm it is you" page."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def session_of(client: Any) -> OwnerSession:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return OwnerSession.objects.get(session_key=stored_key(key))


def invite(client: Any, name: str, relationship: str = "friend") -> tuple[WitnessLink, str]:
    response = client.post(
        "/api/witnesses/",
        {"name": name, "relationship": relationship, "sharing": "all"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    token = response.json()["link"].rstrip("/").rsplit("/", 1)[-1]
    return WitnessLink.objects.get(witness_id=response.json()["id"]), token


def card(page: str, link: WitnessLink) -> str:
    """The part of the page about one link."""
    start = page.index(f'id="lockout-link-{link.pk}"')
    ends = [page.find(mark, start + 1) for mark in ('id="lockout-link-', "</section>")]
    return page[start : min(end for end in ends if end != -1)]


@pytest.fixture
def her_address(owner: Any) -> EmailAddress:
    return EmailAddress.objects.get(user=owner, email=owner.email, primary=True, verified=True)


def he_leaves_a_way_back(owner: Any) -> dict[str, Any]:
    """With her password, on his own phone: a session, a contact's link that sees everything,
    and an address of his, added on allauth's e-mail page and confirmed from his inbox."""
    him = browser()
    assert sign_in(him, owner.email).status_code == 302
    confirm(him)
    his_link, his_token = invite(him, "Alex")
    assert browser().get(f"/w/{his_token}").status_code == 302  # it works, for now
    response = him.post(reverse("account_email"), {"action_add": "", "email": HIS_ADDRESS})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=owner, email=HIS_ADDRESS).exists()
    sent = [m for m in mail.outbox if HIS_ADDRESS in m.to]
    found = re.search(r"https?://testserver(/accounts/confirm-email/\S+/)", sent[-1].body)
    assert found is not None
    assert him.post(found.group(1)).status_code == 302
    assert EmailAddress.objects.get(user=owner, email=HIS_ADDRESS).verified
    his_session = session_of(him)
    assert WitnessLink.objects.get(pk=his_link.pk).made_in_session_id == his_session.pk
    return {"client": him, "link": his_link, "token": his_token, "session": his_session}


def test_she_locks_out_what_he_left_and_keeps_her_own(owner, her_address):
    with time_machine.travel(timezone.now(), tick=True) as clock:
        his = he_leaves_a_way_back(owner)
        her = browser(agent=HER_PHONE)
        assert sign_in(her, owner.email).status_code == 302
        confirm(her)
        her_link, her_token = invite(her, "Pat", "neighbour")
        her_session = session_of(her)
        assert WitnessLink.objects.get(pk=her_link.pk).made_in_session_id == her_session.pk

        # From the sessions page she reaches the check.
        assert LOCKOUT in body(her.get(reverse("diary:sessions")))
        page = body(her.get(LOCKOUT))
        assert str(messages.LOCKOUT_TITLE) in page
        his_card, her_card = card(page, his["link"]), card(page, her_link)
        assert "Alex (friend)" in his_card
        assert str(witness_messages.LOCKOUT_MADE_ELSEWHERE) in his_card
        assert "Chrome on Android" in his_card
        assert str(witness_messages.LOCKOUT_WILL_STOP) in his_card
        assert str(witness_messages.LOCKOUT_MADE_LATELY) in his_card
        assert "Pat (neighbour)" in her_card
        assert str(witness_messages.LOCKOUT_MADE_HERE) in her_card
        assert str(witness_messages.LOCKOUT_WILL_STOP) not in her_card
        assert HIS_ADDRESS in page and owner.email in page
        assert str(messages.LOCKOUT_THIS_SESSION) in page
        assert str(messages.LOCKOUT_OTHER_SESSION) in page

        # Ten minutes on, her confirmation has lapsed: the action asks for it again.
        clock.shift(timedelta(minutes=10))
        response = her.post(LOCKOUT, {"keep": her_address.pk})
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_reauthenticate"))
        assert OwnerSession.objects.get(pk=his["session"].pk).ended_at is None
        assert WitnessLink.objects.get(pk=his["link"].pk).revoked_at is None
        assert EmailAddress.objects.filter(user=owner, email=HIS_ADDRESS).exists()

        done = her.post(response.url, {"password": PASSWORD}, follow=True)
        assert done.status_code == 200
        assert done.redirect_chain[-1][0] == f"{LOCKOUT}?done=1"

    # His session is over: his phone no longer opens the diary.
    assert OwnerSession.objects.get(pk=his["session"].pk).ended_at is not None
    response = his["client"].get(reverse("diary:timeline"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    shut_out(his["client"], owner.sentinel_entry.pk)
    # His link is stopped, through the same service as the contact's page (so in the ledger).
    assert WitnessLink.objects.get(pk=his["link"].pk).revoked_at is not None
    assert WitnessEvent.objects.filter(
        link_id=his["link"].pk, kind=WitnessEvent.Kind.REVOKE, by=owner
    ).exists()
    landing = browser().get(f"/w/{his['token']}")
    assert landing.status_code == 404
    assert str(witness_messages.LINK_NOT_ACTIVE) in body(landing)
    assert SENTINEL not in body(landing)
    # His address is gone; hers is the only one, and still her primary.
    assert list(EmailAddress.objects.filter(user=owner).values_list("email", "primary")) == [
        (owner.email, True)
    ]
    # Her session and the link she made from it are untouched.
    assert OwnerSession.objects.get(pk=her_session.pk).ended_at is None
    assert WitnessLink.objects.get(pk=her_link.pk).revoked_at is None
    assert browser().get(f"/w/{her_token}").status_code == 302
    assert SENTINEL in body(her.get(reverse("diary:timeline")))
    assert AccessEvent.objects.filter(
        user=owner, kind=AccessEvent.Kind.SESSIONS_ENDED, session=her_session
    ).exists()

    # What is left, for her to look through.
    left = body(done)
    assert str(messages.LOCKOUT_DONE) in left
    assert str(messages.LOCKOUT_CANNOT) in left
    assert "Alex" in left  # named in what was done
    assert f'id="lockout-link-{his["link"].pk}"' not in left
    assert f'id="lockout-link-{her_link.pk}"' in left
    # His address is gone from the list; the notice that it was confirmed stays until she has
    # read it (it says when and from where).
    after = body(her.get(LOCKOUT))
    listed = after.split('id="lockout-addresses"')[1].split("</section>")[0]
    assert HIS_ADDRESS not in listed and owner.email in listed
    assert str(messages.LOCKOUT_OTHER_SESSION) not in body(her.get(LOCKOUT))


def test_a_link_she_ticks_stops_too_and_an_address_she_chooses_is_the_one_kept(owner):
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    confirm(her)
    first = EmailAddress.objects.get(user=owner, email=owner.email, primary=True, verified=True)
    second = EmailAddress.objects.create(user=owner, email="sam.new@example.org", verified=True)
    kept_link, _ = invite(her, "Pat")
    ticked_link, ticked_token = invite(her, "Jo")
    # An old link from before sessions were noted: nobody can say who made it, so it stops.
    unknown_link, _ = invite(her, "Kim")
    WitnessLink.objects.filter(pk=unknown_link.pk).update(
        made_in_session=None, created_at=timezone.now() - timedelta(days=40)
    )
    page = body(her.get(LOCKOUT))
    assert str(witness_messages.LOCKOUT_MADE_UNKNOWN) in card(page, unknown_link)
    assert str(witness_messages.LOCKOUT_MADE_LATELY) not in card(page, unknown_link)
    assert str(witness_messages.LOCKOUT_WILL_STOP) in card(page, unknown_link)

    response = her.post(LOCKOUT, {"keep": second.pk, "stop_contact": ticked_link.witness_id})
    assert response.status_code == 302
    assert WitnessLink.objects.get(pk=kept_link.pk).revoked_at is None
    assert WitnessLink.objects.get(pk=ticked_link.pk).revoked_at is not None
    assert WitnessLink.objects.get(pk=unknown_link.pk).revoked_at is not None
    assert browser().get(f"/w/{ticked_token}").status_code == 404
    assert not EmailAddress.objects.filter(pk=first.pk).exists()
    assert EmailAddress.objects.get(pk=second.pk).primary
    owner.refresh_from_db()
    assert owner.email == "sam.new@example.org"


def test_it_lists_her_second_steps_and_offers_new_recovery_codes(owner, her_address, totp_secret):
    with time_machine.travel(timezone.now(), tick=True) as clock:
        her = browser(agent=HER_PHONE)
        assert sign_in(her, owner.email).url == reverse("mfa_authenticate")
        her.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})
        page = body(her.get(LOCKOUT))
        assert str(messages.LOCKOUT_AUTHENTICATOR_APP) in page
        assert str(messages.LOCKOUT_RECOVERY_CODES % {"count": 10}) in page
        assert reverse("mfa_generate_recovery_codes") in page

        # With the second step on, confirming takes a code (a fresh one), not the password.
        response = her.post(LOCKOUT, {"keep": her_address.pk})
        assert response.url.startswith(reverse("mfa_reauthenticate"))
        clock.shift(timedelta(seconds=60))
        response = her.post(response.url, {"code": totp_code(totp_secret)}, follow=True)
    assert response.redirect_chain[-1][0] == f"{LOCKOUT}?done=1"
    left = body(response)
    assert str(messages.LOCKOUT_RECOVERY_CODES_NEXT) in left
    assert reverse("mfa_generate_recovery_codes") in left
    assert EmailAddress.objects.get(user=owner).pk == her_address.pk


def test_it_needs_a_bad_choice_fixed_and_changes_nothing(owner, her_address):
    his = he_leaves_a_way_back(owner)
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    confirm(her)
    response = her.post(LOCKOUT, {"keep": "not-an-address"})
    assert response.status_code == 400
    assert str(messages.LOCKOUT_CHOOSE_ADDRESS) in body(response)
    assert OwnerSession.objects.get(pk=his["session"].pk).ended_at is None
    assert WitnessLink.objects.get(pk=his["link"].pk).revoked_at is None
    assert EmailAddress.objects.filter(user=owner).count() == 2


def test_an_outsider_and_another_owner_reach_nothing_of_hers(owner, her_address):
    his = he_leaves_a_way_back(owner)
    outsider = browser()
    for response in (outsider.get(LOCKOUT), outsider.post(LOCKOUT, {"keep": her_address.pk})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))

    other = OwnerFactory()
    theirs = EmailAddress.objects.get(user=other, email=other.email, primary=True, verified=True)
    them = browser()
    sign_in(them, other.email)
    confirm(them)
    page = body(them.get(LOCKOUT))
    assert "Alex" not in page and HIS_ADDRESS not in page and owner.email not in page
    # Her address and her contact, named by id from another account: refused, nothing changes.
    response = them.post(LOCKOUT, {"keep": her_address.pk, "stop_contact": his["link"].witness_id})
    assert response.status_code == 400
    response = them.post(LOCKOUT, {"keep": theirs.pk, "stop_contact": his["link"].witness_id})
    assert response.status_code == 302
    assert OwnerSession.objects.get(pk=his["session"].pk).ended_at is None
    assert WitnessLink.objects.get(pk=his["link"].pk).revoked_at is None
    assert EmailAddress.objects.filter(user=owner).count() == 2
    assert EmailAddress.objects.filter(pk=theirs.pk).exists()


def test_a_link_he_extended_from_his_session_counts_as_his(owner, her_address):
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    confirm(her)
    her_link, token = invite(her, "Pat")
    him = browser()
    sign_in(him, owner.email)
    confirm(him)
    response = him.post(
        f"/api/witnesses/{her_link.witness_id}/extend/", {}, content_type="application/json"
    )
    assert response.status_code == 200
    assert WitnessLink.objects.get(pk=her_link.pk).made_in_session_id == session_of(him).pk

    page = body(her.get(LOCKOUT))
    assert str(witness_messages.LOCKOUT_MADE_ELSEWHERE) in card(page, her_link)
    assert her.post(LOCKOUT, {"keep": her_address.pk}).status_code == 302
    assert WitnessLink.objects.get(pk=her_link.pk).revoked_at is not None
    assert browser().get(f"/w/{token}").status_code == 404


def test_the_contact_pages_note_the_session_too(owner):
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    confirm(her)
    response = her.post(
        reverse("witnesses:contact_new"),
        {"name": "Pat", "relationship": "friend", "sharing": "brief"},
    )
    assert response.status_code == 302
    link = WitnessLink.objects.get(witness__diary=owner.diary)
    assert link.made_in_session_id == session_of(her).pk
    response = her.post(reverse("witnesses:contact_reissue", args=[link.witness_id]))
    assert response.status_code == 302
    new = WitnessLink.objects.get(witness__diary=owner.diary, revoked_at__isnull=True)
    assert new.pk != link.pk and new.made_in_session_id == session_of(her).pk


def test_his_address_made_the_main_one_is_not_chosen_for_her(owner, her_address):
    """He made his address the main one. The check lists both and ticks neither: a hurried
    press of the one button must not keep his address and remove hers."""
    left = he_leaves_a_way_back(owner)
    confirm(left["client"])
    response = left["client"].post(
        reverse("account_email"), {"email": HIS_ADDRESS, "action_primary": ""}
    )
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=owner, primary=True).email == HIS_ADDRESS

    her = browser(agent=HER_PHONE)
    assert sign_in(her, owner.email).status_code == 302
    page = body(her.get(LOCKOUT))
    assert HIS_ADDRESS in page and owner.email in page
    radios = re.findall(r'<input type="radio" name="keep"[^>]*>', page)
    assert len(radios) == 2
    assert not [radio for radio in radios if "checked" in radio]
    # Nothing chosen, nothing done: both addresses stay and she is asked to choose.
    confirm(her)
    assert her.post(LOCKOUT, {}).status_code == 400
    assert EmailAddress.objects.filter(user=owner).count() == 2
