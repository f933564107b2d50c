"""Bringing texts, e-mails and calls in: upload the export, then choose whom from it."""

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from diary import messages
from diary.gate import diary_for
from diary.imports.formats.base import ImportProblem
from diary.imports.forms import ImportChooseForm, ImportUploadForm
from diary.imports.pending import pending_ask_add, pending_create
from diary.imports.selectors import pending_get
from diary.web.body_size import uploads_at_most
from diary.web.requests import OwnerRequest


@uploads_at_most(1, each="IMPORT_MAX_BYTES")
@require_http_methods(["GET", "POST"])
@login_required
def import_start(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, initial={"time_zone": diary.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        try:
            asked = pending_create(
                diary=diary,
                actor=request.user,
                upload=form.cleaned_data["file"],
                time_zone=form.cleaned_data["time_zone"],
                day_first=form.day_first(),
            )
        except ImportProblem as problem:
            form.add_error("file", str(problem))
        else:
            if asked.joined:
                flash.info(request, messages.IMPORT_ALREADY_READING)
            return redirect("diary:job", job_id=asked.job.pk)
    limit = settings.IMPORT_MAX_BYTES
    return render(request, "diary/import_start.html", {"form": form, "limit": limit})


@require_http_methods(["GET", "POST"])
@login_required
def import_choose(request: OwnerRequest, pending_id: str) -> HttpResponse:
    pending = pending_get(actor=request.user, pending_id=pending_id)
    posted = request.POST if request.method == "POST" else None  # bound even with none ticked
    form = ImportChooseForm(posted, parties=pending.parties)
    if request.method == "POST" and form.is_valid():
        asked = pending_ask_add(
            pending=pending,
            actor=request.user,
            parties=form.cleaned_data["parties"],
            to_them=form.cleaned_data["to_them"],
            person=form.cleaned_data["person"],
        )
        return redirect("diary:job", job_id=asked.job.pk)
    chosen = set(form["parties"].value() or [])
    rows = [
        {
            **party,
            "first": parse_datetime(party["first"]) if party.get("first") else None,
            "last": parse_datetime(party["last"]) if party.get("last") else None,
            "preview": [
                {"at": parse_datetime(shown["at"]), "text": shown["text"]}
                for shown in party.get("preview", [])
            ],
            "checked": party["party"] in chosen,
        }
        for party in pending.parties
    ]
    context = {"pending": pending, "form": form, "rows": rows}
    return render(request, "diary/import_choose.html", context)
