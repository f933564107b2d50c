"""The risk checklist pages. Thin: read through the selectors, write through the service, render."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from diary.gate import diary_for
from diary.risk.forms import RiskChecklistForm
from diary.risk.questions import completed
from diary.risk.selectors import risk_checklist_get, risk_checklist_list, risk_suggestions
from diary.risk.services import risk_checklist_complete
from diary.web.forms import apply_errors
from diary.web.requests import OwnerRequest


@require_http_methods(["GET", "POST"])
@login_required
def risk_checklist(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    suggestions = risk_suggestions(actor=request.user)
    form = RiskChecklistForm(request.POST or None, suggestions=suggestions)
    if request.method == "POST" and form.is_valid():
        try:
            checklist = risk_checklist_complete(
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
        {"form": form, "earlier": risk_checklist_list(actor=request.user)},
    )


@require_GET
@login_required
def risk_checklist_detail(request: OwnerRequest, risk_id: int) -> HttpResponse:
    checklist = risk_checklist_get(actor=request.user, checklist_id=risk_id)
    return render(request, "diary/risk_checklist.html", {"risk": completed(checklist)})
