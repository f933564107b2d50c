"""Account safety: two-step sign-in offered after sign-up, confirming it is you, sessions and
their time limits, the access log, and the quick exit's note."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core import mail
from django.db.models.query import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from diary import messages
from diary.core.crypto import stored_key
from diary.models import AccessEvent, Export, Job, Notice, OwnerSession
from diary.safety.services import session_start
from diary.safety.session_store import SessionStore
from tests.conftest import confirm_from_mail, confirmed
from tests.factories import OwnerFactory, make_entry
from tests.jobs import worker_runs_it

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
SIGN_UP_PASSWORD = "a long and unusual passphrase"


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


# Two-step sign-in: offered after sign-up, never forced, never by text message


def test_after_sign_up_two_step_sign_in_is_offered_and_can_wait(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "sam@example.com",
            "password1": SIGN_UP_PASSWORD,
            "password2": SIGN_UP_PASSWORD,
            "time_zone": "Europe/London",
        },
    )
    assert response.url == reverse("account_email_verification_sent")
    # The link in the e-mail confirms the address and signs her in, to the welcome.
    response = confirm_from_mail(client, "sam@example.com")
    assert response.url == reverse("diary:welcome")
    page = client.get(response.url).content.decode()
    assert "never held" in page  # a device the other person has never had
    assert "text message" in page  # codes never come by text
    assert EmailAddress.objects.get(email="sam@example.com").verified
    assert reverse("mfa_activate_totp") in page
    # Passkeys are offered where the browser has them (the script unhides the link).
    assert f'href="{reverse("mfa_add_webauthn")}" data-passkeys hidden' in page
    response = client.post(reverse("diary:welcome"))
    assert response.url == reverse("diary:timeline")
    assert Notice.objects.filter(kind=Notice.Kind.WELCOME).count() == 1
    # The next sign-in goes straight to the timeline.
    client.post(reverse("account_logout"))
    assert sign_in(client, "sam@example.com", SIGN_UP_PASSWORD).url == reverse("diary:timeline")


def test_the_first_sign_in_shows_the_welcome_until_read(client):
    owner = OwnerFactory(notices_seen=False)
    assert sign_in(client, owner.email).url == reverse("diary:welcome")
    client.post(reverse("account_logout"))
    assert sign_in(client, owner.email).url == reverse("diary:welcome")
    client.post(reverse("diary:welcome"))
    client.post(reverse("account_logout"))
    assert sign_in(client, owner.email).url == reverse("diary:timeline")


def test_never_by_text_message():
    assert set(settings.MFA_SUPPORTED_TYPES) == {"totp", "recovery_codes", "webauthn"}


# Confirming it is you


NEW = "another long passphrase"
CHANGES = {
    "account_change_password": {"oldpassword": PASSWORD, "password1": NEW, "password2": NEW},
    "account_email": {"email": "new@example.com", "action_add": ""},
    "mfa_activate_totp": {},
    "mfa_add_webauthn": {},
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_account_changes_ask_to_confirm_first(owner, unconfirmed_client, name):
    response = unconfirmed_client.post(reverse(name), CHANGES[name])
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert owner.emailaddress_set.filter(email="new@example.com").count() == 0


@pytest.mark.parametrize("action", ["action_send", "action_remove", "action_primary"])
def test_every_change_to_an_address_asks_to_confirm_first(owner, unconfirmed_client, action):
    """Adding, removing and making primary are allauth's own checks; sending the verification
    mail again is the project's, so no key that verifies an address goes out unconfirmed."""
    added = EmailAddress.objects.create(user=owner, email="his@example.com", verified=False)
    mail.outbox.clear()
    response = unconfirmed_client.post(reverse("account_email"), {"email": added.email, action: ""})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    added.refresh_from_db()
    assert (added.verified, added.primary) == (False, False)
    assert mail.outbox == []
    # Confirmed, the change she asked for is carried on.
    response = unconfirmed_client.post(response.url, {"password": PASSWORD})
    assert response.status_code == 302
    if action == "action_remove":
        assert not EmailAddress.objects.filter(pk=added.pk).exists()
    elif action == "action_send":
        assert [message.to for message in mail.outbox] == [[added.email]]


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "mfa_view_recovery_codes"),
        ("get", "mfa_download_recovery_codes"),
        ("post", "mfa_generate_recovery_codes"),
    ],
)
def test_recovery_codes_are_shown_or_made_only_after_the_second_step(
    owner, unconfirmed_client, method, name
):
    TOTP.activate(owner, generate_totp_secret())
    codes = RecoveryCodes.activate(owner)
    before = codes.get_unused_codes()
    response = getattr(unconfirmed_client, method)(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_reauthenticate"))
    page = response.content.decode()
    assert not any(code in page for code in before)
    authenticator = Authenticator.objects.get(user=owner, type=Authenticator.Type.RECOVERY_CODES)
    assert authenticator.wrap().get_unused_codes() == before


def test_with_two_step_on_confirming_takes_the_second_step(owner, unconfirmed_client):
    TOTP.activate(owner, generate_totp_secret())
    RecoveryCodes.activate(owner)
    response = unconfirmed_client.post(
        reverse("account_change_password"), CHANGES["account_change_password"]
    )
    assert response.url.startswith(reverse("mfa_reauthenticate"))
    # The password alone will not do: its page sends you to the second step.
    response = unconfirmed_client.get(reverse("account_reauthenticate"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_reauthenticate"))


def test_exporting_on_the_page_asks_to_confirm_then_carries_on(owner, unconfirmed_client):
    make_entry(owner)
    response = unconfirmed_client.post(reverse("diary:exports"), {"since": "", "until": ""})
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not Export.objects.exists() and not Job.objects.exists()
    with worker_runs_it():
        response = unconfirmed_client.post(response.url, {"password": PASSWORD})
    # allauth replays the suspended request: the bundle is asked for, and made.
    assert response.status_code == 302
    job = Job.objects.get()
    assert response.url == reverse("diary:job", args=[job.pk])
    export = Export.objects.get()
    assert job.export == export
    # Logged once it was made, as the session and browser that asked.
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.EXPORT)
    assert (event.user, event.detail) == (owner, f"#{export.number}")
    sign_in = AccessEvent.objects.filter(kind=AccessEvent.Kind.SIGN_IN).first()
    if sign_in is not None:
        assert event.session_id == sign_in.session_id
    assert event.ip == "127.0.0.1"


def test_exporting_through_the_api_needs_a_recent_confirmation(owner):
    api = APIClient()
    api.force_login(owner)
    response = api.post("/api/exports/", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": str(messages.CONFIRM_FIRST),
        "confirm_url": f"{reverse('account_reauthenticate')}?next={reverse('diary:exports')}",
    }
    assert not Export.objects.exists()
    confirmed(api)
    with worker_runs_it():
        response = api.post("/api/exports/", {}, format="json")
    assert response.status_code == 202
    made = api.get(response["Location"]).json()["export"]
    download = api.get(made["download"])
    assert download.status_code == 200
    kinds = set(AccessEvent.objects.values_list("kind", flat=True))
    assert {AccessEvent.Kind.EXPORT, AccessEvent.Kind.EXPORT_DOWNLOAD} <= kinds
    # Five minutes later the confirmation has run out.
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert api.get(made["download"]).status_code == 403


# Sessions


def test_sessions_are_listed_and_one_can_be_signed_out(owner, owner_client):
    phone = Client(HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile")
    sign_in(phone, owner.email)
    page = owner_client.get(reverse("diary:sessions")).content.decode()
    assert "Chrome on Android" in page and "this one" in page
    phone_session = OwnerSession.objects.get(browser="Chrome on Android")
    response = owner_client.post(reverse("diary:session_end", args=[phone_session.pk]))
    assert response.url == reverse("diary:sessions")
    phone_session.refresh_from_db()
    assert phone_session.ended_how == OwnerSession.Ended.ENDED
    assert phone.get(reverse("diary:timeline")).status_code == 302
    assert owner_client.get(reverse("diary:timeline")).status_code == 200
    # An ended session is gone from the list, and cannot be ended twice.
    assert "Chrome on Android" not in owner_client.get(reverse("diary:sessions")).content.decode()
    response = owner_client.post(reverse("diary:session_end", args=[phone_session.pk]))
    assert response.status_code == 404


def test_signing_out_this_session_from_the_list_signs_out(owner, owner_client):
    mine = OwnerSession.objects.get(user=owner)
    response = owner_client.post(reverse("diary:session_end", args=[mine.pk]))
    assert response.url == reverse("account_login")
    assert owner_client.get(reverse("diary:timeline")).status_code == 302
    mine.refresh_from_db()
    assert mine.ended_how == OwnerSession.Ended.SIGNED_OUT


def test_last_seen_is_written_at_most_once_a_minute(owner, owner_client, django_assert_num_queries):
    owner_client.get(reverse("diary:timeline"))
    session = OwnerSession.objects.get(user=owner)
    first = session.last_seen
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        owner_client.get(reverse("diary:timeline"))
    session.refresh_from_db()
    assert session.last_seen == first
    later = timezone.now() + timedelta(seconds=90)
    with time_machine.travel(later, tick=False):
        owner_client.get(reverse("diary:timeline"))
    session.refresh_from_db()
    assert session.last_seen == later


def test_a_session_left_idle_is_signed_out(owner, owner_client, settings):
    settings.SESSION_IDLE_MINUTES = 30
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert owner_client.get(reverse("diary:timeline")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 31)):
        response = owner_client.get(reverse("diary:timeline"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
        assert "Clear-Site-Data" in response
    session = OwnerSession.objects.get(user=owner)
    assert session.ended_how == OwnerSession.Ended.IDLE
    timed_out = AccessEvent.objects.get(user=owner, kind=AccessEvent.Kind.TIMED_OUT)
    assert timed_out.detail == "Signed out after a while without use"
    page = owner_client.get(response.url).content.decode()
    assert "after a while without use" in page


def test_a_session_ends_after_the_longest_time_however_busy(owner, owner_client, settings):
    settings.SESSION_ABSOLUTE_HOURS = 2
    start = timezone.now()
    for minutes in range(0, 120, 20):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert owner_client.get(reverse("diary:timeline")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=121)):
        assert owner_client.get(reverse("diary:timeline")).status_code == 302
    assert OwnerSession.objects.get(user=owner).ended_how == OwnerSession.Ended.TOO_LONG


def test_changing_the_password_signs_out_the_other_sessions(owner, owner_client):
    phone = Client()
    sign_in(phone, owner.email)
    confirmed(owner_client)
    response = owner_client.post(
        reverse("account_change_password"), CHANGES["account_change_password"]
    )
    assert response.status_code == 302
    assert phone.get(reverse("diary:timeline")).status_code == 302
    assert owner_client.get(reverse("diary:timeline")).status_code == 200
    open_sessions = OwnerSession.objects.filter(user=owner, ended_at__isnull=True)
    assert open_sessions.count() == 1
    # This session's key changed with the password; the row follows it.
    assert open_sessions.get().session_key == stored_key(owner_client.session.session_key)


# The access log


def test_the_access_log_shows_sign_ins_and_failures_and_only_ones_own(owner, other_owner):
    Client(REMOTE_ADDR="203.0.113.5").post(
        reverse("account_login"), {"login": owner.email, "password": "wrong"}
    )
    mine = Client()
    sign_in(mine, owner.email)
    theirs = Client()
    sign_in(theirs, other_owner.email)
    page = mine.get(reverse("diary:access_log")).content.decode()
    assert "Sign-in refused: wrong password" in page and "203.0.113.5" in page
    assert page.count("Signed in") >= 1
    other_page = theirs.get(reverse("diary:access_log")).content.decode()
    assert "203.0.113.5" not in other_page


def test_an_unknown_address_failing_to_sign_in_is_logged_for_nobody(client):
    client.post(reverse("account_login"), {"login": "nobody@example.com", "password": "x"})
    assert not AccessEvent.objects.exists()


# The quick exit's note


def test_the_quick_exit_note_shows_once_for_an_owner(client):
    owner = OwnerFactory(notices_seen=False)
    sign_in(client, owner.email)
    page = client.get(reverse("diary:timeline")).content.decode()
    assert "cannot erase your browser" in page
    response = client.post(reverse("quick_exit_seen"), {"next": reverse("diary:timeline")})
    assert response.url == reverse("diary:timeline")
    assert "cannot erase your browser" not in client.get(reverse("diary:timeline")).content.decode()
    # Remembered with the account: not shown again on another device.
    other = Client()
    sign_in(other, owner.email)
    assert "cannot erase your browser" not in other.get(reverse("diary:timeline")).content.decode()


def test_the_quick_exit_note_never_sends_anyone_elsewhere(owner_client):
    response = owner_client.post(reverse("quick_exit_seen"), {"next": "https://evil.example/"})
    assert response.url == "/"


def test_the_quick_exit_is_first_in_tab_order_and_leaves_without_a_trace(owner_client):
    page = owner_client.get(reverse("diary:timeline")).content.decode()
    after_body = page.split("<body", 1)[1].split(">", 1)[1]
    # The first thing Tab reaches (the header landmark around it takes no focus).
    first_focusable = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", after_body)
    assert first_focusable is not None
    assert first_focusable.group(0) == '<button type="submit" class="quick-exit">'
    # It is a real form, so it signs out without JavaScript too (tests/security/
    # test_leave_without_js.py); it goes on to the ordinary site.
    assert (
        '<form class="quick-exit-form" method="post" action="/leave/" data-quick-exit '
        'data-to="https://www.bbc.co.uk/weather">'
    ) in page
    assert "tabindex" not in after_body[: first_focusable.start()]
    script = (settings.BASE_DIR / "diary/static/diary/quick-exit.js").read_text()
    assert "location.replace" in script and '"Escape"' in script and ">= 3" in script
    # With JavaScript a beacon carries the same form, so the session still ends on the way out
    # and Back to an earlier page meets the sign-in page (checked in Chromium by hand).
    assert "sendBeacon" in script and "form[data-quick-exit]" in script


def test_a_contact_sees_the_note_until_their_browser_has_read_it(owner):
    from witnesses.services.links import witness_invite

    _, token = witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")
    pat = Client()
    pat.get(f"/w/{token}")
    notices = Notice.objects.count()
    assert "cannot erase your browser" in pat.get(reverse("witness:home")).content.decode()
    response = pat.post(reverse("quick_exit_seen"), {"next": reverse("witness:home")})
    assert response.url == reverse("witness:home")
    assert response.cookies[settings.QUICK_EXIT_NOTE_COOKIE]["httponly"] is True
    assert "cannot erase your browser" not in pat.get(reverse("witness:home")).content.decode()
    assert Notice.objects.count() == notices  # remembered by the browser, not an account


def test_a_contacts_visits_are_logged_once_per_visit(owner):
    from witnesses.services.links import witness_invite

    _, token = witness_invite(diary=owner.diary, actor=owner, name="Pat", relationship="neighbour")
    pat = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5) Safari/604")
    pat.get(f"/w/{token}")
    start = timezone.now()
    for minutes in (2, 4, 6):  # one visit, a page every two minutes
        with time_machine.travel(start + timedelta(minutes=minutes)):
            pat.get(reverse("witness:home"))
    with time_machine.travel(start + timedelta(hours=3)):  # a new visit
        pat.get(reverse("witness:home"))
    visits = AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.WITNESS_VISIT)
    assert visits.count() == 1
    assert visits.get().detail == "Pat (neighbour)"
    assert visits.get().browser == "Safari on iPhone"
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.WITNESS_DEVICE).count() == 1


