"""Stored files sent to the browser, decrypted as they stream (diary.core.filestore)."""

import re
from collections.abc import Callable, Iterator
from typing import IO

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from diary import messages
from diary.core.filestore import Ref
from diary.evidence import safeview
from diary.models import KeptFile
from diary.safety.services import original_downloaded

# A drawn page is only an image: it may load nothing, run nothing, and be framed by nothing.
SAFE_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


def stored_file_response(
    stored: Ref,
    *,
    content_type: str,
    filename: str = "",
    size: int | None = None,
    inline_name: str = "",
) -> FileResponse:
    """A file's plaintext: as a download when it has a `filename`, else inline (named
    `inline_name`, if given). The length is sent when the caller knows the plaintext's size
    (the stored file is longer). No browser or proxy may keep a copy: phones are shared and
    borrowed."""
    response = FileResponse(
        stored.open(),
        as_attachment=bool(filename),
        filename=filename or inline_name,
        content_type=content_type,
    )
    if size is not None:
        response["Content-Length"] = str(size)
    response["Cache-Control"] = "private, no-store"
    return response


def kept_file_response(kept: KeptFile, *, filename: str) -> FileResponse:
    """A kept file's original bytes, as a download named `filename`; in the access log."""
    original_downloaded(kept=kept, reference=filename)
    return stored_file_response(
        kept.original_file, filename=filename, content_type=kept.mime_type, size=kept.size
    )


# One range of bytes, as players ask for them ("bytes=0-", "bytes=1000-1999", "bytes=-500").
ONE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
READ_CHUNK = 64 * 1024


def playable(kept: KeptFile) -> bool:
    """A recording a page may play: audio or video, and nothing that could call home."""
    return kept.mime_type.startswith(("audio/", "video/")) and not kept.could_call_home


def _skip_then(source: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    """The plaintext from `start`, `length` bytes of it. The stream is sealed in segments and
    cannot seek, so what comes before is read and dropped."""
    try:
        while start > 0:
            dropped = source.read(min(READ_CHUNK, start))
            if not dropped:
                return
            start -= len(dropped)
        while length > 0:
            chunk = source.read(min(READ_CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        source.close()


def media_response(request: HttpRequest, kept: KeptFile, *, filename: str) -> HttpResponseBase:
    """A recording's original bytes to play in the page: inline, of its own type, never kept
    by the browser, and one range of it when the player asks (seeking, and Safari, which plays
    nothing without ranges). In the access log as an original sent, as a download is."""
    if not playable(kept):
        raise Http404
    original_downloaded(kept=kept, reference=filename)
    size = kept.size
    asked = ONE_RANGE.match(request.headers.get("Range", "").strip())
    if not asked or asked.groups() == ("", ""):
        response: HttpResponseBase = stored_file_response(
            kept.original_file, content_type=kept.mime_type, size=size, inline_name=filename
        )
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = asked.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        refused["Cache-Control"] = "private, no-store"
        return refused
    length = end - start + 1
    response = StreamingHttpResponse(
        _skip_then(kept.original_file.open(), start, length),
        status=206,
        content_type=kept.mime_type,
    )
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def preview_response(kept: KeptFile) -> FileResponse:
    """A kept file's metadata-free preview, inline; 404 when it has none."""
    if not kept.preview:
        raise Http404
    return stored_file_response(kept.preview_file, content_type="image/jpeg")


def safe_view_response(
    request: HttpRequest,
    kept: KeptFile,
    *,
    original_url: str,
    page_url: Callable[[int], str],
    back_url: str,
) -> HttpResponse:
    """The safe view of a kept file: its pages as images drawn here, or its words as text,
    with the warning and the original's "Download anyway" (a POST to `original_url`)."""
    kind = safeview.kind_of(kept)
    context: dict[str, object] = {
        "kept": kept,
        "kind": kind,
        "original_url": original_url,
        "back_url": back_url,
        "m": messages,
    }
    try:
        if kind == safeview.PAGES:
            pages = safeview.pages(kept)
            context["pages"] = pages
            context["page_images"] = [
                (page_url(n), messages.SAFE_VIEW_PAGE % {"number": n, "count": pages.count})
                for n in range(1, pages.shown + 1)
            ]
            if pages.cut:
                context["cut"] = messages.SAFE_VIEW_PAGES_CUT % {
                    "shown": pages.shown,
                    "count": pages.count,
                }
        elif kind == safeview.TEXT:
            context["text"] = safeview.text(kept)
    except safeview.CannotDraw:
        context["problem"] = messages.SAFE_VIEW_CANNOT_DRAW
    return render(request, "diary/safe_view.html", context)


def safe_page_response(kept: KeptFile, number: int) -> HttpResponse:
    """One page of a kept PDF drawn as a PNG, inline; 404 for a page not drawn here."""
    if safeview.kind_of(kept) != safeview.PAGES:
        raise Http404
    try:
        image = safeview.page_png(kept, number)
    except safeview.CannotDraw:
        raise Http404 from None
    response = HttpResponse(image, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="page-{number}.png"'
    response["Content-Security-Policy"] = SAFE_PAGE_POLICY
    response["Cache-Control"] = "private, no-store"
    return response
