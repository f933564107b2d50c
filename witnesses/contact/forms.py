"""A contact's forms: what they saw or heard, with files, and a note added later."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from diary.models.choices import Precision
from diary.web.forms import (
    DateTimeLocalInput,
    DeviceClockField,
    KeyedForm,
    LocalDateTimeField,
    NoSilentTruncation,
    form_field,
    now_for_input,
)
from witnesses.models import (
    Statement,
    Submission,
    SubmissionKind,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*,video/*,audio/*,.pdf"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class SubmissionForm(KeyedForm, NoSilentTruncation, forms.ModelForm):
    # A field, not BaseForm.files: the form's metaclass takes it off the class.
    files = MultipleFileField(label=_("Photos, videos, recordings or files"))  # type: ignore[assignment]  # a field
    device_time = DeviceClockField()

    class Meta:
        model = Submission
        fields = Submission.CONTENT_FIELDS
        field_classes = {"occurred_start": LocalDateTimeField, "occurred_end": LocalDateTimeField}
        widgets = {
            "kind": forms.RadioSelect,
            "precision": forms.RadioSelect,
            "occurred_start": DateTimeLocalInput(),
            "occurred_end": DateTimeLocalInput(),
            "what_happened": forms.Textarea(attrs={"rows": 4}),
            "words_used": forms.Textarea(attrs={"rows": 3}),
            "clothing": forms.Textarea(attrs={"rows": 2}),
            "others_present": forms.Textarea(attrs={"rows": 2}),
            "statement": forms.RadioSelect,
        }
        help_texts = {
            "words_used": _("Exactly as said, even if it is upsetting."),
            "occurred_end": _("Only if you chose “Between two times”."),
            "statement_contact": _(
                "A phone number or e-mail. Only the person who sent you the link sees it."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["precision"].initial = Precision.EXACT
        # Radio lists start with nothing chosen, and without Django's "---------" choice.
        form_field(self, "kind", forms.ChoiceField).choices = SubmissionKind.choices
        form_field(self, "statement", forms.ChoiceField).choices = Statement.choices
        if not self.is_bound:
            self.initial.setdefault("occurred_start", now_for_input())

    def _post_clean(self) -> None:
        pass

    def content(self) -> dict[str, Any]:
        fields = (*Submission.CONTENT_FIELDS, "device_time")
        return {name: self.cleaned_data[name] for name in fields}


class FollowUpForm(NoSilentTruncation, forms.Form):
    text = forms.CharField(
        label=_("Add a note"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you sent stays exactly as it was; this is added below it."),
    )
