"""The owner's pages for contacts, the brief and the inbox. Thin: selectors, services, render."""

from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from diary.gate import diary_for
from diary.person.selectors import person_latest
from diary.records.selectors import entry_list
from diary.safety.accounts import confirm_first
from diary.web.body_size import uploads_at_most
from diary.web.downloads import (
    kept_file_response,
    media_response,
    preview_response,
    safe_page_response,
    safe_view_response,
    stored_file_response,
)
from diary.web.forms import apply_errors
from diary.web.requests import OwnerRequest
from witnesses import messages, selectors
from witnesses.models import BriefVersion
from witnesses.owner.forms import BriefForm, InviteForm, KeepAsideForm, SharingForm
from witnesses.services import submissions
from witnesses.services.brief import PERSON_PARTS, brief_from_person, brief_update
from witnesses.services.links import link_extend, link_reissue, link_revoke, witness_invite
from witnesses.services.sharing import entry_share, entry_unshare, witness_sharing_set

PAGE_SIZE = 25


NEW_LINK_KEY = "new-witness-link"


def _show_link_once(request: HttpRequest, witness: Any, token: str) -> HttpResponse:
    """Keep the new token in the session just long enough to show it on the next page, so
    reloading that page cannot make (or replace) a link again."""
    request.session[NEW_LINK_KEY] = {"witness": witness.pk, "token": token}
    return redirect("witnesses:contact_link", witness_id=witness.pk)


