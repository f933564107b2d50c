"""Account safety: the owner's signed-in sessions, the access log, and notes shown once.

Writes here follow the services' habits (keyword-only, atomic); reads that cross the permission
line take the owner and answer 404 for anyone else's session.
"""

import ipaddress
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from diary.browsers import browser_family
from diary.live import send_now
from diary.models import AccessEvent, Notice, OwnerSession, User

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


def client_ip(request: Any) -> str | None:
    """The address a request came from. Behind TRUSTED_PROXY_COUNT proxies that each append to
    X-Forwarded-For, the client is that many entries from the right; anything further left
    was written by the client itself and is not believed."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    address = meta.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _browser(request: Any) -> str:
    if request is None:
        return ""
    return browser_family(getattr(request, "META", {}).get("HTTP_USER_AGENT", ""))


def owner_session_group(session_id: int) -> str:
    return f"owner-session.{session_id}"


# The access log


def access_event_record(
    *,
    user_id: int,
    kind: str,
    request: Any = None,
    session: OwnerSession | None = None,
    browser: str = "",
    detail: str = "",
) -> AccessEvent:
    session_id = session.pk if session is not None else None
    if session_id is None and request is not None and hasattr(request, "session"):
        session_id = request.session.get(SESSION_ID)
    return AccessEvent.objects.create(
        user_id=user_id,
        kind=kind,
        browser=browser or _browser(request),
        ip=client_ip(request),
        session_id=session_id,
        detail=detail[:200],
    )


def export_recorded(*, request: HttpRequest, export: Any, downloaded: bool = False) -> None:
    kind = AccessEvent.Kind.EXPORT_DOWNLOAD if downloaded else AccessEvent.Kind.EXPORT
    access_event_record(
        user_id=request.user.pk, kind=kind, request=request, detail=f"#{export.number}"
    )


def access_log(*, actor: Any) -> QuerySet[AccessEvent]:
    if not getattr(actor, "is_authenticated", False):
        raise Http404
    return AccessEvent.objects.filter(user_id=actor.pk).order_by("-at", "-id")


# Sessions


def _timestamp(moment: datetime) -> float:
    return moment.timestamp()


@transaction.atomic
def session_start(*, request: HttpRequest, user: User, signed_in: bool = True) -> OwnerSession:
    """A browser has just signed in: note it, and remember in its session which one it is."""
    session = request.session
    if not session.session_key:
        session.save()
    now = timezone.now()
    # Signing in again in a session that is still signed in (Django keeps its key then).
    same = OwnerSession.objects.filter(session_key=session.session_key).first()
    if same is not None and same.ended_at is None and same.user_id == user.pk:
        _remember(session, same, now, user)
        if signed_in:
            access_event_record(
                user_id=user.pk, kind=AccessEvent.Kind.SIGN_IN, request=request, session=same
            )
        return same
    if same is not None:
        session.cycle_key()
    try:
        with transaction.atomic():
            owner_session = OwnerSession.objects.create(
                user=user,
                session_key=session.session_key,
                browser=_browser(request),
                ip=client_ip(request),
                first_seen=now,
                last_seen=now,
            )
    except IntegrityError:
        # Two first requests of one session at once (signed in before sessions were tracked,
        # several tabs opening): the other request noted it a moment ago; this one joins it.
        owner_session = OwnerSession.objects.get(session_key=session.session_key)
        if owner_session.user_id != user.pk or owner_session.ended_at is not None:
            raise
    _remember(session, owner_session, now, user)
    if signed_in:
        access_event_record(
            user_id=user.pk, kind=AccessEvent.Kind.SIGN_IN, request=request, session=owner_session
        )
    return owner_session


def _remember(session: Any, owner_session: OwnerSession, now: datetime, user: User) -> None:
    session[SESSION_ID] = owner_session.pk
    session[SESSION_KEY] = session.session_key
    session[STARTED] = session[SEEN] = _timestamp(now)
    # Read once here, so no page has to ask the database whether to show the note.
    session[QUICK_EXIT_SEEN] = notice_seen(user=user, kind=Notice.Kind.QUICK_EXIT)


def session_check(request: HttpRequest) -> str:
    """For a signed-in request: the reason it must be signed out now ("" if none), keeping
    last seen up to date on the way (at most once a minute)."""
    session = request.session
    if SESSION_ID not in session:
        # Signed in before sessions were tracked: track it from now on.
        session_start(request=request, user=request.user, signed_in=False)  # type: ignore[arg-type]
        return ""
    now = timezone.now()
    started = datetime.fromtimestamp(session[STARTED], tz=UTC)
    seen = datetime.fromtimestamp(session[SEEN], tz=UTC)
    if now - started > absolute_limit():
        return OwnerSession.Ended.TOO_LONG
    if now - seen > idle_limit():
        return OwnerSession.Ended.IDLE
    if now - seen >= SEEN_EVERY:
        still_open = OwnerSession.objects.filter(
            pk=session[SESSION_ID], ended_at__isnull=True
        ).update(last_seen=now)
        if not still_open:
            return OwnerSession.Ended.ENDED
        session[SEEN] = _timestamp(now)
    return ""


def session_follow_key(request: HttpRequest) -> None:
    """Django gives a session a new key when the password changes; keep the row pointing at
    the live key, so ending this session still ends it."""
    session = request.session
    if SESSION_ID in session and session.session_key != session.get(SESSION_KEY):
        OwnerSession.objects.filter(pk=session[SESSION_ID]).update(session_key=session.session_key)
        session[SESSION_KEY] = session.session_key


def current_session_id(request: HttpRequest) -> int | None:
    return request.session.get(SESSION_ID)


def _delete_stored_sessions(keys: list[str]) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store, "get_model_class"):
        store.get_model_class().objects.filter(session_key__in=keys).delete()
    else:
        for key in keys:
            store().delete(key)


def _end(sessions: QuerySet[OwnerSession], how: str) -> list[OwnerSession]:
    """End the open sessions among `sessions`: mark them, delete Django's sessions behind them
    (so their cookies sign nobody in), and close their open sockets once this commits."""
    ending = list(sessions.filter(ended_at__isnull=True).select_for_update())
    if not ending:
        return []
    now = timezone.now()
    OwnerSession.objects.filter(pk__in=[s.pk for s in ending]).update(ended_at=now, ended_how=how)
    _delete_stored_sessions([s.session_key for s in ending])
    ids = [s.pk for s in ending]

    def close_sockets() -> None:
        for session_id in ids:
            send_now(owner_session_group(session_id), {"type": "session.ended"})

    transaction.on_commit(close_sockets)
    for session in ending:
        session.ended_at, session.ended_how = now, how
    return ending


def open_sessions(*, actor: Any) -> QuerySet[OwnerSession]:
    """The owner's sessions still signed in: not ended, and neither idle nor too old to be
    let in again (those end at their next request)."""
    if not getattr(actor, "is_authenticated", False):
        raise Http404
    now = timezone.now()
    return OwnerSession.objects.filter(
        user_id=actor.pk,
        ended_at__isnull=True,
        last_seen__gt=now - idle_limit() - SEEN_EVERY,
        first_seen__gt=now - absolute_limit(),
    ).order_by("-last_seen", "-id")


def open_session_get(*, actor: Any, session_id: int) -> OwnerSession:
    try:
        return open_sessions(actor=actor).get(pk=session_id)
    except OwnerSession.DoesNotExist:
        raise Http404 from None


@transaction.atomic
def session_end(*, request: HttpRequest, session: OwnerSession) -> None:
    """The owner ends one session. Ending the one in use is signing out."""
    if session.pk == current_session_id(request):
        logout(request)
        return
    if _end(OwnerSession.objects.filter(pk=session.pk), OwnerSession.Ended.ENDED):
        access_event_record(
            user_id=session.user_id,
            kind=AccessEvent.Kind.SESSION_ENDED,
            request=request,
            session=session,
            detail=session.browser,
        )


@transaction.atomic
def sessions_end_others(*, request: HttpRequest, actor: User) -> int:
    others = OwnerSession.objects.filter(user_id=actor.pk).exclude(pk=current_session_id(request))
    ended = _end(others, OwnerSession.Ended.ENDED_ALL)
    access_event_record(
        user_id=actor.pk,
        kind=AccessEvent.Kind.SESSIONS_ENDED,
        request=request,
        detail=str(len(ended)),
    )
    return len(ended)


@transaction.atomic
def session_signed_out(*, request: HttpRequest, user: Any, how: str) -> None:
    """This request's own session ends (sign-out, or a time limit reached)."""
    session_id = current_session_id(request) if hasattr(request, "session") else None
    if session_id is None or user is None:
        return
    ended = _end(OwnerSession.objects.filter(pk=session_id, user_id=user.pk), how)
    if ended:
        signed_out = how == OwnerSession.Ended.SIGNED_OUT
        access_event_record(
            user_id=user.pk,
            kind=AccessEvent.Kind.SIGN_OUT if signed_out else AccessEvent.Kind.TIMED_OUT,
            request=request,
            session=ended[0],
            detail="" if signed_out else str(OwnerSession.Ended(how).label),
        )


@transaction.atomic
def sessions_end_after_password(*, request: HttpRequest, user: Any) -> None:
    """Django signs every other session out when the password changes; say so in the list."""
    others = OwnerSession.objects.filter(user_id=user.pk)
    if hasattr(request, "session") and current_session_id(request):
        others = others.exclude(pk=current_session_id(request))
    _end(others, OwnerSession.Ended.ENDED_ALL)


# Notes shown once


def notice_seen(*, user: Any, kind: str) -> bool:
    return Notice.objects.filter(user_id=user.pk, kind=kind).exists()


def notice_dismiss(*, user: Any, kind: str) -> None:
    try:
        with transaction.atomic():
            Notice.objects.create(user_id=user.pk, kind=kind)
    except IntegrityError:
        pass  # already seen, perhaps in another tab


def quick_exit_note_due(request: HttpRequest) -> bool:
    """Whether to show what the quick exit cannot do: to an owner until they have read it
    (remembered with the account, copied into the session at sign-in), to a contact until
    their browser has (remembered in a cookie)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return not request.session.get(QUICK_EXIT_SEEN, True)
    if getattr(request, "witness", None) is not None:
        return settings.QUICK_EXIT_NOTE_COOKIE not in request.COOKIES
    return False
