"""Adding files to an entry, and saying what one really is."""

from django import forms
from django.utils.translation import gettext_lazy as _

from diary import messages
from diary.models.choices import EvidenceKind
from diary.web.forms import MultipleFileField, MultipleFileInput


class EvidenceForm(forms.Form):
    file = MultipleFileField(
        label=_("Files"),
        widget=MultipleFileInput,  # documents too, not only what the entry forms suggest
        help_text=_("Choose one or several; they are kept together or not at all."),
    )
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=[("", _("Work it out from the file")), *EvidenceKind.choices],
        required=False,
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class EvidenceKindForm(forms.Form):
    """The owner corrects what a file is (a screenshot taken for a photo)."""

    kind = forms.ChoiceField(label=messages.FILE_KIND_CHANGE, choices=EvidenceKind.choices)
