"""What every form of the app shares: local times, a key against double sends, no silent
truncation, and a service's errors shown on the form.
"""

import uuid
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.forms.fields import BaseTemporalField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.models.times import YearOutOfRange, device_clock, in_utc
from diary.web.idempotency import FIELD as IDEMPOTENCY_FIELD
from diary.web.idempotency import KEY_PATTERN

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


# The mixins below are mixed into Django forms; to the type checker they are forms already.
if TYPE_CHECKING:
    FormMixinBase = forms.BaseForm
else:
    FormMixinBase = object


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
                parsed = BaseTemporalField.to_python(self, text)
                assert parsed is not None  # it raises for text no input format reads
                naive = parsed
        if timezone.is_aware(naive):
            return naive
        zone = timezone.get_current_timezone()
        return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


class DeviceClockField(forms.Field):
    """The device's own clock at the moment of sending: a hidden input the page's script
    (diary/device-clock.js) fills as the form is sent. Empty without JavaScript. What it holds
    is only the device's claim, shown as such and never trusted."""

    widget = forms.HiddenInput
    # Longer than any ISO 8601 time with an offset: refused unread.
    MAX_LENGTH = 40

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        try:
            if len(text) > self.MAX_LENGTH:
                raise ValueError("too long")
            return device_clock(text)
        except ValueError:
            raise ValidationError(messages.DEVICE_TIME_BAD, code="device_time") from None


FieldT = TypeVar("FieldT", bound=forms.Field)


def form_field(form: forms.BaseForm, name: str, kind: type[FieldT]) -> FieldT:
    """One of a form's fields as the kind of field it is (`form.fields` says only Field)."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def ask_for_files_again(form: forms.BaseForm, request: Any, field: str = "file") -> None:
    """Browsers do not send a file twice: if the form comes back for another reason, say so."""
    if request.FILES and form.errors and field in form.fields and field not in form.errors:
        form.add_error(field, messages.CHOOSE_FILE_AGAIN)


def now_for_input() -> datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class NoSilentTruncation(FormMixinBase):
    """Browsers cut pasted text at a textarea's maxlength without a word; leave the limit to
    the server, which says clearly what is too long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.pop("maxlength", None)


class KeyedForm(FormMixinBase):
    """A form that carries a hidden key, new each time the form is shown, so that sending it
    twice (a double tap, a retry on a bad signal) makes one record. See diary.web.idempotency."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[IDEMPOTENCY_FIELD] = forms.CharField(
            required=False,
            widget=forms.HiddenInput,
            initial=uuid.uuid4().hex,
            validators=[
                RegexValidator(f"^{KEY_PATTERN.pattern}$", message=messages.IDEMPOTENCY_KEY_INVALID)
            ],
        )

    @property
    def key_sent(self) -> str | None:
        return self.cleaned_data.get(IDEMPOTENCY_FIELD) or None

    def sent_before_differently(self) -> None:
        self.add_error(
            None,
            ValidationError(messages.FORM_SENT_BEFORE_DIFFERENTLY, code="idempotency_key_reused"),
        )

    @property
    def status(self) -> int:
        """422 when the form's key was already used for something else, 200 otherwise."""
        reused = self.has_error(NON_FIELD_ERRORS, "idempotency_key_reused")
        return 422 if reused else 200


def apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has that field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


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
        try:
            return in_utc(parsed)
        except YearOutOfRange:
            raise ValidationError(messages.YEAR_OUT_OF_RANGE, code="range") from None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field: each cleaned as one file would be, up to `max_files`
    (EVIDENCE_MAX_FILES by default). Cleans to a list, empty when none were chosen."""

    def __init__(self, *args: Any, max_files: int | None = None, **kwargs: Any) -> None:
        self.max_files = max_files
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*,video/*,audio/*,.pdf"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        chosen = [item for item in data if item] if isinstance(data, list | tuple) else [data]
        chosen = [item for item in chosen if item]
        if not chosen:
            single(None, initial)  # "This field is required." when it is
            return []
        limit = self.max_files if self.max_files is not None else settings.EVIDENCE_MAX_FILES
        if len(chosen) > limit:
            raise ValidationError(messages.TOO_MANY_FILES_AT_ONCE % {"limit": limit})
        if len(chosen) == 1:
            return [single(chosen[0], initial)]
        cleaned, problems = [], []
        for item in chosen:
            try:
                cleaned.append(single(item, initial))
            except ValidationError as error:
                name = getattr(item, "name", "") or "?"
                problems += [
                    messages.FILE_NAMED % {"name": name, "problem": m} for m in error.messages
                ]
        if problems:
            raise ValidationError(problems)
        return cleaned
