"""Stored files sent to the browser, decrypted as they stream (diary.core.filestore)."""

from django.http import FileResponse

from diary.core.filestore import Ref


def stored_file_response(
    stored: Ref, *, content_type: str, filename: str = "", size: int | None = None
) -> FileResponse:
    """A file's plaintext: as a download when it has a `filename`, else inline. The length is
    sent when the caller knows the plaintext's size (the stored file is longer)."""
    response = FileResponse(
        stored.open(),
        as_attachment=bool(filename),
        filename=filename,
        content_type=content_type,
    )
    if size is not None:
        response["Content-Length"] = str(size)
    return response
