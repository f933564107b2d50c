"""What an owner's browser session carries about itself, and the limits it lives by."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest

# Keys this module keeps in Django's session.
SESSION_ID = "owner_session"


SESSION_KEY = "owner_session_key"


STARTED = "owner_session_started"


SEEN = "owner_session_seen"


QUICK_EXIT_SEEN = "quick_exit_note_seen"


# Last seen is written at most this often, never on every request.
SEEN_EVERY = timedelta(minutes=1)


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.SESSION_IDLE_MINUTES)


def absolute_limit() -> timedelta:
    return timedelta(hours=settings.SESSION_ABSOLUTE_HOURS)


def owner_session_group(session_id: int) -> str:
    return f"owner-session.{session_id}"


# Sessions
def _timestamp(moment: datetime) -> float:
    return moment.timestamp()


def current_session_id(request: HttpRequest) -> int | None:
    return request.session.get(SESSION_ID)


def session_id_of(request: Any) -> int | None:
    """The owner's session a request came from; None without one (a script, the demo)."""
    session = getattr(request, "session", None)
    return session.get(SESSION_ID) if session is not None else None
