"""The lockout check's one choice: which e-mail address she keeps."""

from typing import Any

from allauth.account.models import EmailAddress
from django import forms

from diary import messages


class LockoutForm(forms.Form):
    keep = forms.TypedChoiceField(
        label=messages.LOCKOUT_KEEP_ADDRESS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": messages.LOCKOUT_CHOOSE_ADDRESS,
            "invalid_choice": messages.LOCKOUT_CHOOSE_ADDRESS,
        },
    )

    def __init__(self, *args: Any, addresses: list[EmailAddress], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.addresses = {address.pk: address for address in addresses}
        field = self.fields["keep"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(address.pk, address.email) for address in addresses]
        if not addresses:
            del self.fields["keep"]
        elif len(addresses) == 1:
            # Never the primary of several: whoever added an address may have made it primary.
            field.initial = addresses[0].pk

    def kept(self) -> EmailAddress | None:
        return self.addresses.get(self.cleaned_data["keep"]) if "keep" in self.fields else None