def test_signing_in_again_in_the_same_session_keeps_one_row(owner):
    from django.contrib.auth import login
    from django.test import RequestFactory

    client = Client()
    client.force_login(owner)
    request = RequestFactory().get("/")
    request.session = client.session
    login(request, owner, backend="django.contrib.auth.backends.ModelBackend")
    assert OwnerSession.objects.filter(user=owner).count() == 1
    assert AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.SIGN_IN).count() == 2


def test_requests_at_once_in_a_session_not_yet_tracked_share_one_row(
    owner, owner_client, monkeypatch
):
    """Two requests of one session, each the first the server sees of it, both look for its
    row and find none; the second to write it takes the first's instead of failing (a 500 seen
    with 32 clients at once on PostgreSQL)."""
    from diary.safety import services as safety_services
    from diary.safety.sessions import SESSION_ID

    browser = safety_services.browser_of

    def the_other_request_gets_there_first(request):
        OwnerSession.objects.create(user=owner, session_key=stored_key(request.session.session_key))
        return browser(request)

    # Signed in before sessions were tracked: no row for this session, and none remembered.
    session = owner_client.session
    del session[SESSION_ID]
    session.save()
    OwnerSession.objects.filter(user=owner).update(session_key="an-older-session")
    monkeypatch.setattr(safety_services, "browser_of", the_other_request_gets_there_first)
    assert owner_client.get(reverse("diary:timeline")).status_code == 200
    [row] = OwnerSession.objects.filter(session_key=stored_key(owner_client.session.session_key))
    assert owner_client.session[SESSION_ID] == row.pk


