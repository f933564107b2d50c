"""The tus 1.0 core protocol (https://tus.io/protocols/resumable-upload), with its creation,
creation-defer-length, checksum and expiration extensions, over diary.uploads.services.

    POST   <collection>         make an upload: Upload-Length (a file) or Upload-Defer-Length: 1
                                (a recording), Upload-Metadata (filename, media, entry, sha256)
    HEAD   <collection><id>     where the server is: Upload-Offset (and Upload-Length)
    PATCH  <collection><id>     one piece at Upload-Offset, as application/offset+octet-stream,
                                with Upload-Checksum: sha256 <base64> if the client likes;
                                Upload-Length on a recording's last piece says it has stopped
    OPTIONS                     what this server speaks

One addition: a PATCH may carry `Upload-Whole-Checksum: sha256 <base64>`, the whole file's
hash, for a client that knows it only at the end (a recording); the upload completes only if
the joined pieces hash to it (as to the metadata's `sha256`, when that was given).

A completed upload answers with `Upload-Kept-At`: the page that now shows it.

The owner's endpoints are here; a contact's (witnesses/contact/uploads.py) use the same
handlers with their own way of finding the upload. Each request is CSRF-checked like any
other unsafe request (the client sends X-CSRFToken).
"""

import base64
import binascii
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from diary import messages
from diary.gate import diary_for
from diary.models import Upload
from diary.safety.sessions import session_id_of
from diary.uploads import selectors
from diary.uploads.services import UploadProblem, upload_append, upload_create
from diary.web.body_size import takes_pieces
from diary.web.requests import OwnerRequest

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-defer-length,checksum,expiration"
OFFSET_TYPE = "application/offset+octet-stream"


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    return response


def problem(status: int, message: str) -> HttpResponse:
    return _tus(HttpResponse(message, status=status, content_type="text/plain; charset=utf-8"))


def options() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = EXTENSIONS
    response["Tus-Max-Size"] = str(settings.EVIDENCE_MAX_BYTES)
    response["Tus-Checksum-Algorithm"] = "sha256"
    return _tus(response)


def metadata(request: HttpRequest) -> dict[str, str]:
    """Upload-Metadata: `key base64,key base64`; a value that does not decode is refused."""
    found: dict[str, str] = {}
    raw = request.headers.get("Upload-Metadata", "")
    for pair in filter(None, (part.strip() for part in raw.split(","))):
        key, _, value = pair.partition(" ")
        try:
            found[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST) from None
    return found


def _number(value: str | None) -> int | None:
    if value is None:
        return None
    # ASCII digits only: str.isdigit() also takes "²" (a header may carry Latin-1), which int()
    # refuses, and int() refuses more than 4300 digits; no size here needs more than 20.
    if not (value.isascii() and value.isdigit()) or len(value) > 20:
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    return int(value)


def _sha256_header(value: str | None) -> str | None:
    """`sha256 <base64>` -> the base64; any other algorithm is one this server does not do."""
    if value is None:
        return None
    algorithm, _, digest = value.strip().partition(" ")
    if algorithm.lower() != "sha256" or not digest:
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    return digest.strip()


def _hex(b64: str | None) -> str:
    if not b64:
        return ""
    try:
        digest = base64.b64decode(b64, validate=True)
    except binascii.Error:
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST) from None
    if len(digest) != hashlib.sha256().digest_size:  # kept as a 64-character hex column
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    return digest.hex()


def creation(
    request: HttpRequest, make: Callable[[dict[str, str], int | None], Upload], location: str
) -> HttpResponse:
    """POST: a new upload. `make(metadata, length)` makes it; `location` is the collection."""
    defer = request.headers.get("Upload-Defer-Length")
    length = _number(request.headers.get("Upload-Length"))
    if defer is not None and (defer != "1" or length is not None):
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    upload = make(metadata(request), length)
    response = HttpResponse(status=201)
    response["Location"] = request.build_absolute_uri(f"{location}{upload.pk}")
    response["Upload-Offset"] = "0"
    response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    return _tus(response)


