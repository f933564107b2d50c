"""He copied the server's database while she was signed in, and sets a session key he
found there as his cookie."""

from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse

from diary.models import OwnerSession
from tests.security.conftest import SENTINEL, body, browser, sign_in


def all_rows_as_text() -> str:
    """Every column of every table, as text: what a copy of the database holds."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the schema
            out.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(out)


def test_no_session_key_in_the_database_and_a_copied_row_opens_nothing(owner: Any) -> None:
    her = browser()
    assert sign_in(her, owner.email).status_code == 302
    assert SENTINEL in body(her.get(reverse("diary:timeline")))
    cookie = her.cookies[settings.SESSION_COOKIE_NAME].value
    assert OwnerSession.objects.filter(user=owner, ended_at__isnull=True).count() == 1

    copy = all_rows_as_text()
    assert cookie not in copy

    django_rows = Session.objects.values_list("session_key", flat=True)
    owner_rows = OwnerSession.objects.values_list("session_key", flat=True)
    for stored in [*django_rows, *owner_rows]:
        him = browser()
        him.cookies[settings.SESSION_COOKIE_NAME] = stored
        response = him.get(reverse("diary:timeline"))
        assert SENTINEL not in body(response)
        assert response.status_code == 302

    # Her own cookie still works, and ending her session still ends it.
    assert SENTINEL in body(her.get(reverse("diary:timeline")))
    assert Session.objects.count() >= 1


def test_session_data_is_sealed(owner: Any) -> None:
    her = browser()
    assert sign_in(her, owner.email).status_code == 302
    for data in Session.objects.values_list("session_data", flat=True):
        assert data.startswith("enc1:")
        assert "_auth_user_id" not in data
