"""Asking for a bundle."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.models.choices import Behaviour
from diary.web.forms import DayOrTimeField, NoSilentTruncation


class ExportForm(NoSilentTruncation, forms.Form):
    title = forms.CharField(
        label=messages.EXPORT_TITLE_LABEL,
        help_text=messages.EXPORT_TITLE_HELP,
        max_length=200,
        required=False,
    )
    owner_name = forms.CharField(
        label=messages.EXPORT_NAME_LABEL,
        help_text=messages.EXPORT_NAME_HELP,
        max_length=200,
        required=False,
    )
    since = DayOrTimeField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = DayOrTimeField(
        label=_("To"), end_of_day=True, widget=forms.DateInput(attrs={"type": "date"})
    )
    behaviours = forms.MultipleChoiceField(
        label=_("Only these kinds (leave empty for everything)"),
        choices=Behaviour.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    include_contacts = forms.BooleanField(
        label=_("Include your contacts' phone numbers and e-mail addresses"), required=False
    )
    include_reasons = forms.BooleanField(
        label=_("Include your reasons for withdrawing entries and keeping reports aside"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", messages.DATE_RANGE_REVERSED)
        return data
