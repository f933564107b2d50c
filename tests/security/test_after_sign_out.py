"""He sits down at her computer after she signed out: nothing of the diary comes back, from
the server or from the browser's cache."""

from django.urls import reverse

from diary.evidence.services import evidence_attach
from diary.models import AccessEvent, OwnerSession
from tests.factories import upload
from tests.security.conftest import HER_PHONE, PASSWORD, SENTINEL, body, browser, shut_out, sign_in


def test_no_page_of_the_diary_comes_back_after_sign_out(owner):
    evidence = evidence_attach(entry=owner.sentinel_entry, actor=owner, upload=upload())
    her = browser(agent=HER_PHONE)
    sign_in(her, owner.email)
    # Originals and the API's entries are handed over after she confirms it is her.
    her.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    pages = [
        reverse("diary:timeline"),
        reverse("diary:entry", args=[owner.sentinel_entry.pk]),
        reverse("diary:evidence_original", args=[evidence.pk]),
        reverse("diary:evidence_preview", args=[evidence.pk]),
        reverse("diary:sessions"),
        reverse("witnesses:inbox"),
        "/api/entries/",
    ]
    for url in pages:
        response = her.get(url)
        assert response.status_code == 200, url
        # Kept by no browser or proxy cache, so Back after sign-out fetches again.
        cache_control = response["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url

    response = her.post(reverse("account_logout"))
    assert response.status_code == 302
    cleared = response["Clear-Site-Data"]
    for kind in ('"cache"', '"cookies"', '"storage"'):
        assert kind in cleared
    session = OwnerSession.objects.get(user=owner)
    assert session.ended_how == OwnerSession.Ended.SIGNED_OUT
    assert AccessEvent.objects.filter(user=owner, kind=AccessEvent.Kind.SIGN_OUT).exists()

    # The same browser, now his.
    shut_out(her, owner.sentinel_entry.pk)
    for url in pages:
        response = her.get(url)
        assert response.status_code in (302, 403), url
        assert SENTINEL not in body(response)
