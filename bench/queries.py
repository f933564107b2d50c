"""Queries per request, counted in this process with Django's test client on the bench data:
the same middleware, views and templates the server runs."""

from typing import Any

PAGES = (
    ("timeline", "the timeline page", "/diary/"),
    ("api_entries", "GET /api/entries/", "/api/entries/"),
    ("entry", "an entry page", "/diary/entries/{entry}/"),
    ("inbox", "the inbox", "/diary/inbox/"),
    ("witness", "the witness page", "/w/"),
)


def count(client: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # once to warm caches a real server would have warm too
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}, not 200")
    return len(queries.captured_queries)


def measure(meta: dict[str, Any]) -> dict[str, dict[str, int]]:
    """{page: {size: queries}} for the small (1,000) and large (10,000) diaries."""
    from django.conf import settings
    from django.test import Client

    from bench.run import confirmed
    from diary.models import User

    found: dict[str, dict[str, int]] = {key: {} for key, _label, _path in PAGES}
    for size in ("small", "large"):
        diary = meta[size]
        owner = Client()
        user = User.objects.get(pk=diary["owner"])
        owner.force_login(user)
        session = owner.session
        confirmed(session, user)
        session.save()
        witness = Client()
        witness.cookies[settings.WITNESS_COOKIE_NAME] = diary["witness_all_key"]
        for key, _label, path in PAGES:
            client = witness if key == "witness" else owner
            found[key][size] = count(client, path.format(entry=diary["entry"]))
    return found
