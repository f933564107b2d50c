"""Stored files sent to the browser, decrypted as they stream (diary.core.filestore)."""

from collections.abc import Callable

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from diary import messages
from diary.core.filestore import Ref
from diary.evidence import safeview
from diary.models import KeptFile
from diary.safety.services import original_downloaded

# A drawn page is only an image: it may load nothing, run nothing, and be framed by nothing.
SAFE_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


def stored_file_response(
    stored: Ref, *, content_type: str, filename: str = "", size: int | None = None
) -> FileResponse:
    """A file's plaintext: as a download when it has a `filename`, else inline. The length is
    sent when the caller knows the plaintext's size (the stored file is longer). No browser or
    proxy may keep a copy: phones are shared and borrowed."""
    response = FileResponse(
        stored.open(),
        as_attachment=bool(filename),
        filename=filename,
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
