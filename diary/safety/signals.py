"""What the access log and the sessions list hear from Django, allauth and django-axes."""

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from axes.signals import user_locked_out
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from diary import messages
from diary.models import AccessEvent, OwnerSession
from diary.safety.accounts import signin_address
from diary.safety.selectors import owner_signing_in_as
from diary.safety.services import (
    access_event_record,
    session_signed_out,
    session_start,
    sessions_end_after_password,
)

# A request may say why its session is ending (a time limit) before it signs out.
SIGN_OUT_HOW = "_owner_sign_out_how"
CLEAR_SITE_DATA = "_clear_site_data"


@receiver(auth_signals.user_logged_in)
def on_signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_start(request=request, user=user)


@receiver(auth_signals.user_logged_out)
def on_signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None:
        return
    how = getattr(request, SIGN_OUT_HOW, OwnerSession.Ended.SIGNED_OUT)
    session_signed_out(request=request, user=user, how=how)
    setattr(request, CLEAR_SITE_DATA, True)


@receiver(auth_signals.user_login_failed)
def on_sign_in_failed(sender: Any, credentials: Any, request: Any = None, **kwargs: Any) -> None:
    if getattr(request, "axes_locked_out", False):
        return  # the lockout is logged once, below
    owner = owner_signing_in_as(signin_address(request, credentials))
    if owner is not None:
        access_event_record(user_id=owner.pk, kind=AccessEvent.Kind.SIGN_IN_FAILED, request=request)


@receiver(user_locked_out)
def on_locked_out(sender: Any, request: Any, username: Any, **kwargs: Any) -> None:
    owner = owner_signing_in_as(str(username or ""))
    if owner is not None:
        access_event_record(user_id=owner.pk, kind=AccessEvent.Kind.LOCKED_OUT, request=request)


@receiver(mfa_signals.authentication_failed)
def on_second_step_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    access_event_record(
        user_id=user.pk,
        kind=AccessEvent.Kind.SECOND_STEP_FAILED,
        request=request,
        detail=str(messages.ACCESS_WHILE_CONFIRMING) if kwargs.get("reauthentication") else "",
    )


@receiver(account_signals.password_changed)
def on_password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    access_event_record(user_id=user.pk, kind=AccessEvent.Kind.PASSWORD_CHANGED, request=request)
    sessions_end_after_password(request=request, user=user)


@receiver(account_signals.password_reset)
def on_password_reset(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    access_event_record(user_id=user.pk, kind=AccessEvent.Kind.PASSWORD_RESET, request=request)
    sessions_end_after_password(request=request, user=user)


@receiver(account_signals.email_changed)
def on_email_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    address = kwargs.get("to_email_address")
    access_event_record(
        user_id=user.pk,
        kind=AccessEvent.Kind.EMAIL_CHANGED,
        request=request,
        detail=address.email if address is not None else "",
    )


# Every address can receive a reset link, so each one added, confirmed or removed is logged
# with the address (sealed, like every detail); added and confirmed are shown to her at once.
@receiver(account_signals.email_added)
def on_email_added(sender: Any, request: Any, user: Any, email_address: Any, **kw: Any) -> None:
    access_event_record(
        user_id=user.pk,
        kind=AccessEvent.Kind.EMAIL_ADDED,
        request=request,
        detail=email_address.email,
    )


@receiver(account_signals.email_confirmed)
def on_email_confirmed(sender: Any, request: Any, email_address: Any, **kw: Any) -> None:
    # Confirming the address she signs in with (as every sign-up does) is logged but is no
    # news to her; any other address confirmed could receive a reset link, so she is told.
    own = email_address.email.lower() == (email_address.user.email or "").lower()
    access_event_record(
        user_id=email_address.user_id,
        kind=AccessEvent.Kind.EMAIL_CONFIRMED,
        request=request,
        detail=email_address.email,
        notice=False if own else None,
    )


@receiver(account_signals.email_removed)
def on_email_removed(sender: Any, request: Any, user: Any, email_address: Any, **kw: Any) -> None:
    access_event_record(
        user_id=user.pk,
        kind=AccessEvent.Kind.EMAIL_REMOVED,
        request=request,
        detail=email_address.email,
    )


def second_step_name(authenticator: Any) -> str:
    names = {
        Authenticator.Type.TOTP: messages.SECOND_STEP_APP,
        Authenticator.Type.RECOVERY_CODES: messages.SECOND_STEP_RECOVERY_CODES,
        Authenticator.Type.WEBAUTHN: messages.SECOND_STEP_PASSKEY,
    }
    return str(names.get(authenticator.type, authenticator.get_type_display()))


@receiver(mfa_signals.authenticator_added)
def on_two_factor_added(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    access_event_record(
        user_id=user.pk,
        kind=AccessEvent.Kind.TWO_FACTOR_ADDED,
        request=request,
        detail=second_step_name(authenticator),
    )


@receiver(mfa_signals.authenticator_removed)
def on_two_factor_removed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    access_event_record(
        user_id=user.pk,
        kind=AccessEvent.Kind.TWO_FACTOR_REMOVED,
        request=request,
        detail=second_step_name(authenticator),
    )


@receiver(mfa_signals.authenticator_reset)
def on_recovery_codes_made(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    access_event_record(user_id=user.pk, kind=AccessEvent.Kind.RECOVERY_CODES_NEW, request=request)
