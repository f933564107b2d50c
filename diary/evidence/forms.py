"""Adding a file to an entry."""

from django import forms
from django.utils.translation import gettext_lazy as _

from diary.models.choices import EvidenceKind


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=[("", _("Work it out from the file")), *EvidenceKind.choices],
        required=False,
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
