"""Request bodies refused at their size, before a byte of them is written anywhere.

Django writes an upload to a temporary file as it parses it (and under ASGI reads the whole
body into one before any middleware runs), so its own checks on a file's size come after the
disk has taken it all. Each route has a cap instead: the files it takes at most
(`uploads_at_most` on its view), each up to EVIDENCE_MAX_BYTES (or the setting the view names:
an export to import is IMPORT_MAX_BYTES), and a margin for the form's other fields
(DATA_UPLOAD_MAX_MEMORY_SIZE) and multipart's own boundaries; a route that takes no file gets
only the margin. stack/nginx.py writes the same sums into nginx's
client_max_body_size, so the proxy lets through whatever the app takes.

Two layers hold the cap: `BodySizeLimit` wraps the ASGI app (what uvicorn serves) and refuses a
declared Content-Length over it without reading the body, or a body without one once it has
streamed past it; `BodySizeMiddleware`, first in MIDDLEWARE, refuses a declared length under
WSGI and the test client (which read no more than the declared length).
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve

from diary import messages

MIB = 1024 * 1024
API_PREFIX = "/api/"

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


EVIDENCE = "EVIDENCE_MAX_BYTES"


def uploads_at_most(files: int, *, each: str = EVIDENCE) -> Callable[[ViewT], ViewT]:
    """Mark a view function as taking up to `files` uploaded files in one request, each up to
    the setting named `each`. (An API class says the same with a class attribute
    `uploads_at_most`.)"""

    def mark(view: ViewT) -> ViewT:
        view.uploads_at_most = files  # type: ignore[attr-defined]  # read by body_cap
        view.upload_each = each  # type: ignore[attr-defined]
        return view

    return mark


def takes_pieces(view: ViewT) -> ViewT:
    """Mark a view as taking one piece of a resumable upload a request (diary/uploads/): its
    cap is UPLOAD_PIECE_MAX_BYTES and a margin, whatever EVIDENCE_MAX_BYTES is, so a piece is
    neither refused for being larger than a form nor let through at a whole file's size."""
    view.takes_pieces = True  # type: ignore[attr-defined]  # read by body_cap
    return view


def piece_cap() -> int:
    """The largest body a route taking pieces accepts (the piece; the margin is for nothing but
    rounding: a piece's request has no form around it)."""
    return settings.UPLOAD_PIECE_MAX_BYTES + MIB


def cap_for(files: int, each: str = EVIDENCE) -> int:
    """The largest body a route taking up to `files` files, each up to `each`, accepts."""
    return files * int(getattr(settings, each)) + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + MIB


PIECES = "UPLOAD_PIECE_MAX_BYTES"


def _route(path: str) -> tuple[int, str]:
    """How many files the route takes, and the setting that limits each (PIECES for a route
    taking one piece of an upload a request)."""
    try:
        view = resolve(path).func
    except Resolver404:
        return 0, EVIDENCE
    if getattr(view, "takes_pieces", False):
        return 1, PIECES
    files = getattr(view, "uploads_at_most", None)
    if files is None:
        files = getattr(getattr(view, "view_class", None), "uploads_at_most", 0)
    return int(files or 0), getattr(view, "upload_each", EVIDENCE)


def body_cap(path: str) -> int:
    files, each = _route(path)
    return piece_cap() if each == PIECES else cap_for(files, each)


def _declared(value: str | bytes | None) -> int | None:
    """The declared Content-Length, or None when there is none (or it is not a number)."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def refusal(path: str) -> tuple[str, bytes]:
    """The 413's content type and body: JSON for the API, a plain sentence for pages."""
    _files, each = _route(path)
    text = str(messages.BODY_TOO_LARGE % {"limit": filesizeformat(getattr(settings, each))})
    if path.startswith(API_PREFIX):
        return "application/json", json.dumps({"detail": text}).encode()
    return "text/plain; charset=utf-8", text.encode()


class BodySizeMiddleware:
    """Refuse a declared body over its route's cap before anything reads it (WSGI, tests)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = _declared(request.META.get("CONTENT_LENGTH") or None)
        if declared is not None and declared > body_cap(request.path_info):
            content_type, body = refusal(request.path_info)
            if content_type == "application/json":
                return JsonResponse(json.loads(body), status=413)
            return HttpResponse(body, content_type=content_type, status=413)
        return self.get_response(request)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Django's ASGIHandler types its arguments more narrowly than the ASGI spec; any app will do.
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


def path_info(scope: Scope) -> str:
    """The path as the URLconf sees it: without the prefix the app is mounted under, if any."""
    path: str = scope["path"]
    root: str = scope.get("root_path") or ""
    return path[len(root) :] if root and path.startswith(root) else path


class BodySizeLimit:
    """ASGI middleware around Django's app: a body over its route's cap never reaches Django,
    so Django never spools it to disk."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = path_info(scope)
        cap = body_cap(path)
        headers = dict(scope.get("headers") or [])
        declared = _declared(headers.get(b"content-length"))
        if declared is not None and declared > cap:
            await _refuse(send, path)  # before a byte of the body is read
            return
        received = 0
        refused = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    # Django sees the client go, drops what it had and answers nothing; the
                    # client hears the 413 from here.
                    refused = True
                    await _refuse(send, path)
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, path: str) -> None:
    content_type, body = refusal(path)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"x-content-type-options", b"nosniff"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
