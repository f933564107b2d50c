"""Sign-up: every new owner gets their one diary, in their time zone, in the same transaction."""

import zoneinfo
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import SignupForm
from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from diary.services import diary_create


def user_display(user: Any) -> str:
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


class OwnerAccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                zone = form.cleaned_data.get("time_zone") or settings.OWNER_DEFAULT_TIME_ZONE
                diary_create(owner=user, time_zone=zone)
        return user
