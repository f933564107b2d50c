"""Every write about account safety: the access log, sessions starting and ending, notes seen.

Each is keyword-only and atomic, like every service.
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any, Literal

from allauth.account.internal.flows import manage_email
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import logout
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Subquery
from django.http import Http404, HttpRequest
from django.utils import timezone

from diary.core.crypto import keyring, stored_key
from diary.live.events import Events, after_commit, diary_group, send_now
from diary.models import AccessEvent, Diary, Notice, OwnerSession, User
from diary.safety.selectors import notice_seen
from diary.safety.sessions import (
    QUICK_EXIT_SEEN,
    SEEN,
    SEEN_EVERY,
    SESSION_ID,
    SESSION_KEY,
    STARTED,
    _timestamp,
    absolute_limit,
    current_session_id,
    idle_limit,
    owner_session_group,
)
from diary.web.client import acting_request, browser_of, client_ip
from diary.web.requests import OwnerRequest

# The access log
# A repeat of the same event (same kind, from the same session, browser and address, or the same
# contact's link or device, about the same thing) within this long of the last one adds to its
# line instead of writing another, so a flood cannot push everything else off the first page.
FOLD_WINDOW = timedelta(hours=1)

# What is also shown to the owner on every page, at once, until she says she has seen it.
NOTICE_KINDS = frozenset(
    {
        AccessEvent.Kind.PASSWORD_RESET,
        AccessEvent.Kind.EMAIL_ADDED,
        AccessEvent.Kind.EMAIL_CONFIRMED,
    }
)


def _fold_key(user_id: int, kind: str, who: str, what: str) -> str:
    message = f"sightline access fold v1\x00{user_id}\x00{kind}\x00{who}\x00{what}".encode()
    return hmac.new(keyring().index_key, message, hashlib.sha256).hexdigest()[:32]


@transaction.atomic
def access_event_record(
    *,
    user_id: int,
    kind: str,
    request: Any = None,
    session: OwnerSession | None = None,
    browser: str = "",
    detail: str = "",
    device: str = "",
    same: str | None = None,
    notice: bool | None = None,
    session_id: int | None = None,
    address: str | None = None,
) -> AccessEvent | None:
    """One line of the owner's access log, or one more on the line of the same event.

    `request` is the request that did it; without one, the request being answered, if it is
    this owner's own (so a contact's request never puts the contact's address in her log).
    `device` names a contact's link or device, which has no session: with the browser, it
    stands in for session and address in deciding what is a repeat. `same` names what the
    event is about when that is not `detail` (all downloads in a session are one line; the
    detail is the last). `notice` overrides whether the kind is shown to her at once.
    `session_id` and `address` stand in for a request that has been answered already (work
    finished in the background, logged as the session and address that asked for it).
    Returns the new line, or None when the event was folded into an earlier one."""
    if request is None:
        acting = acting_request()
        acting_user = getattr(acting, "user", None)
        if getattr(acting_user, "pk", None) == user_id:
            request = acting
    if session is not None:
        session_id = session.pk
    if session_id is None and request is not None and hasattr(request, "session"):
        session_id = request.session.get(SESSION_ID)
    browser = browser or browser_of(request)
    ip = address or client_ip(request)
    detail = detail[:200]
    # A contact's device lines fold per link and kind of browser: a flood from one is one
    # line, and a second kind of phone on a link (a forwarded link) is a line of its own.
    who = f"{device}|{browser}" if device else f"{session_id or ''}|{browser}|{ip or ''}"
    key = _fold_key(user_id, kind, who, detail if same is None else same)
    now = timezone.now()
    notice = kind in NOTICE_KINDS if notice is None else notice
    # One statement, so two repeats at once both count: the row is found and added to in the
    # same UPDATE (PostgreSQL re-reads the row if another UPDATE got there first).
    latest = (
        AccessEvent.objects.filter(user_id=user_id, fold_key=key, last_at__gte=now - FOLD_WINDOW)
        .order_by("-last_at", "-id")
        .values("pk")[:1]
    )
    changes: dict[str, Any] = {"count": F("count") + 1, "last_at": now, "detail": detail}
    changes.update(browser=browser, ip=ip)
    if notice:
        changes["notice_open"] = True
    if AccessEvent.objects.filter(pk__in=Subquery(latest)).update(**changes):
        if not notice:
            return None
        event = AccessEvent.objects.filter(fold_key=key, user_id=user_id).latest("last_at", "id")
    else:
        event = AccessEvent.objects.create(
            user_id=user_id,
            kind=kind,
            at=now,
            last_at=now,
            browser=browser,
            ip=ip,
            session_id=session_id,
            detail=detail,
            fold_key=key,
            notice_open=notice,
        )
    if notice:
        access_notice_published(event)
    return event


def access_notice_published(event: AccessEvent) -> None:
    """Every open page of the owner's shows the notice once this commits. The event names the
    line only; the owner's socket reads and renders it (no address or detail leaves)."""
    user_id, event_id = event.user_id, event.pk

    def build() -> Events:
        diary_id = Diary.objects.filter(owner_id=user_id).values_list("pk", flat=True).first()
        if diary_id is None:
            return []
        return [(diary_group(diary_id), {"type": "access.notice", "access_event": event_id})]

    after_commit(build)


