"""The export page: make a bundle, and download one; and, for anyone, the published keys and
the checker (/verify/)."""

import hashlib

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from diary import messages
from diary.bundle.actions import bundle_download, bundle_request, head_download
from diary.bundle.forms import ExportForm
from diary.bundle.selectors import export_get, export_list
from diary.bundle.writer import verifier_files
from diary.core.signing import grouped, published_keys
from diary.gate import diary_for
from diary.jobs.selectors import job_latest
from diary.ledger.keys import signing_keys_document
from diary.ledger.selectors import ledger_head_of, timestamp_status
from diary.models import Job
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
        asked = bundle_request(
            request=request, diary=diary, actor=request.user, **form.cleaned_data
        )
        if asked.joined:
            flash.info(request, messages.BUNDLE_ALREADY_UNDER_WAY)
        return redirect("diary:job", job_id=asked.job.pk)
    stamps = timestamp_status(actor=request.user)
    job = job_latest(actor=request.user, kind=Job.Kind.BUNDLE)
    context = {"form": form, "exports": past, "stamps": stamps, "job": job}
    return render(request, "diary/exports.html", context)


@require_GET
@login_required
def export_download(request: OwnerRequest, export_id: int) -> FileResponse:
    export = export_get(actor=request.user, export_id=export_id)
    confirm_first(request)
    return bundle_download(request=request, export=export)


@require_GET
@login_required
def head(request: OwnerRequest) -> HttpResponse:
    """A copy for someone she trusts: what it is, who to send it to, and the file."""
    record = ledger_head_of(actor=request.user)
    return render(request, "diary/head.html", {"record": record})


@require_GET
@login_required
def head_file(request: OwnerRequest) -> HttpResponse:
    response = head_download(request=request)
    response["Cache-Control"] = "no-store"
    return response


# Published for anyone, with no sign-in: what a stranger needs to check a bundle without
# trusting the copy of the checker inside it.


@require_GET
def signing_keys(request: HttpRequest) -> JsonResponse:
    """/.well-known/sightline/signing-keys.json: every published key and each rotation."""
    response = JsonResponse(signing_keys_document(), json_dumps_params={"indent": 2})
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def verify_page(request: HttpRequest) -> HttpResponse:
    files = [
        {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in verifier_files()
    ]
    keys = [
        {"fingerprint": grouped(key.fingerprint), "signs_now": index == 0}
        for index, key in enumerate(published_keys())
    ]
    return render(request, "diary/verify.html", {"files": files, "keys": keys})


@require_GET
def verifier_download(request: HttpRequest, name: str) -> HttpResponse:
    data = dict(verifier_files()).get(name)
    if data is None:
        raise Http404
    kind = "text/x-python" if name.endswith(".py") else "text/html"
    response = HttpResponse(data, content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
