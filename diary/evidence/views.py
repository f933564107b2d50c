"""Adding files to entries, and sending them back: the original, or its preview."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from diary.evidence.forms import EvidenceForm
from diary.evidence.selectors import evidence_get
from diary.evidence.services import evidence_attach
from diary.records.selectors import entry_get
from diary.safety.accounts import confirm_first
from diary.web.body_size import uploads_at_most
from diary.web.downloads import (
    kept_file_response,
    preview_response,
    safe_page_response,
    safe_view_response,
)
from diary.web.forms import apply_errors
from diary.web.requests import OwnerRequest


@uploads_at_most(1)
@require_http_methods(["GET", "POST"])
@login_required
def evidence_add(request: OwnerRequest, entry_id: int) -> HttpResponse:
    entry = entry_get(actor=request.user, entry_id=entry_id)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            evidence_attach(
                entry=entry,
                actor=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data.get("kind") or "",
                description=form.cleaned_data.get("description") or "",
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash.success(request, _("File added."))
            return redirect("diary:entry", entry_id=entry.pk)
    return render(request, "diary/evidence_form.html", {"form": form, "entry": entry})


@require_http_methods(["GET", "POST"])
@login_required
def evidence_original(request: OwnerRequest, evidence_id: int) -> HttpResponseBase:
    evidence = evidence_get(actor=request.user, evidence_id=evidence_id)
    if evidence.could_call_home and request.method != "POST":
        # The safe view first, which says what the file could do; "Download anyway" posts here.
        return redirect("diary:evidence_safe", evidence_id=evidence.pk)
    confirm_first(request)
    return kept_file_response(evidence, filename=evidence.download_name)


@require_GET
@login_required
def evidence_preview(request: OwnerRequest, evidence_id: int) -> FileResponse:
    evidence = evidence_get(actor=request.user, evidence_id=evidence_id)
    return preview_response(evidence)


@require_GET
@login_required
def evidence_safe(request: OwnerRequest, evidence_id: int) -> HttpResponse:
    evidence = evidence_get(actor=request.user, evidence_id=evidence_id)
    return safe_view_response(
        request,
        evidence,
        original_url=reverse("diary:evidence_original", args=[evidence.pk]),
        page_url=lambda number: reverse("diary:evidence_safe_page", args=[evidence.pk, number]),
        back_url=reverse("diary:entry", args=[evidence.entry_id]),
    )


@require_GET
@login_required
def evidence_safe_page(request: OwnerRequest, evidence_id: int, number: int) -> HttpResponse:
    evidence = evidence_get(actor=request.user, evidence_id=evidence_id)
    return safe_page_response(evidence, number)
