"""The risk checklist as a form."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from diary import messages
from diary.risk.questions import ANSWER_MISSING, QUESTIONS
from diary.risk.selectors import Suggestion


class RiskChecklistForm(forms.Form):
    """One radio list and one optional note per question; the diary's suggestions chosen."""

    def __init__(self, *args: Any, suggestions: dict[str, Suggestion], **kwargs: Any):
        kwargs.setdefault(
            "initial", {code: suggestion.answer for code, suggestion in suggestions.items()}
        )
        super().__init__(*args, **kwargs)
        self.suggestions = suggestions
        for question in QUESTIONS:
            self.fields[question.code] = forms.ChoiceField(
                label=question.text,
                choices=question.choices,
                widget=forms.RadioSelect,
                help_text=question.hint,
                error_messages={
                    "required": ANSWER_MISSING,
                    "invalid_choice": messages.UNKNOWN_CHOICE,
                },
            )
            self.fields[f"{question.code}_note"] = forms.CharField(
                label=gettext_lazy("Notes (optional)"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def questions(self) -> list[dict[str, Any]]:
        return [
            {
                "number": number,
                "field": self[question.code],
                "note": self[f"{question.code}_note"],
                "suggestion": self.suggestions.get(question.code),
            }
            for number, question in enumerate(QUESTIONS, start=1)
        ]

    def answers(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            question.code: {"answer": data[question.code], "note": data[f"{question.code}_note"]}
            for question in QUESTIONS
        }
