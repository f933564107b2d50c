"""The risk checklist pages. Thin: read through diary.risk's selectors, write through its
service, render."""

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from diary import messages, risk
from diary.forms import apply_errors
from diary.selectors import diary_for


class RiskChecklistForm(forms.Form):
    """One radio list and one optional note per question; the diary's suggestions chosen."""

    def __init__(self, *args: Any, suggestions: dict[str, risk.Suggestion], **kwargs: Any):
        kwargs.setdefault(
            "initial", {code: suggestion.answer for code, suggestion in suggestions.items()}
        )
        super().__init__(*args, **kwargs)
        self.suggestions = suggestions
        for question in risk.QUESTIONS:
            self.fields[question.code] = forms.ChoiceField(
                label=question.text,
                choices=question.choices,
                widget=forms.RadioSelect,
                help_text=question.hint,
                error_messages={
                    "required": risk.ANSWER_MISSING,
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
            for number, question in enumerate(risk.QUESTIONS, start=1)
        ]

    def answers(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            question.code: {"answer": data[question.code], "note": data[f"{question.code}_note"]}
            for question in risk.QUESTIONS
        }


@require_http_methods(["GET", "POST"])
@login_required
def risk_checklist(request: HttpRequest) -> HttpResponse:
    diary = diary_for(request.user)
    suggestions = risk.risk_suggestions(actor=request.user)
    form = RiskChecklistForm(request.POST or None, suggestions=suggestions)
    if request.method == "POST" and form.is_valid():
        try:
            checklist = risk.risk_checklist_complete(
                diary=diary, actor=request.user, answers=form.answers()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash.success(request, _("Saved, with the date. Earlier checklists are kept."))
            return redirect("diary:risk_checklist", risk_id=checklist.pk)
    return render(
        request,
        "diary/risk.html",
        {"form": form, "earlier": risk.risk_checklist_list(actor=request.user)},
    )


@require_GET
@login_required
def risk_checklist_detail(request: HttpRequest, risk_id: int) -> HttpResponse:
    checklist = risk.risk_checklist_get(actor=request.user, checklist_id=risk_id)
    return render(request, "diary/risk_checklist.html", {"risk": risk.completed(checklist)})
