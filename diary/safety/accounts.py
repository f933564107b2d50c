"""Owner accounts: sign-up makes the one diary; where sign-in leads; lockout; allauth's hooks."""

import time
import zoneinfo
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import ResetPasswordKeyForm, SignupForm
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.base.internal.flows import check_rate_limit
from allauth.mfa.models import Authenticator
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.core import crypto
from diary.models import AccessEvent, Notice, User
from diary.records.services import diary_create
from diary.safety.selectors import notice_seen
from diary.safety.services import access_event_record
from diary.web.client import client_ip

# Associated data for allauth's MFA secrets (the mfa_authenticator table's data column).
MFA_CONTEXT = b"mfa_authenticator.data"


def user_display(user: User) -> str:
    return user.email


def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix", "right"))
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class OwnerSignupForm(SignupForm):
    time_zone = forms.ChoiceField(
        label=_("Your time zone"),
        help_text=_("Times in your notes are shown in this zone. You can change it later."),
        choices=time_zone_choices,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].initial = settings.OWNER_DEFAULT_TIME_ZONE


class OwnerResetPasswordKeyForm(ResetPasswordKeyForm):
    """A new password from a reset link. With two-step sign-in on, the link alone (whoever
    reads her e-mail has it) is not enough: the form wants a code from her app or a recovery
    code, checked as allauth checks a sign-in's second step, under the same rate limit."""

    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        help_text=messages.RESET_NEEDS_SECOND_STEP,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self._codes():
            del self.fields["code"]

    def _codes(self) -> list[Authenticator]:
        if self.user is None:
            return []
        return list(
            Authenticator.objects.filter(user=self.user).exclude(type=Authenticator.Type.WEBAUTHN)
        )

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip()
        if not code:
            # A field left empty is not a guess: it costs none of her tries and logs nothing.
            raise forms.ValidationError(messages.RESET_SECOND_STEP_MISSING)
        second_step_paused_check(self.user)
        clear = check_rate_limit(self.user)
        for authenticator in self._codes():
            if authenticator.wrap().validate_code(code):
                clear()
                return code
        second_step_wrong(self.user)
        raise forms.ValidationError(messages.RESET_SECOND_STEP_WRONG)


def _guesses_key(user: Any) -> str:
    # One counter per account per pause-long window: incr stays atomic across processes.
    window = int(timezone.now().timestamp()) // (settings.SECOND_STEP_PAUSE_MINUTES * 60)
    return f"second-step-wrong-{user.pk}-{window}"


def _paused_key(user: Any) -> str:
    return f"second-step-paused-{user.pk}"


def second_step_paused_check(user: Any) -> None:
    """Wrong codes are counted per account, from every address together (allauth counts per
    IP): past the cap, no code is even tried until the cool-down is over."""
    # The end of the pause is kept as a time, not left to the cache's expiry, so the rule is the
    # same on every cache backend and the clock the rest of the app reads decides it.
    paused_until = cache.get(_paused_key(user))
    if paused_until is not None and timezone.now().timestamp() < paused_until:
        raise forms.ValidationError(messages.SECOND_STEP_PAUSED)


def second_step_wrong(user: Any) -> None:
    key = _guesses_key(user)
    pause = settings.SECOND_STEP_PAUSE_MINUTES * 60
    if cache.add(key, 1, pause * 2):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            cache.add(key, 1, pause * 2)
            count = 1
    if count >= settings.SECOND_STEP_WRONG_CODES:
        cache.set(_paused_key(user), timezone.now().timestamp() + pause, pause * 2)
        cache.delete(key)  # after the pause, the count starts again
        access_event_record(user_id=user.pk, kind=AccessEvent.Kind.SECOND_STEP_PAUSED)


class _CappedCode:
    user: Any

    def clean_code(self) -> str:
        second_step_paused_check(self.user)
        try:
            code: str = super().clean_code()  # type: ignore[misc]
        except forms.ValidationError:
            second_step_wrong(self.user)
            raise
        return code


class OwnerAuthenticateForm(_CappedCode, AuthenticateForm):
    pass


class OwnerReauthenticateForm(_CappedCode, ReauthenticateForm):
    pass


class OwnerAccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                zone = form.cleaned_data.get("time_zone") or settings.OWNER_DEFAULT_TIME_ZONE
                diary_create(owner=user, time_zone=zone)
        return user

    def get_client_ip(self, request: HttpRequest) -> str:
        # One rule for the client's address everywhere: rate limits, lockout, the access log.
        return client_ip(request) or "0.0.0.0"  # noqa: S104 (an address, not a bind)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return reverse("diary:welcome")

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if not notice_seen(user=request.user, kind=Notice.Kind.WELCOME):
            return reverse("diary:welcome")
        url: str = super().get_login_redirect_url(request)
        return url

    def get_reauthentication_methods(self, user: Any) -> list[dict]:
        """With two-step sign-in on, confirming it is you takes the second step: someone at an
        open session who knows the password cannot turn it off or end the owner's sessions."""
        methods = super().get_reauthentication_methods(user)
        second_steps = [m for m in methods if m["id"] != "reauthenticate"]
        return second_steps or methods


class OwnerMFAAdapter(DefaultMFAAdapter):
    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        # The name a passkey prompt shows: neutral, like the authenticator app's.
        entity = super().get_public_key_credential_rp_entity()
        return {**entity, "name": settings.MFA_TOTP_ISSUER}

    # allauth passes the TOTP secret and the recovery codes' seed through these: sealed with
    # AES-GCM under the project's keys, so a copy of the database holds neither in clear.
    def encrypt(self, text: str) -> str:
        return crypto.seal_text(text, MFA_CONTEXT)

    def decrypt(self, encrypted_text: str) -> str:
        if not crypto.is_sealed(encrypted_text):
            return encrypted_text  # from before; the data migration seals these
        return crypto.open_text(encrypted_text, MFA_CONTEXT)


def signin_address(request: Any, credentials: dict[str, Any] | None) -> str:
    """The address a sign-in was tried for, as django-axes counts it (with the IP)."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or ""
    if not value and request is not None and hasattr(request, "POST"):
        value = request.POST.get("login", "")
    return str(value).strip().lower()


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """Too many failed sign-ins for this address from this connection. Says nothing of
    whether the address has an account; the owner elsewhere is not affected."""
    return render(
        request,
        "account/locked_out.html",
        {"minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
        status=429,
    )


def recently_confirmed(request: HttpRequest) -> bool:
    """Confirmed it is you in the last few minutes, by allauth's record in the session. As
    allauth's own test, but read from the session alone (allauth first asks the database which
    ways to confirm the account has, on every request), and never true for an account with no
    way to confirm (allauth waves those through)."""
    if not request.user.is_authenticated:
        return False
    confirmed_at: list[float] = [
        record["at"]
        for record in get_authentication_records(request, request.user)
        if record.get("reauthenticated")
    ]
    if not confirmed_at:
        return False
    return time.time() - confirmed_at[-1] < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT


def confirm_first(request: HttpRequest) -> None:
    """For a page: unless confirmed recently, go and confirm, then come back (allauth resumes
    the request, a POST included)."""
    if not recently_confirmed(request):
        raise ReauthenticationRequired()
