"""The owner's forms about contacts: inviting, what they see, the brief, keeping a report aside."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from diary.web.forms import (
    NoSilentTruncation,
)
from witnesses.models import (
    BriefVersion,
    Sharing,
    Witness,
)


class InviteForm(forms.ModelForm):
    class Meta:
        model = Witness
        fields = ("name", "relationship", "contact", "sharing", "sees_photo")
        widgets = {"sharing": forms.RadioSelect}


class SharingForm(forms.Form):
    sharing = forms.ChoiceField(
        label=_("What they can see"), choices=Sharing.choices, widget=forms.RadioSelect
    )
    sees_photo = forms.BooleanField(label=_("Show them the photo in the brief"), required=False)
    one_device = forms.BooleanField(
        label=_("One phone or browser only"),
        required=False,
        help_text=_(
            "Their link then opens on no other phone or browser while theirs is still on it, "
            "so a forwarded link opens nothing. If they change phones, make them a new link."
        ),
    )


class BriefForm(NoSilentTruncation, forms.ModelForm):
    photo = forms.ImageField(
        label=_("A photo of them (optional)"),
        required=False,
        help_text=_("Only the contacts you choose see it. Location data is removed."),
    )
    remove_photo = forms.BooleanField(label=_("Remove the current photo"), required=False)

    class Meta:
        model = BriefVersion
        fields = BriefVersion.CONTENT_FIELDS
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in BriefVersion.CONTENT_FIELDS}
        help_texts = {
            "person": _("Their description: height, build, hair, what they often wear."),
            "vehicles": _("Registration, make and colour of any car they use."),
            "places": _("Where they have been seen: near your home, work, a station."),
            "what_to_record": _("What helps you most: times, exact words, photos if safe."),
        }

    def _post_clean(self) -> None:
        pass

    def content(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in BriefVersion.CONTENT_FIELDS}


class KeepAsideForm(NoSilentTruncation, forms.Form):
    reason = forms.CharField(
        label=_("Why keep it aside? (only you see this)"),
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
