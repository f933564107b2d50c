"""What a request to make or download a bundle does, the same for the page and the API: the
bundle and its line in the owner's access log together, and every download logged.

Both ask the owner to confirm it is them first; each does that its own way (the page sends
them to confirm and back, the API answers 403 with where to go), before calling these.
"""

from typing import Unpack

from django.db import transaction
from django.http import FileResponse, HttpRequest

from diary.bundle.services import BundleFilters, export_create
from diary.ledger.anchoring import anchor
from diary.models import Diary, Export, User
from diary.safety.services import export_recorded
from diary.web.downloads import stored_file_response


def bundle_make(
    *, request: HttpRequest, diary: Diary, actor: User, **filters: Unpack[BundleFilters]
) -> Export:
    """Make a bundle and note it in the access log, both or neither. Its head is timestamped
    first, outside the transaction, so no authority's answer is waited for holding a lock."""
    anchor(diary)
    with transaction.atomic():
        export = export_create(diary=diary, actor=actor, **filters)
        export_recorded(request=request, export=export)
    return export


def bundle_download(*, request: HttpRequest, export: Export) -> FileResponse:
    """The bundle's zip, streamed as it is decrypted; the download is in the access log."""
    export_recorded(request=request, export=export, downloaded=True)
    return stored_file_response(
        export.bundle_file,
        filename=export.download_name,
        content_type="application/zip",
        size=export.size,
    )