def access_notice_dismiss(*, actor: Any, event: AccessEvent) -> None:
    AccessEvent.objects.filter(user_id=actor.pk, pk=event.pk).update(notice_open=False)


def recovery_codes_shown(*, request: Any) -> None:
    access_event_record(
        user_id=request.user.pk, kind=AccessEvent.Kind.RECOVERY_CODES_VIEWED, request=request
    )


def original_downloaded(*, kept: Any, reference: str) -> None:
    """An original file is being sent to the signed-in owner: one line a session, however
    many files (the detail names the last)."""
    request = acting_request()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    access_event_record(
        user_id=user.pk,
        kind=AccessEvent.Kind.ORIGINAL_DOWNLOADED,
        request=request,
        detail=reference,
        same="",
    )


def export_recorded(*, request: HttpRequest, export: Any, downloaded: bool = False) -> None:
    owner = request.user
    assert owner.is_authenticated  # exports are made and fetched only signed in
    kind = AccessEvent.Kind.EXPORT_DOWNLOAD if downloaded else AccessEvent.Kind.EXPORT
    access_event_record(user_id=owner.pk, kind=kind, request=request, detail=f"#{export.number}")


def export_recorded_for_job(*, job: Any, export: Any) -> None:
    """A bundle made in the background is logged when it is complete, as the session, browser
    and address that asked for it."""
    if job.requested_by_id is None:
        return
    access_event_record(
        user_id=job.requested_by_id,
        kind=AccessEvent.Kind.EXPORT,
        session_id=job.requested_in,
        browser=job.browser,
        address=job.requested_from or None,
        detail=f"#{export.number}",
    )


def head_recorded(*, request: HttpRequest, seq: int) -> None:
    owner = request.user
    assert owner.is_authenticated  # heads are fetched only signed in
    access_event_record(
        user_id=owner.pk, kind=AccessEvent.Kind.HEAD_DOWNLOAD, request=request, detail=f"{seq}"
    )


