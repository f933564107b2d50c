"""He gets her to open a page of his while she is signed in, and that page posts to this
site: to record, change, export, invite, or end her sessions. CSRF refuses every one."""

from django.conf import settings
from django.urls import reverse

from diary.models import Entry, Export, LedgerRecord, OwnerSession
from tests.conftest import confirmed
from tests.security.conftest import HER_PHONE, browser, sign_in
from witnesses.models import Witness

EVIL = "https://evil.example"


def state_changes(owner):
    entry = owner.sentinel_entry.pk
    return [
        (
            reverse("diary:capture"),
            {
                "what_happened": "planted",
                "occurred_start": "2026-11-20T10:00",
                "precision": "exact",
            },
        ),
        (reverse("diary:entry_withdraw", args=[entry]), {"reason": "gone"}),
        (reverse("diary:exports"), {}),
        (reverse("diary:sessions_end_others"), {}),
        (reverse("diary:settings"), {"title": "His title", "time_zone": "UTC"}),
        (reverse("witnesses:contact_new"), {"name": "Him", "relationship": "friend"}),
        (reverse("account_email"), {"email": "his@example.com", "action_add": ""}),
        ("/api/entries/", {"what_happened": "planted", "occurred_start": "2026-11-20T10:00Z"}),
        ("/api/exports/", {}),
    ]


def snapshot(owner):
    return (
        LedgerRecord.objects.filter(diary=owner.diary).count(),
        Entry.objects.filter(diary=owner.diary).count(),
        Export.objects.count(),
        Witness.objects.count(),
        OwnerSession.objects.filter(user=owner, ended_at__isnull=True).count(),
        owner.diary.__class__.objects.get(pk=owner.diary.pk).title,
        owner.emailaddress_set.count(),
    )


def test_posts_from_another_site_change_nothing(owner):
    other_phone = browser()
    sign_in(other_phone, owner.email)  # a second session she could lose
    her = browser(agent=HER_PHONE, enforce_csrf_checks=True)
    her.force_login(owner)
    confirmed(her)  # even just after confirming it is her
    her.get(reverse("diary:timeline"))
    token = her.cookies[settings.CSRF_COOKIE_NAME].value
    before = snapshot(owner)
    for url, data in state_changes(owner):
        # His page cannot read her token: no token, or his own Origin with hers.
        response = her.post(url, data, HTTP_ORIGIN=EVIL, HTTP_SEC_FETCH_SITE="cross-site")
        assert response.status_code == 403, url
        response = her.post(
            url, {**data, "csrfmiddlewaretoken": token}, HTTP_ORIGIN=EVIL, HTTP_REFERER=EVIL + "/"
        )
        assert response.status_code == 403, url
        assert snapshot(owner) == before, url


def test_her_session_cookie_goes_with_no_other_sites_post_and_to_no_script(owner):
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    cookie = her.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"] is True
    # A session cookie: it goes when the browser closes (the server ends it sooner).
    assert cookie["expires"] == "" and cookie["max-age"] == ""


def test_her_own_pages_still_post(owner):
    """The control: the same browser, posting from this site, gets through."""
    her = browser(agent=HER_PHONE, enforce_csrf_checks=True)
    her.force_login(owner)
    her.get(reverse("diary:settings"))
    token = her.cookies[settings.CSRF_COOKIE_NAME].value
    response = her.post(
        reverse("diary:settings"),
        {"title": "Weather notes", "time_zone": "UTC", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 302
    owner.diary.refresh_from_db()
    assert owner.diary.title == "Weather notes"
