"""Adding files to entries, and sending them back: the original, or its preview."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from diary.evidence.forms import EvidenceForm
from diary.evidence.selectors import evidence_get
from diary.evidence.services import evidence_attach
from diary.records.selectors import entry_get
from diary.web.body_size import uploads_at_most
from diary.web.downloads import kept_file_response, preview_response
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
        # Say what the file could do first; "Download anyway" posts back here.
        return render(request, "diary/call_home_download.html", {"kept": evidence})
    return kept_file_response(evidence, filename=evidence.download_name)


@require_GET
@login_required
def evidence_preview(request: OwnerRequest, evidence_id: int) -> FileResponse:
    evidence = evidence_get(actor=request.user, evidence_id=evidence_id)
    return preview_response(evidence)
