"""What a request to make or download a bundle does, the same for the page and the API: a
bundle is asked of a worker (a job, joined if one is already under way), and logged when it is
complete; every download is logged (a signed head's too).

Both ask the owner to confirm it is them first; each does that its own way (the page sends
them to confirm and back, the API answers 403 with where to go), before calling these.
"""

import json
from typing import Unpack

from django.http import FileResponse, HttpRequest, HttpResponse

from diary.bundle.jobs import bundle_params
from diary.bundle.services import BundleFilters
from diary.jobs.services import Asked, job_request
from diary.ledger.heads import head_file_name, head_for_owner
from diary.models import Diary, Export, Job, User
from diary.safety.services import export_recorded, head_recorded
from diary.safety.sessions import SESSION_ID
from diary.web.client import browser_of, client_ip
from diary.web.downloads import stored_file_response


def bundle_request(
    *, request: HttpRequest, diary: Diary, actor: User, **filters: Unpack[BundleFilters]
) -> Asked:
    """Ask a worker for a bundle, or join the one it is making already. The request returns at
    once; the job's page (and every open page, live) says when it is ready."""
    return job_request(
        kind=Job.Kind.BUNDLE,
        diary=diary,
        actor=actor,
        params=bundle_params(**filters),
        session_id=request.session.get(SESSION_ID),
        address=client_ip(request),
        browser=browser_of(request),
    )


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
