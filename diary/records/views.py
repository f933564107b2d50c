"""The owner's timeline, entries, items register, settings and patterns pages. Thin: read
through selectors, write through services, render.
"""

from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from diary import messages
from diary.evidence.forms import EvidenceForm
from diary.gate import diary_for
from diary.ledger.services import actor_label
from diary.models.choices import EvidenceKind
from diary.records import services
from diary.records.actions import FileSent, entry_record, version_record
from diary.records.forms import (
    EntryFilterForm,
    EntryForm,
    ItemForm,
    QuickCaptureForm,
    SettingsForm,
    WithdrawForm,
)
from diary.records.patterns import patterns_for
from diary.records.runs import with_runs
from diary.records.selectors import (
    entries_to_link,
    entry_get,
    entry_list,
    entry_list_withdrawn,
    item_get,
    item_list,
)
from diary.safety.accounts import confirm_first
from diary.web.body_size import uploads_at_most
from diary.web.forms import KeyedForm, apply_errors, ask_for_files_again
from diary.web.idempotency import KeyReused, idempotency_of
from diary.web.permissions import allowing, may_record
from diary.web.requests import OwnerRequest

PAGE_SIZE = 25
# What drafts.js shows while the owner's words wait for a signal (the words live here, not in
# the script; a contact's page has its own).
DRAFT_SAYS = {
    "sending": messages.DRAFT_SAVING,
    "no_connection": messages.DRAFT_NO_CONNECTION,
    "kept": messages.DRAFT_KEPT,
    "server_trouble": messages.DRAFT_SERVER_TROUBLE,
    "try_later": messages.DRAFT_TRY_LATER,
    "restored": messages.DRAFT_RESTORED,
    "choose_files_again": messages.DRAFT_CHOOSE_FILES_AGAIN,
    "discard": messages.DRAFT_DISCARD,
}
# What geo.js says about "Use where I am now".
GEO_SAYS = {
    "none": messages.GEO_NONE,
    "kept": messages.GEO_KEPT,
    "kept_within": messages.GEO_KEPT_WITHIN,
    "finding": messages.GEO_FINDING,
    "denied": messages.GEO_DENIED,
    "failed": messages.GEO_FAILED,
    "unavailable": messages.GEO_UNAVAILABLE,
    "help": messages.GEO_HELP,
    "needs_script": messages.GEO_NEEDS_SCRIPT,
}


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@require_GET
@login_required
def timeline(request: OwnerRequest) -> HttpResponse:
    diary_for(request.user)
    form = EntryFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else None
    entries = entry_list(actor=request.user, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    page = _page(request, entries)
    context = {"form": form, "page": page, "shown": with_runs(page), "query": query.urlencode()}
    return render(request, "diary/timeline.html", context)


@require_GET
@login_required
def withdrawn(request: OwnerRequest) -> HttpResponse:
    entries = entry_list_withdrawn(actor=request.user)
    return render(request, "diary/withdrawn.html", {"page": _page(request, entries)})


def _record(request: OwnerRequest, form: Any) -> str | None:
    """Create the entry and its file together: if the file is refused, nothing is kept.
    Returns where to go next (the entry), or None with the form's errors set. The form's key
    makes a second send of it lead to the same entry, recording nothing again."""
    diary = diary_for(request.user)
    idempotency = idempotency_of(
        form.key_sent,
        actor=actor_label(request.user),
        scope="page.entry",
        data=request.POST,
        files=request.FILES,
    )
    uploads = form.cleaned_data.get("file") or []
    try:
        answer = entry_record(
            diary=diary,
            actor=request.user,
            content=form.content(),
            files=[FileSent(upload) for upload in uploads],
            idempotency=idempotency,
            answer=lambda entry: (302, {"location": reverse("diary:entry", args=[entry.pk])}),
        )
    except KeyReused:
        form.sent_before_differently()
        return None
    except ValidationError as error:
        apply_errors(form, error)
        return None
    if not answer.replayed:
        flash.success(request, _("Saved. It is in your timeline."))
    location: str = answer.body["location"]
    return location


@uploads_at_most(settings.EVIDENCE_MAX_FILES)
@require_http_methods(["GET", "POST"])
@login_required
def capture(request: OwnerRequest) -> HttpResponse:
    diary_for(request.user)
    form = QuickCaptureForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        location = _record(request, form)
        if location is not None:
            return redirect(location)
    ask_for_files_again(form, request)
    context = {"form": form, "draft": DRAFT_SAYS}
    return may_record(render(request, "diary/capture.html", context, status=form.status))


class EntryWithFileForm(KeyedForm, EntryForm):
    file = QuickCaptureForm.base_fields["file"]


class AmendForm(KeyedForm, EntryForm):
    """An amendment carries a key too: sent twice (a retry on a bad signal), it adds one
    version."""


@uploads_at_most(settings.EVIDENCE_MAX_FILES)
@require_http_methods(["GET", "POST"])
@login_required
def entry_new(request: OwnerRequest) -> HttpResponse:
    diary_for(request.user)
    form = EntryWithFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        location = _record(request, form)
        if location is not None:
            return redirect(location)
    ask_for_files_again(form, request)
    response = render(
        request,
        "diary/entry_form.html",
        {"form": form, "entry": None, "draft": DRAFT_SAYS, "geo": GEO_SAYS},
        status=form.status,
    )
    return allowing(response, "geolocation")  # "Use where I am now", when she taps it


@require_GET
@login_required
def entry_detail(request: OwnerRequest, entry_id: int) -> HttpResponse:
    entry = entry_get(actor=request.user, entry_id=entry_id)
    response = render(
        request,
        "diary/entry.html",
        {
            "entry": entry,
            "versions": list(entry.versions.all()),
            "evidence_form": EvidenceForm(),
            "withdraw_form": WithdrawForm(),
            "kind_choices": EvidenceKind.choices,
            "m": messages,
        },
    )
    return response if entry.is_withdrawn else may_record(response)


@require_http_methods(["GET", "POST"])
@login_required
def entry_amend(request: OwnerRequest, entry_id: int) -> HttpResponse:
    entry = entry_get(actor=request.user, entry_id=entry_id)
    if entry.is_withdrawn:
        flash.info(request, _("This entry has been withdrawn, so it cannot be changed."))
        return redirect("diary:entry", entry_id=entry.pk)
    form = AmendForm(request.POST or None, instance=entry.current)
    if request.method == "POST" and form.is_valid():
        idempotency = idempotency_of(
            form.key_sent,
            actor=actor_label(request.user),
            scope=f"page.amend.{entry.pk}",
            data=request.POST,
        )
        try:
            answer = version_record(
                entry=entry,
                actor=request.user,
                content=form.content(),
                idempotency=idempotency,
                answer=lambda version: (
                    302,
                    {"location": reverse("diary:entry", args=[version.entry_id])},
                ),
            )
        except KeyReused:
            form.sent_before_differently()
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if not answer.replayed:
                flash.success(request, _("Saved as a new version. The earlier one is kept."))
            return redirect(answer.body["location"])
    response = render(
        request,
        "diary/entry_form.html",
        {"form": form, "entry": entry, "draft": DRAFT_SAYS, "geo": GEO_SAYS},
        status=form.status,
    )
    return allowing(response, "geolocation")


@require_http_methods(["GET", "POST"])
@login_required
def entry_withdraw(request: OwnerRequest, entry_id: int) -> HttpResponse:
    entry = entry_get(actor=request.user, entry_id=entry_id)
    confirm_first(request)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_withdraw(
                entry=entry, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash.success(request, _("Withdrawn. It is kept under “Withdrawn”."))
            return redirect("diary:timeline")
    return render(request, "diary/withdraw.html", {"form": form, "entry": entry})


@require_GET
@login_required
def items(request: OwnerRequest) -> HttpResponse:
    found = item_list(actor=request.user)
    return render(request, "diary/items.html", {"page": _page(request, found)})


@require_http_methods(["GET", "POST"])
@login_required
def item_new(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    initial = {}
    if request.method == "GET" and request.GET.get("entry", "").isdigit():
        initial["entry"] = request.GET["entry"]
    entries = entries_to_link(actor=request.user)
    form = ItemForm(request.POST or None, entries=entries, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.item_create(diary=diary, actor=request.user, content=form.content())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash.success(request, _("Item added to the register."))
            return redirect("diary:item", item_id=item.pk)
    return render(request, "diary/item_form.html", {"form": form, "item": None})


@require_GET
@login_required
def item_detail(request: OwnerRequest, item_id: int) -> HttpResponse:
    item = item_get(actor=request.user, item_id=item_id)
    return render(request, "diary/item.html", {"item": item, "versions": list(item.versions.all())})


@require_http_methods(["GET", "POST"])
@login_required
def item_amend(request: OwnerRequest, item_id: int) -> HttpResponse:
    item = item_get(actor=request.user, item_id=item_id)
    entries = entries_to_link(actor=request.user)
    form = ItemForm(request.POST or None, entries=entries, instance=item.current)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_amend(item=item, actor=request.user, content=form.content())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash.success(request, _("Saved as a new version. The earlier one is kept."))
            return redirect("diary:item", item_id=item.pk)
    return render(request, "diary/item_form.html", {"form": form, "item": item})


@require_http_methods(["GET", "POST"])
@login_required
def diary_settings(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    form = SettingsForm(
        request.POST or None, initial={"title": diary.title, "time_zone": diary.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.diary_settings_change(diary=diary, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash.success(request, _("Settings saved."))
            return redirect("diary:settings")
    return render(
        request,
        "diary/settings.html",
        {"form": form, "diary": diary, "has_two_factor": is_mfa_enabled(request.user)},
    )


@require_GET
@login_required
def patterns(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    return render(request, "diary/patterns.html", patterns_for(diary, timezone.now()))
