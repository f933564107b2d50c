"""Adding files to entries, and sending them back: the original, or its preview."""

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from diary import messages
from diary.evidence.forms import EvidenceForm, EvidenceKindForm
from diary.evidence.selectors import evidence_get
from diary.evidence.services import FileSent, evidence_attach_all, evidence_kind_correct
from diary.models.choices import EvidenceKind
from diary.records.selectors import entry_get
from diary.safety.accounts import confirm_first
from diary.web.body_size import uploads_at_most
from diary.web.downloads import (
    kept_file_response,
    media_response,
    preview_response,
    safe_page_response,
    safe_view_response,
)
from diary.web.forms import apply_errors
from diary.web.requests import OwnerRequest


@uploads_at_most(settings.EVIDENCE_MAX_FILES)
@require_http_methods(["GET", "POST"])
@login_required
def evidence_add(request: OwnerRequest, entry_id: int) -> HttpResponse:
    entry = entry_get(actor=request.user, entry_id=entry_id)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data.get("kind") or ""
        description = form.cleaned_data.get("description") or ""
        files = [FileSent(upload, kind, description) for upload in form.cleaned_data["file"]]
        try:
            with transaction.atomic():
                added = evidence_attach_all(entry=entry, actor=request.user, files=files)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            count = len(added)
            added_text = ngettext("File added.", "%(count)d files added.", count)
            flash.success(request, added_text % {"count": count})
            return redirect("diary:entry", entry_id=entry.pk)
    return render(request, "diary/evidence_form.html", {"form": form, "entry": entry})


@require_POST
@login_required
def evidence_kind(request: OwnerRequest, evidence_id: int) -> HttpResponse:
    """The owner says what a file really is; the kind it came in as is kept beside it."""
    evidence = evidence_get(actor=request.user, evidence_id=evidence_id)
    form = EvidenceKindForm(request.POST)
    if form.is_valid():
        try:
            evidence_kind_correct(
                evidence=evidence, actor=request.user, kind=form.cleaned_data["kind"]
            )
        except ValidationError as error:
            apply_errors(form, error)
    if form.errors:
        for problems in form.errors.values():
            for problem in problems:
                flash.error(request, f"{evidence.reference}: {problem}")
    else:
        label = EvidenceKind(form.cleaned_data["kind"]).label
        flash.success(request, messages.FILE_KIND_CORRECTED % {"kind": label})
    return redirect("diary:entry", entry_id=evidence.entry_id)


@require_GET
@login_required
def evidence_media(request: OwnerRequest, evidence_id: int) -> HttpResponseBase:
    """A recording's original, to play in the entry's page. It is the original's bytes, so it
    asks for what a download asks for: a recent confirmation that it is her."""
    evidence = evidence_get(actor=request.user, evidence_id=evidence_id)
    confirm_first(request)
    return media_response(request, evidence, filename=evidence.download_name)


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
