"""A session signed in before sessions were tracked is noted on its first request. Two first
requests at once (several tabs opening) must both be answered, with one row between them."""

from unittest import mock

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db.models import QuerySet
from django.test import Client

from diary.core.crypto import stored_key
from diary.models import OwnerSession
from diary.safety.session_store import SessionStore
from diary.safety.sessions import SESSION_ID

pytestmark = pytest.mark.django_db


def untracked_session(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def test_a_first_request_that_loses_the_race_joins_the_row_the_other_made(owner, settings):
    key = untracked_session(owner)
    other = OwnerSession.objects.create(
        user=owner, session_key=stored_key(key), browser="", ip=None
    )
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    first = QuerySet.first

    def missed_it(queryset):
        # This request looked before the other request's row was there.
        if queryset.model is OwnerSession:
            return None
        return first(queryset)

    with mock.patch.object(QuerySet, "first", missed_it):
        response = client.get("/api/items/")
    assert response.status_code == 200
    assert OwnerSession.objects.filter(session_key=stored_key(key)).count() == 1
    assert SessionStore(key)[SESSION_ID] == other.pk
