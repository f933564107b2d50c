"""What a request to make or download a bundle does, the same for the page and the API: the
bundle and its line in the owner's access log together, and every download logged (a signed
head's too).

Both ask the owner to confirm it is them first; each does that its own way (the page sends
them to confirm and back, the API answers 403 with where to go), before calling these.
"""

import json
from typing import Unpack

from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse

from diary.bundle.services import BundleFilters, export_create
from diary.ledger.anchoring import anchor
from diary.ledger.heads import head_file_name, head_for_owner
from diary.models import Diary, Export, User
from diary.safety.services import export_recorded, head_recorded
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


def head_download(*, request: HttpRequest) -> HttpResponse:
    """The diary's head, signed now, as a small file to send to someone she trusts; the
    download is in the access log."""
    head = head_for_owner(actor=request.user)
    head_recorded(request=request, seq=head["seq"])
    response = HttpResponse(
        json.dumps(head, indent=2, sort_keys=True) + "\n", content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{head_file_name(head)}"'
    return response
