"""The export page: make a bundle, and download one."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from diary.bundle.forms import ExportForm
from diary.bundle.selectors import export_get, export_list
from diary.bundle.services import export_create
from diary.gate import diary_for
from diary.safety.accounts import confirm_first
from diary.safety.services import export_recorded
from diary.web.downloads import stored_file_response
from diary.web.requests import OwnerRequest


@require_http_methods(["GET", "POST"])
@login_required
def exports(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Whoever sits at an open session must confirm it is the owner before anything leaves.
        confirm_first(request)
        with transaction.atomic():
            export = export_create(diary=diary, actor=request.user, **form.cleaned_data)
            export_recorded(request=request, export=export)
        flash.success(
            request, _("Bundle %(number)s is ready to download.") % {"number": export.number}
        )
        return redirect("diary:exports")
    past = export_list(actor=request.user)
    return render(request, "diary/exports.html", {"form": form, "exports": past})


@require_GET
@login_required
def export_download(request: OwnerRequest, export_id: int) -> FileResponse:
    export = export_get(actor=request.user, export_id=export_id)
    confirm_first(request)
    export_recorded(request=request, export=export, downloaded=True)
    response = stored_file_response(
        export.bundle_file,
        filename=export.download_name,
        content_type="application/zip",
        size=export.size,
    )
    response["Cache-Control"] = "private, no-store"
    return response
