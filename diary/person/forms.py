"""About the person, as a form: every field optional."""

from typing import Any

from django import forms
from django.db import models

from diary import messages
from diary.models import PersonVersion, Relationship
from diary.web.forms import NoSilentTruncation


def _text(name: str, rows: int | None = None, help_text: Any = "") -> forms.CharField:
    field = PersonVersion._meta.get_field(name)
    assert isinstance(field, models.Field)
    return forms.CharField(
        label=str(field.verbose_name).capitalize(),
        max_length=field.max_length,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput,
    )


class PersonForm(NoSilentTruncation, forms.Form):
    name = _text("name", help_text=messages.PERSON_HELP_NAME)
    description = _text("description", rows=4, help_text=messages.PERSON_HELP_DESCRIPTION)
    relationship = forms.ChoiceField(
        label=str(PersonVersion._meta.get_field("relationship").verbose_name).capitalize(),
        choices=Relationship.choices,
        required=False,
        error_messages={"invalid_choice": messages.UNKNOWN_CHOICE},
    )
    relationship_other = _text("relationship_other", help_text=messages.PERSON_HELP_OTHER)
    vehicles = _text("vehicles", rows=3, help_text=messages.PERSON_HELP_VEHICLES)
    addresses = _text("addresses", rows=3, help_text=messages.PERSON_HELP_ADDRESSES)
    photo = forms.ImageField(
        label=messages.PERSON_PHOTO_LABEL, required=False, help_text=messages.PERSON_PHOTO_HELP
    )
    remove_photo = forms.BooleanField(label=messages.PERSON_REMOVE_PHOTO, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("relationship") == Relationship.OTHER and not data.get("relationship_other"):
            self.add_error("relationship_other", messages.PERSON_OTHER_NEEDED)
        return data

    def content(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in PersonVersion.CONTENT_FIELDS}