@never_cache
@require_GET
@login_required
def contact_link(request: OwnerRequest, witness_id: int) -> HttpResponse:
    """The one time a link is shown: as text to copy, and as a QR code to show in person."""
    witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
    shown = request.session.pop(NEW_LINK_KEY, None)
    if not shown or shown.get("witness") != witness.pk:
        flash.info(request, _("A link is shown only once. If it was lost, make a new one."))
        return redirect("witnesses:contact", witness_id=witness.pk)
    url = request.build_absolute_uri(reverse("witness:open", args=[shown["token"]]))
    svg = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    qr = mark_safe(svg.to_string(encoding="unicode"))  # noqa: S308 - our own SVG
    context = {
        "witness": witness,
        "url": url,
        "qr": qr,
        "message": str(messages.LINK_MESSAGE).format(name=witness.name),
        "m": messages,
    }
    response = render(request, "witnesses/link.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def contacts(request: OwnerRequest) -> HttpResponse:
    people = selectors.witness_list(actor=request.user)
    return render(request, "witnesses/contacts.html", {"people": people})


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def contact_new(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    # Asked before the form is shown, so nothing typed is lost on the way.
    confirm_first(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            witness, token = witness_invite(
                diary=diary, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _show_link_once(request, witness, token)
    return render(request, "witnesses/contact_form.html", {"form": form})


@require_GET
@login_required
def contact_detail(request: OwnerRequest, witness_id: int) -> HttpResponse:
    witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
    form = SharingForm(
        initial={
            "sharing": witness.sharing,
            "sees_photo": witness.sees_photo,
            "one_device": witness.one_device,
        }
    )
    has_active_link = any(link.is_active for link in witness.links.all())
    devices = sorted(
        (device for link in witness.links.all() for device in link.devices.all()),
        key=lambda device: device.first_seen,
    )
    return render(
        request,
        "witnesses/contact.html",
        {
            "witness": witness,
            "form": form,
            "has_active_link": has_active_link,
            # Every device after the first that opened one of their links, newest first.
            "new_devices": devices[1:][::-1],
        },
    )


@require_POST
@login_required
def contact_sharing(request: OwnerRequest, witness_id: int) -> HttpResponse:
    witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
    confirm_first(request)
    form = SharingForm(request.POST)
    if form.is_valid():
        witness_sharing_set(witness=witness, actor=request.user, **form.cleaned_data)
        flash.success(request, _("Saved. It applies straight away."))
    else:
        flash.error(request, _("Choose what they can see."))
    return redirect("witnesses:contact", witness_id=witness.pk)


def _link_action(request: OwnerRequest, witness_id: int, action: str) -> HttpResponse:
    witness = selectors.witness_get(actor=request.user, witness_id=witness_id)
    if action != "revoke":
        # Stopping a link takes access away, so it is never held up; the rest grant it.
        confirm_first(request)
    try:
        if action == "reissue":
            token = link_reissue(witness=witness, actor=request.user, request=request)
            return _show_link_once(request, witness, token)
        if action == "extend":
            link_extend(witness=witness, actor=request.user, request=request)
            flash.success(request, _("The link now lasts longer."))
        else:
            link_revoke(witness=witness, actor=request.user)
            flash.success(request, _("The link no longer works, on any phone that has it."))
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    return redirect("witnesses:contact", witness_id=witness.pk)


@never_cache
@require_POST
@login_required
def contact_extend(request: OwnerRequest, witness_id: int) -> HttpResponse:
    return _link_action(request, witness_id, "extend")


@never_cache
@require_POST
@login_required
def contact_revoke(request: OwnerRequest, witness_id: int) -> HttpResponse:
    return _link_action(request, witness_id, "revoke")


@never_cache
@require_POST
@login_required
def contact_reissue(request: OwnerRequest, witness_id: int) -> HttpResponse:
    return _link_action(request, witness_id, "reissue")


@uploads_at_most(1)
@require_http_methods(["GET", "POST"])
@login_required
def brief(request: OwnerRequest) -> HttpResponse:
    diary = diary_for(request.user)
    # Asked before the form is shown: a photo chosen before confirming would not survive it.
    confirm_first(request)
    current = selectors.brief_latest(diary)
    initial = (
        {name: getattr(current, name) for name in BriefVersion.CONTENT_FIELDS} if current else {}
    )
    person = person_latest(diary)
    filled = request.method == "GET" and request.GET.get("fill") == "person" and person is not None
    if filled and person is not None:
        # Only copied into the form: nothing reaches contacts until she edits and saves it.
        parts = request.GET.getlist("take") or PERSON_PARTS
        initial = {**initial, **brief_from_person(person, parts)}
    form = BriefForm(request.POST or None, request.FILES or None, initial=initial)
    if not (current and current.photo):
        del form.fields["remove_photo"]
    if request.method == "POST" and form.is_valid():
        try:
            brief_update(
                diary=diary,
                actor=request.user,
                content=form.content(),
                photo=form.cleaned_data.get("photo"),
                remove_photo=form.cleaned_data.get("remove_photo", False),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash.success(request, _("Saved. Your contacts see this version now."))
            return redirect("witnesses:brief")
    return render(
        request,
        "witnesses/brief_form.html",
        {
            "form": form,
            "brief": current,
            "person": person,
            "filled": bool(filled),
            "filled_note": messages.BRIEF_FILLED,
            "fill_help": messages.BRIEF_FILL_HELP,
            # Known addresses are offered unticked: every contact sees the brief's places, and
            # an address she knows of may be one she would rather they did not.
            "fill_parts": [
                (part, messages.BRIEF_FILL_PARTS[part], part != "addresses")
                for part in PERSON_PARTS
                if person is not None and str(getattr(person, part))
            ],
        },
    )


@require_GET
@login_required
def brief_photo(request: OwnerRequest) -> FileResponse:
    current = selectors.brief_for_owner(actor=request.user)
    if current is None or not current.photo:
        raise Http404
    return stored_file_response(current.photo_file, content_type="image/jpeg")


@require_GET
@login_required
def inbox(request: OwnerRequest) -> HttpResponse:
    status = request.GET.get("status", "pending")
    if status not in selectors.INBOX_STATUSES:
        status = "pending"
    submissions = selectors.inbox_list(actor=request.user, status=status)
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "witnesses/inbox.html",
        {"page": page, "status": status, "query": f"status={status}"},
    )


@require_GET
@login_required
def submission_detail(request: OwnerRequest, submission_id: int) -> HttpResponse:
    submission = selectors.submission_get(actor=request.user, submission_id=submission_id)
    return render(
        request,
        "witnesses/submission.html",
        {"submission": submission, "keep_aside_form": KeepAsideForm()},
    )


@require_POST
@login_required
def submission_accept(request: OwnerRequest, submission_id: int) -> HttpResponse:
    submission = selectors.submission_get(actor=request.user, submission_id=submission_id)
    try:
        entry = submissions.submission_accept(submission=submission, actor=request.user)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
        return redirect("witnesses:submission", submission_id=submission.pk)
    flash.success(request, _("Added to your timeline."))
    return redirect("diary:entry", entry_id=entry.pk)


@require_POST
@login_required
def submission_keep_aside(request: OwnerRequest, submission_id: int) -> HttpResponse:
    submission = selectors.submission_get(actor=request.user, submission_id=submission_id)
    confirm_first(request)
    form = KeepAsideForm(request.POST)
    if form.is_valid():
        try:
            submissions.submission_keep_aside(
                submission=submission, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            flash.error(request, " ".join(error.messages))
        else:
            flash.success(request, _("Kept aside. It is listed under “Kept aside”."))
            return redirect("witnesses:inbox")
        return redirect("witnesses:submission", submission_id=submission.pk)
    return render(
        request,
        "witnesses/submission.html",
        {"submission": submission, "keep_aside_form": form},
        status=400,
    )


@require_http_methods(["GET", "POST"])
@login_required
def submission_file(request: OwnerRequest, file_id: int, which: str) -> HttpResponseBase:
    file = selectors.submission_file_get(actor=request.user, file_id=file_id)
    if which == "preview":
        return preview_response(file)
    if which == "media":
        # A recording played in the page is its original's bytes: the download's rules.
        confirm_first(request)
        return media_response(request, file, filename=f"{file.pk}{file.extension}")
    if file.could_call_home and request.method != "POST":
        # The safe view first, which says what the file could do; "Download anyway" posts here.
        return redirect("witnesses:file_safe", file_id=file.pk)
    confirm_first(request)
    return kept_file_response(file, filename=f"{file.pk}{file.extension}")


@require_GET
@login_required
def submission_file_safe(request: OwnerRequest, file_id: int) -> HttpResponse:
    file = selectors.submission_file_get(actor=request.user, file_id=file_id)
    return safe_view_response(
        request,
        file,
        original_url=reverse("witnesses:file_original", args=[file.pk]),
        page_url=lambda number: reverse("witnesses:file_safe_page", args=[file.pk, number]),
        back_url=reverse("witnesses:submission", args=[file.submission_id]),
    )


@require_GET
@login_required
def submission_file_safe_page(request: OwnerRequest, file_id: int, number: int) -> HttpResponse:
    file = selectors.submission_file_get(actor=request.user, file_id=file_id)
    return safe_page_response(file, number)


@require_GET
@login_required
def shared(request: OwnerRequest) -> HttpResponse:
    entries = entry_list(actor=request.user)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    shared_ids = selectors.shared_entry_ids(
        actor=request.user, entry_ids=[entry.pk for entry in page.object_list]
    )
    return render(request, "witnesses/shared.html", {"page": page, "shared_ids": shared_ids})


@require_POST
@login_required
def share_toggle(request: OwnerRequest, entry_id: int) -> HttpResponse:
    entry = selectors.entry_for_sharing(actor=request.user, entry_id=entry_id)
    confirm_first(request)
    if request.POST.get("share") == "1":
        entry_share(entry=entry, actor=request.user)
    else:
        entry_unshare(entry=entry, actor=request.user)
    page = request.POST.get("page", "")
    url = reverse("witnesses:shared")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)