@transaction.atomic
def session_start(*, request: HttpRequest, user: User, signed_in: bool = True) -> OwnerSession:
    """A browser has just signed in: note it, and remember in its session which one it is."""
    session = request.session
    if not session.session_key:
        session.save()
    assert session.session_key is not None  # saving has just made one
    now = timezone.now()
    # Signing in again in a session that is still signed in (Django keeps its key then).
    same = OwnerSession.objects.filter(session_key=stored_key(session.session_key)).first()
    if same is not None and same.ended_at is None and same.user_id == user.pk:
        _remember(session, same, now, user)
        if signed_in:
            access_event_record(
                user_id=user.pk, kind=AccessEvent.Kind.SIGN_IN, request=request, session=same
            )
        return same
    if same is not None:
        session.cycle_key()
    fields = {"user": user, "browser": browser_of(request), "ip": client_ip(request)}
    fields.update(first_seen=now, last_seen=now)
    # Two first requests of a session adopted from before sessions were tracked can arrive at
    # once (a page and its API calls): the second finds the row the first made, not a 500.
    owner_session, made = OwnerSession.objects.get_or_create(
        session_key=stored_key(session.session_key), defaults=fields
    )
    if not made and (owner_session.user_id != user.pk or owner_session.ended_at is not None):
        session.cycle_key()
        assert session.session_key is not None  # cycle_key has just made one
        owner_session = OwnerSession.objects.create(
            session_key=stored_key(session.session_key), **fields
        )
    _remember(session, owner_session, now, user)
    if signed_in:
        access_event_record(
            user_id=user.pk, kind=AccessEvent.Kind.SIGN_IN, request=request, session=owner_session
        )
    return owner_session


def _remember(session: Any, owner_session: OwnerSession, now: datetime, user: User) -> None:
    session[SESSION_ID] = owner_session.pk
    session[SESSION_KEY] = stored_key(session.session_key or "")
    session[STARTED] = session[SEEN] = _timestamp(now)
    # Read once here, so no page has to ask the database whether to show the note.
    session[QUICK_EXIT_SEEN] = notice_seen(user=user, kind=Notice.Kind.QUICK_EXIT)


def session_check(request: OwnerRequest) -> OwnerSession.Ended | Literal[""]:
    """For a signed-in request: the reason it must be signed out now ("" if none), keeping
    last seen up to date on the way (at most once a minute)."""
    session = request.session
    if SESSION_ID not in session:
        # Signed in before sessions were tracked: track it from now on.
        session_start(request=request, user=request.user, signed_in=False)
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
    if not session.session_key or SESSION_ID not in session:
        return
    key = stored_key(session.session_key)
    if key != session.get(SESSION_KEY):
        OwnerSession.objects.filter(pk=session[SESSION_ID]).update(session_key=key)
        session[SESSION_KEY] = key


def _delete_stored_sessions(keys: list[str]) -> None:
    """End Django's sessions behind OwnerSession rows, whose keys are already the stored
    (hashed) keys: the same primary keys `django_session` holds."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store.get_model_class().objects.filter(session_key__in=keys).delete()


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
    others = OwnerSession.objects.filter(user_id=actor.pk)
    current = current_session_id(request)
    if current is not None:
        others = others.exclude(pk=current)
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
    current = current_session_id(request) if hasattr(request, "session") else None
    if current:
        others = others.exclude(pk=current)
    _end(others, OwnerSession.Ended.ENDED_ALL)


def notice_dismiss(*, user: Any, kind: str) -> None:
    try:
        with transaction.atomic():
            Notice.objects.create(user_id=user.pk, kind=kind)
    except IntegrityError:
        pass  # already seen, perhaps in another tab


@transaction.atomic
def addresses_keep_only(*, request: HttpRequest, actor: User, keep: EmailAddress) -> list[str]:
    """The lockout check: `keep` becomes her only e-mail address (and her primary one), so a
    reset can be sent nowhere else. Through allauth's own steps, so its signals (and with them
    the access log) hear each change as from the e-mail page. Returns the addresses removed."""
    if keep.user_id != actor.pk:
        raise Http404
    if not keep.primary and not manage_email.mark_as_primary(request, keep):
        return []
    removed = []
    for address in EmailAddress.objects.filter(user_id=actor.pk).exclude(pk=keep.pk):
        if manage_email.delete_email(request, address):
            removed.append(address.email)
    return removed