def test_the_sessions_and_access_pages_do_not_query_per_row(
    owner, owner_client, django_assert_max_num_queries
):
    def more(n):
        for _ in range(n):
            sign_in(Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux) Firefox/128.0"), owner.email)

    more(2)
    owner_client.get(reverse("diary:sessions"))
    for name in ("diary:sessions", "diary:access_log"):
        with django_assert_max_num_queries(20) as few:
            owner_client.get(reverse(name))
        counted = len(few.captured_queries)  # before more requests reset Django's query log
        more(15)
        with django_assert_max_num_queries(counted):
            response = owner_client.get(reverse(name))
        assert response.content.decode().count("Firefox") >= 15


def test_two_first_requests_of_an_adopted_session_at_once_share_one_row(owner, rf, monkeypatch):
    """A session from before sessions were tracked is adopted on its next request; when a page
    and its API calls arrive together, the one that finds the other's row uses it (it was a
    unique-key error, and a 500, on PostgreSQL under tests/test_concurrency.py)."""
    session = SessionStore()
    session.save()
    request = rf.get("/diary/", HTTP_USER_AGENT="Mozilla/5.0 (Android 14) Chrome/120")
    request.session, request.user = session, owner
    theirs = OwnerSession.objects.create(user=owner, session_key=stored_key(session.session_key))
    looked = []

    def missed_it(queryset):  # the other request committed just after this one looked
        looked.append(queryset)
        return None

    monkeypatch.setattr(QuerySet, "first", missed_it)
    adopted = session_start(request=request, user=owner, signed_in=False)
    assert looked
    assert adopted.pk == theirs.pk
    assert OwnerSession.objects.filter(user=owner).count() == 1
    assert stored_key(session.session_key) == theirs.session_key
