"""The owner's HTML forms. Field rules come from the models; cross-field rules from the models'
`clean()`, which the services run, so the pages and the API can never disagree."""

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.forms.fields import BaseTemporalField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.accounts import time_zone_choices
from diary.choices import Behaviour, Channel, EvidenceKind, ItemKind, Storage
from diary.idempotency import FIELD as IDEMPOTENCY_FIELD
from diary.idempotency import KEY_PATTERN
from diary.models import EARLIEST_YEAR, Entry, EntryVersion, ItemVersion
from diary.selectors import EntryFilters

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
LATEST_YEAR = 2100


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in the owner's zone. In the hour the clocks go back it means the first
    of the two; a time in the hour they skip is read as just after the change. (Django's own
    field refuses both, and incidents happen at night too.)"""

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            naive = value
        else:
            text = str(value).strip()
            try:
                naive = datetime.fromisoformat(text)
            except ValueError:
                naive = BaseTemporalField.to_python(self, text)
        if timezone.is_aware(naive):
            return naive
        zone = timezone.get_current_timezone()
        return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def ask_for_files_again(form: forms.BaseForm, request: Any, field: str = "file") -> None:
    """Browsers do not send a file twice: if the form comes back for another reason, say so."""
    if request.FILES and form.errors and field in form.fields and field not in form.errors:
        form.add_error(field, messages.CHOOSE_FILE_AGAIN)


def now_for_input() -> datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class NoSilentTruncation:
    """Browsers cut pasted text at a textarea's maxlength without a word; leave the limit to
    the server, which says clearly what is too long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.pop("maxlength", None)


class KeyedForm:
    """A form that carries a hidden key, new each time the form is shown, so that sending it
    twice (a double tap, a retry on a bad signal) makes one record. See diary.idempotency."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.fields[IDEMPOTENCY_FIELD] = forms.CharField(  # type: ignore[attr-defined]
            required=False,
            widget=forms.HiddenInput,
            initial=uuid.uuid4().hex,
            validators=[
                RegexValidator(f"^{KEY_PATTERN.pattern}$", message=messages.IDEMPOTENCY_KEY_INVALID)
            ],
        )

    @property
    def key_sent(self) -> str | None:
        return self.cleaned_data.get(IDEMPOTENCY_FIELD) or None  # type: ignore[attr-defined]

    def sent_before_differently(self) -> None:
        self.add_error(  # type: ignore[attr-defined]
            None,
            ValidationError(messages.FORM_SENT_BEFORE_DIFFERENTLY, code="idempotency_key_reused"),
        )

    @property
    def status(self) -> int:
        """422 when the form's key was already used for something else, 200 otherwise."""
        reused = self.has_error(NON_FIELD_ERRORS, "idempotency_key_reused")  # type: ignore[attr-defined]
        return 422 if reused else 200


def apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has that field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class EntryForm(NoSilentTruncation, forms.ModelForm):
    """Every field a police diary asks for. Only "what happened" and "when" are required."""

    class Meta:
        model = EntryVersion
        fields = EntryVersion.CONTENT_FIELDS
        field_classes = {"occurred_start": LocalDateTimeField, "occurred_end": LocalDateTimeField}
        widgets = {
            "precision": forms.RadioSelect,
            "occurred_start": DateTimeLocalInput(),
            "occurred_end": DateTimeLocalInput(),
            "what_happened": forms.Textarea(attrs={"rows": 5}),
            "words_used": forms.Textarea(attrs={"rows": 3}),
            "clothing": forms.Textarea(attrs={"rows": 2}),
            "others_present": forms.Textarea(attrs={"rows": 2}),
            "impact": forms.Textarea(attrs={"rows": 3}),
            "police_said": forms.Textarea(attrs={"rows": 2}),
            "police_action": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "occurred_end": _("Only if you chose “Between two times”."),
            "words_used": _("Write them exactly as said or sent, even if they are upsetting."),
            "impact": _("How it made you feel, and anything you changed because of it."),
            "location": _("A street, a place, or “outside my home”."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("occurred_start", now_for_input())
        self.fields["occurred_start"].required = True
        self.fields["channel"].choices = [("", _("Not sure, or none of these")), *Channel.choices]

    def _post_clean(self) -> None:
        # The service validates the whole version (model clean included) when it saves.
        pass

    def content(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class QuickCaptureForm(KeyedForm, NoSilentTruncation, forms.Form):
    """The fewest questions that make a useful record; everything else is folded away."""

    what_happened = forms.CharField(
        label=_("What happened?"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    occurred_start = LocalDateTimeField(label=_("When?"), widget=DateTimeLocalInput())
    precision = forms.ChoiceField(
        label=_("How exact is that time?"),
        choices=[
            ("exact", _("At this time")),
            ("approximate", _("Around this time")),
        ],
        initial="exact",
        widget=forms.RadioSelect,
    )
    behaviours = forms.MultipleChoiceField(
        label=_("What kind of thing?"),
        choices=Behaviour.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    location = forms.CharField(label=_("Where?"), max_length=300, required=False)
    words_used = forms.CharField(
        label=_("Exact words used"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    file = forms.FileField(
        label=_("Photo, video, recording or screenshot"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,video/*,audio/*,.pdf"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("occurred_start", now_for_input())

    def content(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "what_happened",
                "occurred_start",
                "precision",
                "behaviours",
                "location",
                "words_used",
            )
        }


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=[("", _("Work it out from the file")), *EvidenceKind.choices],
        required=False,
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class WithdrawForm(NoSilentTruncation, forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing it?"),
        help_text=_("The entry is kept and listed under “Withdrawn”, with this reason."),
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ItemForm(NoSilentTruncation, forms.ModelForm):
    class Meta:
        model = ItemVersion
        fields = ItemVersion.CONTENT_FIELDS
        field_classes = {"found_at": LocalDateTimeField, "police_handed_at": LocalDateTimeField}
        widgets = {
            "found_at": DateTimeLocalInput(),
            "police_handed_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "handling": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "handling": _("Who touched it, whether you opened it, gloves, and so on."),
            "found_by": _("You, or the name of the person who found it."),
        }

    def __init__(self, *args: Any, diary: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entries = (
            Entry.objects.filter(diary=diary, withdrawal__isnull=True)
            .select_related("current")
            .order_by("-number")
        )
        entry_field = self.fields["entry"]
        entry_field.queryset = entries  # type: ignore[attr-defined]
        entry_field.label_from_instance = (
            lambda e: (  # type: ignore[attr-defined]
                f"{e.reference} — {timezone.localtime(e.current.occurred_start):%d %b %Y} — "
                f"{e.current.what_happened[:40]}"
            )
        )
        entry_field.empty_label = _("None")  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", _("Choose one")), *ItemKind.choices]
        self.fields["storage"].choices = [("", _("Not stored yet")), *Storage.choices]
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("found_at", now_for_input())

    def _post_clean(self) -> None:
        pass

    def content(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class DayOrTimeField(forms.Field):
    """A date (a whole day in the owner's zone) or a date and time; always returned in UTC."""

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if value in (None, ""):
            return None
        text = str(value).strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                moment = datetime.combine(day, time.max if self.end_of_day else time.min)
                parsed = timezone.make_aware(moment)
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if timezone.is_naive(parsed):
                    parsed = timezone.make_aware(parsed)
        except (ValueError, OverflowError):
            raise ValidationError(_("Enter a date like 2026-03-31."), code="invalid") from None
        if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
            raise ValidationError(messages.YEAR_OUT_OF_RANGE, code="range")
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValidationError(messages.YEAR_OUT_OF_RANGE, code="range") from None


class EntryFilterForm(forms.Form):
    """Timeline filters, shared by the page and `GET /api/entries/`."""

    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    behaviour = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *Behaviour.choices], required=False
    )
    since = DayOrTimeField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = DayOrTimeField(
        label=_("To"), end_of_day=True, widget=forms.DateInput(attrs={"type": "date"})
    )
    source = forms.ChoiceField(
        label=_("Written by"), choices=[("", _("Anyone")), *Entry.Source.choices], required=False
    )
    with_evidence = forms.BooleanField(label=_("Only with files"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", messages.DATE_RANGE_REVERSED)
        return data

    def filters(self) -> EntryFilters:
        data = self.cleaned_data
        return EntryFilters(
            behaviour=data.get("behaviour") or "",
            since=data.get("since"),
            until=data.get("until"),
            q=(data.get("q") or "").strip(),
            source=data.get("source") or "",
            with_evidence=bool(data.get("with_evidence")),
        )

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())


class SettingsForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=80,
        help_text=_("Shown at the top of every page. Something dull is safest."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


class ExportForm(forms.Form):
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
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", messages.DATE_RANGE_REVERSED)
        return data
