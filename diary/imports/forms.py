"""The forms of bringing an export in: the file, then whom to bring in from it."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from diary.safety.accounts import time_zone_choices
from diary.web.forms import NoSilentTruncation

DATE_ORDERS = [
    ("", _("Work it out from the file")),
    ("day", _("Day first (31/12/2024)")),
    ("month", _("Month first (12/31/2024)")),
]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("The export"),
        help_text=_(
            "A WhatsApp chat export (.txt or .zip), a Telegram export (result.json), e-mails "
            "(.eml, .mbox or .msg), or texts and calls from SMS Backup & Restore (.xml)."
        ),
    )
    time_zone = forms.ChoiceField(
        label=_("Where the phone was"),
        choices=time_zone_choices,
        help_text=_("Used only when the export gives no time zone (WhatsApp gives none)."),
    )
    date_order = forms.ChoiceField(
        label=_("How the chat writes dates"),
        choices=DATE_ORDERS,
        required=False,
        help_text=_("Only for a WhatsApp chat, and only if it cannot be told from the file."),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("This export is larger than %(limit)s, more than can be brought in at once."),
                params={"limit": filesizeformat(settings.IMPORT_MAX_BYTES)},
            )
        return upload

    def day_first(self) -> bool | None:
        order = self.cleaned_data.get("date_order")
        return None if not order else order == "day"


class ImportChooseForm(NoSilentTruncation, forms.Form):
    parties = forms.MultipleChoiceField(
        label=_("Whose messages to bring in"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one person, number or address.")},
    )
    person = forms.CharField(
        label=_("What to call them in your diary (optional)"),
        max_length=100,
        required=False,
        help_text=_("Otherwise each entry names them as the export does."),
    )
    to_them = forms.BooleanField(label=_("Also bring in what you sent them"), required=False)

    def __init__(self, *args: Any, parties: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parties"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(party["party"], party["name"] or party["party"]) for party in parties]
