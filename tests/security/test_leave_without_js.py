"""She presses "Leave this site" on a phone without JavaScript (or with it blocked), and he
picks the phone up and presses Back.

It was a plain link to the neutral site: it signed nobody out, and Back showed the signed-in
timeline. Now it is a form the server answers: her session ends (recorded as any sign-out) and
the browser is sent on; no signed-in page may be kept in the cache, so Back fetches the page
again and meets the sign-in page.
"""

from django.conf import settings
from django.urls import reverse

from diary.models import AccessEvent, OwnerSession
from tests.security.conftest import HER_PHONE, SENTINEL, body, browser, shut_out, sign_in


def test_her_leave_is_a_form_that_signs_her_out_and_sends_her_on(owner):
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    timeline = her.get(reverse("diary:timeline"))
    assert timeline.status_code == 200
    # Kept by no cache, so Back after leaving asks the server again.
    assert "no-store" in timeline["Cache-Control"]
    page = body(timeline)
    assert '<form class="quick-exit-form" method="post" action="/leave/"' in page
    assert f'href="{settings.QUICK_EXIT_URL}"' not in page  # no plain link that signs nobody out
    # The browser follows the form's redirect only where form-action allows it to go.
    assert f"form-action 'self' {settings.QUICK_EXIT_URL}" in timeline["Content-Security-Policy"]

    response = her.post(reverse("leave"))
    assert response.status_code == 302
    assert response.url == settings.QUICK_EXIT_URL
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert '"cookies"' in response["Clear-Site-Data"]
    session = OwnerSession.objects.get(user=owner)
    assert session.ended_at is not None
    assert session.ended_how == OwnerSession.Ended.SIGNED_OUT
    assert AccessEvent.objects.filter(
        user=owner, kind=AccessEvent.Kind.SIGN_OUT, session=session
    ).exists()

    # Back: the timeline is fetched again, and it is the sign-in page.
    back = her.get(reverse("diary:timeline"))
    assert back.status_code == 302
    assert back.url.startswith(reverse("account_login"))
    assert SENTINEL not in body(back)
    shut_out(her, owner.sentinel_entry.pk)


def test_with_javascript_the_beacon_ends_her_session_too(owner):
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    assert her.get(reverse("diary:timeline")).status_code == 200
    # What quick-exit.js sends while it swaps the page out: the same form, as a beacon.
    response = her.post(reverse("leave"), {"beacon": "1"})
    assert response.status_code == 204
    assert OwnerSession.objects.get(user=owner).ended_how == OwnerSession.Ended.SIGNED_OUT
    assert her.get(reverse("diary:timeline")).status_code == 302


def test_a_stale_page_still_leaves(owner):
    # A page left open for hours has an old form; leaving must never fail on its token.
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    her.handler.enforce_csrf_checks = True  # and the form carries no token at all
    response = her.post(reverse("leave"))
    assert response.status_code == 302 and response.url == settings.QUICK_EXIT_URL
    assert OwnerSession.objects.get(user=owner).ended_at is not None


def test_leaving_when_signed_out_just_goes(db):
    anyone = browser()
    response = anyone.post(reverse("leave"))
    assert response.status_code == 302 and response.url == settings.QUICK_EXIT_URL
    assert not AccessEvent.objects.exists()
    assert anyone.get(reverse("leave")).status_code == 405