def _state(upload: Upload, status: int = 200) -> HttpResponse:
    if upload.state in (Upload.State.COMPLETE, Upload.State.CUT_OFF):
        response = HttpResponse(status=status)
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Length"] = str(
            upload.length if upload.length is not None else upload.offset
        )
        if upload.result_url:
            response["Upload-Kept-At"] = upload.result_url
        return _tus(response)
    if not upload.is_open:
        return problem(404, upload.refusal or str(messages.UPLOAD_NOT_FOUND))
    response = HttpResponse(status=status)
    response["Upload-Offset"] = str(upload.offset)
    if upload.length is None:
        response["Upload-Defer-Length"] = "1"
    else:
        response["Upload-Length"] = str(upload.length)
    response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    return _tus(response)


def resource(request: HttpRequest, find: Callable[[], Upload]) -> HttpResponse:
    """HEAD and PATCH on one upload, which `find` fetches (404 for anyone else's)."""
    upload = find()
    if request.method == "HEAD":
        return _state(upload)
    if request.headers.get("Content-Type", "").split(";")[0].strip() != OFFSET_TYPE:
        return problem(415, str(messages.UPLOAD_BAD_REQUEST))
    offset = _number(request.headers.get("Upload-Offset"))
    if offset is None:
        raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
    upload = upload_append(
        upload=upload,
        offset=offset,
        body=request,
        checksum=_sha256_header(request.headers.get("Upload-Checksum")),
        length=_number(request.headers.get("Upload-Length")),
        whole_sha256=_hex(_sha256_header(request.headers.get("Upload-Whole-Checksum"))),
    )
    return _state(upload, status=204)


def protocol(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Tus's rules around a view: OPTIONS answered, Tus-Resumable required, a refusal in
    plain words with its status (and a 404 as tus's own)."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "OPTIONS":
            return options()
        if request.headers.get("Tus-Resumable") != TUS_VERSION:
            response = problem(412, str(messages.UPLOAD_BAD_REQUEST))
            response["Tus-Version"] = TUS_VERSION
            return response
        try:
            return view(request, *args, **kwargs)
        except UploadProblem as refused:
            return problem(refused.status, refused.message)
        except Http404:
            return problem(404, str(messages.UPLOAD_NOT_FOUND))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


MEDIA = {value for value in Upload.Media.values}


@takes_pieces
@never_cache
@require_http_methods(["POST", "OPTIONS"])
@login_required
@protocol
def uploads(request: OwnerRequest) -> HttpResponse:
    """The owner starts a file (onto one of her entries) or a recording or photo (onto an
    entry, or a new one dated when it started)."""
    diary = diary_for(request.user)

    def make(meta: dict[str, str], length: int | None) -> Upload:
        entry = (
            selectors.upload_entry(actor=request.user, entry_id=meta["entry"])
            if meta.get("entry")
            else None
        )
        media = meta.get("media", "")
        if media not in MEDIA:
            raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)
        recording = length is None
        if not recording and entry is None and media != Upload.Media.PHOTO:
            raise UploadProblem(400, messages.UPLOAD_BAD_REQUEST)  # a file goes on an entry
        return upload_create(
            diary=diary,
            party=Upload.Party.OWNER,
            kind=Upload.Kind.RECORDING if recording else Upload.Kind.FILE,
            media=media,
            name=meta.get("filename", ""),
            length=length,
            declared_sha256=meta.get("sha256", ""),
            entry=entry,
            made_by=request.user,
            owner_session=session_id_of(request),
            evidence_kind=meta.get("kind", ""),
            description=meta.get("description", ""),
        )

    return creation(request, make, reverse("diary:uploads"))


@takes_pieces
@never_cache
@require_http_methods(["HEAD", "PATCH", "OPTIONS"])
@login_required
@protocol
def upload(request: OwnerRequest, upload_id: str) -> HttpResponse:
    return resource(
        request,
        lambda: selectors.upload_get(
            actor=request.user, upload_id=upload_id, session_id=session_id_of(request)
        ),
    )
