"""The forms of the timeline, its entries, the items register and the diary's settings."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.models import Entry, EntryVersion, ItemVersion
from diary.models.choices import Behaviour, Channel, ItemKind, Storage
from diary.records.selectors import EntryFilters
from diary.safety.accounts import time_zone_choices
from diary.web.forms import (
    DateTimeLocalInput,
    DayOrTimeField,
    DeviceClockField,
    KeyedForm,
    LocalDateTimeField,
    MultipleFileField,
    NoSilentTruncation,
    form_field,
    now_for_input,
)


class EntryForm(NoSilentTruncation, forms.ModelForm):
    """Every field a police diary asks for. Only "what happened" and "when" are required."""

    device_time = DeviceClockField()

    class Meta:
        model = EntryVersion
        fields = EntryVersion.CONTENT_FIELDS
        field_classes = {"occurred_start": LocalDateTimeField, "occurred_end": LocalDateTimeField}
        widgets = {
            "precision": forms.RadioSelect,
            "occurred_start": DateTimeLocalInput(),
            "occurred_end": DateTimeLocalInput(),
            "latitude": forms.HiddenInput,
            "longitude": forms.HiddenInput,
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
        form_field(self, "channel", forms.ChoiceField).choices = [
            ("", _("Not sure, or none of these")),
            *Channel.choices,
        ]

    def _post_clean(self) -> None:
        # The service validates the whole version (model clean included) when it saves.
        pass

    @property
    def map_position(self) -> str:
        """The map position the form holds, as the page shows it ("51.501364, -0.141890"), or
        "" for none. It comes from the phone ("Use where I am now"), never typed."""
        latitude, longitude = self["latitude"].value(), self["longitude"].value()
        if latitude in (None, "") or longitude in (None, ""):
            return ""
        return f"{latitude}, {longitude}"

    def content(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in (*self.Meta.fields, "device_time")}


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
    file = MultipleFileField(
        label=_("Photos, videos, recordings or screenshots"),
        help_text=_("Choose one or several."),
        required=False,
    )
    device_time = DeviceClockField()

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
                "device_time",
            )
        }


class WithdrawForm(NoSilentTruncation, forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing it?"),
        help_text=_("The entry is kept and listed under “Withdrawn”, with this reason."),
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EntryChoiceField(forms.ModelChoiceField):
    """An entry named by its reference, its date and how it begins."""

    def label_from_instance(self, obj: Entry) -> str:
        version = obj.current
        assert version is not None  # every saved entry has one
        return (
            f"{obj.reference} — {timezone.localtime(version.occurred_start):%d %b %Y} — "
            f"{version.what_happened[:40]}"
        )


class ItemForm(NoSilentTruncation, forms.ModelForm):
    class Meta:
        model = ItemVersion
        fields = ItemVersion.CONTENT_FIELDS
        field_classes = {
            "entry": EntryChoiceField,
            "found_at": LocalDateTimeField,
            "police_handed_at": LocalDateTimeField,
        }
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

    def __init__(self, *args: Any, entries: QuerySet[Entry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entry_field = form_field(self, "entry", EntryChoiceField)
        entry_field.queryset = entries
        entry_field.empty_label = _("None")
        form_field(self, "kind", forms.ChoiceField).choices = [
            ("", _("Choose one")),
            *ItemKind.choices,
        ]
        form_field(self, "storage", forms.ChoiceField).choices = [
            ("", _("Not stored yet")),
            *Storage.choices,
        ]
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("found_at", now_for_input())

    def _post_clean(self) -> None:
        pass

    def content(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


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
        super().clean()
        data = self.cleaned_data
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
