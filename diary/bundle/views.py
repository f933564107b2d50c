"""The export page: make a bundle, and download one."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from diary.bundle.actions import bundle_download, bundle_make
from diary.bundle.forms import ExportForm
from diary.bundle.selectors import export_get, export_list
from diary.gate import diary_for
from diary.ledger.selectors import timestamp_status
from diary.safety.accounts import confirm_first
from diary.web.requests import OwnerRequest


@require_http_methods(["GET", "POST"])
@login_required
def exports(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    past = export_list(actor=request.user)
    # What headed the last bundle is offered again; it is shown nowhere but this form.
    last = past.first()
    initial = {"title": last.title, "owner_name": last.owner_name} if last else {}
    form = ExportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        # Whoever sits at an open session must confirm it is the owner before anything leaves.
        confirm_first(request)
        export = bundle_make(request=request, diary=diary, actor=request.user, **form.cleaned_data)
        flash.success(
            request, _("Bundle %(number)s is ready to download.") % {"number": export.number}
        )
        return redirect("diary:exports")
    stamps = timestamp_status(actor=request.user)
    return render(request, "diary/exports.html", {"form": form, "exports": past, "stamps": stamps})


@require_GET
@login_required
def export_download(request: OwnerRequest, export_id: int) -> FileResponse:
    export = export_get(actor=request.user, export_id=export_id)
    confirm_first(request)
    return bundle_download(request=request, export=export)
