"""Stored files sent to the browser, decrypted as they stream (diary.core.filestore)."""

from django.http import FileResponse, Http404

from diary.core.filestore import Ref
from diary.models import KeptFile
from diary.safety.services import original_downloaded


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
