"""Reads about account safety. Each takes the owner and answers 404 for anyone else's."""

from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from diary import messages
from diary.models import AccessEvent, Notice, OwnerSession, User
from diary.safety.sessions import QUICK_EXIT_SEEN, SEEN_EVERY, absolute_limit, idle_limit


def has_confirmed_address(*, actor: Any) -> bool:
    """Whether the owner has confirmed an e-mail address (allauth adds a second step only to
    a confirmed one)."""
    if not getattr(actor, "is_authenticated", False):
        raise Http404
    return bool(EmailAddress.objects.filter(user_id=actor.pk, verified=True).exists())


def owner_signing_in_as(address: str) -> User | None:
    """The owner a sign-in was tried for, so their own access log can show it. Nothing of it
    reaches the person trying."""
    if not address:
        return None
    return User.objects.filter(email__iexact=address).first()


def access_log(*, actor: Any) -> QuerySet[AccessEvent]:
    if not getattr(actor, "is_authenticated", False):
        raise Http404
    return (
        AccessEvent.objects.filter(user_id=actor.pk)
        .select_related("session")
        .order_by("-last_at", "-id")
    )


# What happened that the owner is told about on every page until she has seen it.
NOTICE_MESSAGES = {
    AccessEvent.Kind.PASSWORD_RESET: messages.NOTICE_PASSWORD_RESET,
    AccessEvent.Kind.EMAIL_ADDED: messages.NOTICE_EMAIL_ADDED,
    AccessEvent.Kind.EMAIL_CONFIRMED: messages.NOTICE_EMAIL_CONFIRMED,
}


@dataclass(frozen=True)
class AccessNotice:
    event: AccessEvent

    @property
    def pk(self) -> int:
        return self.event.pk

    @property
    def message(self) -> str:
        return str(NOTICE_MESSAGES[AccessEvent.Kind(self.event.kind)]) % {
            "detail": self.event.detail
        }

    not_you = messages.NOTICE_NOT_YOU
    check = messages.LOCKOUT_LINK
    seen = messages.NOTICE_SEEN
    folded = property(lambda self: messages.FOLDED_TIMES % {"count": self.event.count})


def access_notices(*, actor: Any) -> list[AccessNotice]:
    """The owner's notices not yet seen, newest first (one query, on an index of open ones)."""
    if not getattr(actor, "is_authenticated", False):
        return []
    events = AccessEvent.objects.filter(user_id=actor.pk, notice_open=True)
    return [AccessNotice(event) for event in events.order_by("-last_at", "-id")[:5]]


def access_notice_get(*, actor: Any, event_id: int) -> AccessNotice:
    if not getattr(actor, "is_authenticated", False):
        raise Http404
    try:
        event = AccessEvent.objects.get(user_id=actor.pk, pk=event_id, notice_open=True)
    except AccessEvent.DoesNotExist:
        raise Http404 from None
    return AccessNotice(event)


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


# Notes shown once
def notice_seen(*, user: Any, kind: str) -> bool:
    return Notice.objects.filter(user_id=user.pk, kind=kind).exists()


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


# The lockout check
def email_addresses(*, actor: Any) -> list[EmailAddress]:
    """The owner's e-mail addresses, the primary one first."""
    if not getattr(actor, "is_authenticated", False):
        raise Http404
    return list(EmailAddress.objects.filter(user_id=actor.pk).order_by("-primary", "pk"))


def addresses_to_keep(*, actor: Any) -> list[EmailAddress]:
    """The addresses the owner may keep as her only one: a confirmed one (as allauth allows a
    primary), or any while none is confirmed."""
    addresses = email_addresses(actor=actor)
    confirmed = [address for address in addresses if address.verified]
    return confirmed or addresses


def authenticators(*, actor: Any) -> dict[str, Any]:
    """Her second steps: authenticator apps and passkeys, and how many recovery codes are
    left unused (None if she has none)."""
    if not getattr(actor, "is_authenticated", False):
        raise Http404
    found = list(Authenticator.objects.filter(user_id=actor.pk).order_by("created_at", "pk"))
    codes = [a for a in found if a.type == Authenticator.Type.RECOVERY_CODES]
    return {
        "apps": [a for a in found if a.type == Authenticator.Type.TOTP],
        "passkeys": [a for a in found if a.type == Authenticator.Type.WEBAUTHN],
        "recovery_codes_left": len(codes[0].wrap().get_unused_codes()) if codes else None,
    }
