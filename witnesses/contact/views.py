"""The witness's pages at /w/: no account, only the session their link opened.

Every view here goes through `witness_required`, which finds the witness's device from the
cookie while its link is active. An unknown, expired or revoked link (or session) gets one
neutral page, the same for all three, that says nothing about whose link it was.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from diary import messages as diary_messages
from diary.models import Upload
from diary.uploads import views as tus
from diary.uploads.services import UploadProblem, upload_create
from diary.web.body_size import takes_pieces, uploads_at_most
from diary.web.client import client_ip
from diary.web.downloads import stored_file_response
from diary.web.forms import apply_errors, ask_for_files_again
from diary.web.idempotency import (
    KeyReused,
    idempotency_of,
)
from diary.web.pages import left_site, posted_from_elsewhere
from diary.web.permissions import may_record
from diary.web.qr import qr_svg
from witnesses import messages, selectors
from witnesses.contact.actions import TooManySends, follow_up_send, submission_send
from witnesses.contact.forms import FollowUpForm, SubmissionForm
from witnesses.models import WitnessDevice
from witnesses.services.limits import (
    TooMany,
    link_guess_allowed,
    link_guess_missed,
    retry_after,
    submission_rate_ok,
)
from witnesses.services.links import (
    OneDeviceOnly,
    device_keep,
    device_leave,
    device_open,
    device_seen,
    witness_label,
)
from witnesses.services.submissions import MAX_FILES, LinkInactive


def link_inactive(request: HttpRequest) -> HttpResponse:
    response = render(
        request, "witnesses/inactive.html", {"message": messages.LINK_NOT_ACTIVE}, status=404
    )
    response["Referrer-Policy"] = "no-referrer"
    response.delete_cookie(settings.WITNESS_COOKIE_NAME)
    return response


def too_many(request: HttpRequest, message: "str | Promise", retry_after: int) -> HttpResponse:
    """A calm "please wait" (429) that says, to browsers and scripts, when to try again."""
    response = render(request, "witnesses/too_many.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def current_device(request: HttpRequest) -> WitnessDevice | None:
    return selectors.witness_actor(request.COOKIES.get(settings.WITNESS_COOKIE_NAME))


class WitnessRequest(HttpRequest):
    """Past `witness_required`: the device of the witness whose link opened the session."""

    witness: WitnessDevice


P = ParamSpec("P")
ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


def witness_required(
    view: Callable[Concatenate[WitnessRequest, P], ResponseT],
) -> Callable[Concatenate[HttpRequest, P], ResponseT | HttpResponse]:
    @wraps(view)
    def wrapped(
        request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs
    ) -> ResponseT | HttpResponse:
        device = current_device(request)
        if device is None:
            return link_inactive(request)
        device_seen(device)
        witness_request = cast(WitnessRequest, request)
        witness_request.witness = device
        response = view(witness_request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response

    return wrapped


# Messaging apps fetch a link to draw its preview card; such a fetch is not a phone opening it.
LINK_PREVIEWERS = (
    "whatsapp",
    "facebookexternalhit",
    "facebot",
    "telegrambot",
    "slackbot",
    "twitterbot",
    "discordbot",
    "skypeuripreview",
    "linkedinbot",
    "signal",
    "viber",
    "snapchat",
    "googlebot",
    "bingbot",
)


def is_link_preview(request: HttpRequest) -> bool:
    agent = request.headers.get("User-Agent", "").lower()
    return request.method == "HEAD" or any(name in agent for name in LINK_PREVIEWERS)


@never_cache
@require_safe
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """Swap the token in the link for a session cookie, then go to a URL without the token."""
    if is_link_preview(request):
        # Says nothing, sets nothing, records no device: the real tap comes later.
        response = render(request, "witnesses/preview.html")
        response["Referrer-Policy"] = "no-referrer"
        return response
    ip = client_ip(request)
    if not link_guess_allowed(ip):
        response = too_many(request, messages.TOO_MANY_GUESSES, retry_after())
        response["Referrer-Policy"] = "no-referrer"
        return response
    try:
        opened = device_open(token=token, user_agent=request.headers.get("User-Agent", ""), ip=ip)
    except TooMany as limit:
        response = too_many(request, messages.TOO_MANY_LANDINGS, limit.retry_after)
        response["Referrer-Policy"] = "no-referrer"
        return response
    except OneDeviceOnly:
        response = render(
            request, "witnesses/inactive.html", {"message": messages.ONE_DEVICE_ONLY}, status=403
        )
        response["Referrer-Policy"] = "no-referrer"
        return response
    if opened is None:
        link_guess_missed(ip)
        return link_inactive(request)
    device, key = opened
    response = redirect("witness:home")
    # The URL holding the token is never sent on as a Referer, even to this site.
    response["Referrer-Policy"] = "no-referrer"
    _set_cookie(response, device, key)
    return response


def _set_cookie(response: HttpResponse, device: WitnessDevice, key: str) -> None:
    """A new device's cookie lasts until the browser closes; "keep me on this phone" makes it
    last as long as the link."""
    response.set_cookie(
        settings.WITNESS_COOKIE_NAME,
        key,
        expires=device.link.expires_at if device.kept else None,
        httponly=True,
        samesite="Lax",  # Strict would drop it on the redirect from a messaging app
        secure=settings.HTTPS,
        path="/",
    )


# What drafts.js shows while a send waits for a signal (the words live here, not in the script).
DRAFT_SAYS = {
    "sending": messages.DRAFT_SENDING,
    "no_connection": messages.DRAFT_NO_CONNECTION,
    "kept": messages.DRAFT_KEPT,
    "server_trouble": messages.DRAFT_SERVER_TROUBLE,
    "try_later": messages.DRAFT_TRY_LATER,
    "restored": messages.DRAFT_RESTORED,
    "choose_files_again": messages.DRAFT_CHOOSE_FILES_AGAIN,
}


def _page(request: WitnessRequest, form: SubmissionForm, status: int = 200) -> HttpResponse:
    device = request.witness
    ask_for_files_again(form, request, "files")
    response = render(
        request,
        "witnesses/witness_home.html",
        {
            "brief": selectors.witness_brief(device=device),
            "witness": device.link.witness,
            "form": form,
            "sent": selectors.witness_submissions(device=device)[:20],
            "earlier": selectors.witness_earlier_sends(device=device)[:20],
            "kept": device.kept,
            "timeline": selectors.witness_timeline(device=device)[:50],
            "first_hand": messages.FIRST_HAND,
            "draft": DRAFT_SAYS,
        },
        status=status,
    )
    return may_record(response)


@uploads_at_most(MAX_FILES)
@require_http_methods(["GET", "POST"])
@witness_required
def home(request: WitnessRequest) -> HttpResponse:
    device = request.witness
    form = SubmissionForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _page(request, form)
    if not form.is_valid():
        return _page(request, form, status=400)
    idempotency = idempotency_of(
        form.key_sent,
        actor=witness_label(device.link.witness),
        scope="page.submission",
        data=request.POST,
        files=request.FILES,
    )
    try:
        answer = submission_send(
            device=device,
            content=form.content(),
            uploads=form.cleaned_data["files"],
            idempotency=idempotency,
            answer=lambda kept: (
                302,
                {"location": reverse("witness:receipt", args=[kept.reference])},
            ),
        )
    except TooManySends:
        return too_many(request, messages.TOO_MANY_SENDS, retry_after())
    except KeyReused:
        form.sent_before_differently()
        return _page(request, form, status=422)
    except LinkInactive:
        return link_inactive(request)
    except ValidationError as error:
        apply_errors(form, error)
        return _page(request, form, status=400)
    return redirect(answer.body["location"])


@require_http_methods(["GET", "POST"])
@witness_required
def receipt(request: WitnessRequest, reference: str) -> HttpResponse:
    device = request.witness
    submission = selectors.witness_submission_get(device=device, reference=reference)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            follow_up_send(device=device, submission=submission, text=form.cleaned_data["text"])
        except LinkInactive:
            return link_inactive(request)
        except TooMany as limit:
            return too_many(request, messages.TOO_MANY_FOLLOW_UPS, limit.retry_after)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash.success(request, _("Note added. What you sent before is unchanged."))
            return redirect("witness:receipt", reference=submission.reference)
    document = selectors.receipt_document(submission)
    return render(
        request,
        "witnesses/receipt.html",
        {
            "submission": submission,
            "form": form,
            "receipt": document,
            # What they can photograph or print: the same JSON as the file, without spaces.
            "qr": qr_svg(json.dumps(document, sort_keys=True, separators=(",", ":")))
            if document
            else None,
        },
        status=400 if form.errors else 200,
    )


@require_GET
@witness_required
def receipt_file(request: WitnessRequest, reference: str) -> HttpResponse:
    """receipt-<reference>.json: the receipt to keep, which `verify.py --receipt` checks."""
    submission = selectors.witness_submission_get(device=request.witness, reference=reference)
    document = selectors.receipt_document(submission)
    if document is None:
        raise Http404
    response = HttpResponse(
        json.dumps(document, indent=2, sort_keys=True) + "\n", content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="receipt-{submission.reference}.json"'
    return response


@require_GET
@witness_required
def brief_photo(request: WitnessRequest) -> FileResponse:
    device = request.witness
    brief = selectors.witness_brief(device=device)
    if brief is None or not brief.photo or not device.link.witness.sees_photo:
        raise Http404
    return stored_file_response(brief.photo_file, content_type="image/jpeg")


# No CSRF check: the cookie is SameSite=Lax, so another site's POST arrives without it and ends
# nothing (a same-site page's, which carries it, is refused by posted_from_elsewhere), while a
# stale token must never keep anyone on the page.
@csrf_exempt
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """Leave this site: this device's session ends (its cookie, or any copy of it, opens
    nothing more), then on to an ordinary site. Back meets the neutral page."""
    if posted_from_elsewhere(request):
        return left_site(request)
    device = current_device(request)
    if device is not None:
        device_leave(device=device)
    response = left_site(request)
    response.delete_cookie(settings.WITNESS_COOKIE_NAME)
    return response


@require_POST
@witness_required
def keep(request: WitnessRequest) -> HttpResponse:
    """Keep me on this phone, or forget it when the browser closes."""
    device = device_keep(device=request.witness, keep=request.POST.get("keep") == "on")
    response = redirect("witness:home")
    _set_cookie(response, device, request.COOKIES[settings.WITNESS_COOKIE_NAME])
    flash.success(request, messages.KEPT_ON_PHONE if device.kept else messages.NOT_KEPT_ON_PHONE)
    return response


# Recordings and photos made on the contact's page, sent in pieces as they are made (tus, as
# the owner's: diary/uploads/views.py). Each becomes a submission of its own when it ends.
@takes_pieces
@never_cache
@require_http_methods(["POST", "OPTIONS"])
@witness_required
@tus.protocol
def uploads(request: WitnessRequest) -> HttpResponse:
    device = request.witness

    def make(meta: dict[str, str], length: int | None) -> Upload:
        media = meta.get("media", "")
        if media not in (Upload.Media.AUDIO, Upload.Media.VIDEO, Upload.Media.PHOTO):
            raise UploadProblem(400, diary_messages.UPLOAD_BAD_REQUEST)
        if (length is None) != (media != Upload.Media.PHOTO):
            raise UploadProblem(400, diary_messages.UPLOAD_BAD_REQUEST)
        if not submission_rate_ok(device.link):
            raise UploadProblem(429, messages.TOO_MANY_SENDS)
        return upload_create(
            diary=device.link.witness.diary,
            party=Upload.Party.CONTACT,
            kind=Upload.Kind.FILE if length is not None else Upload.Kind.RECORDING,
            media=media,
            name=meta.get("filename", ""),
            length=length,
            declared_sha256=meta.get("sha256", ""),
            contact_device=device.pk,
        )

    return tus.creation(request, make, reverse("witness:uploads"))


@takes_pieces
@never_cache
@require_http_methods(["HEAD", "PATCH", "OPTIONS"])
@witness_required
@tus.protocol
def upload(request: WitnessRequest, upload_id: str) -> HttpResponse:
    device = request.witness
    return tus.resource(
        request, lambda: selectors.witness_upload_get(device=device, upload_id=upload_id)
    )
