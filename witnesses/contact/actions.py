"""What one contact's send does, the same for their page and the API: a retry of a send that
already arrived gets its first answer (and does not use up the hour's allowance); a new send
counts against its link's allowance, and is kept with its key in one transaction. A follow-up
counts against its device's and its link's allowance.

Views and API classes validate the request, call this, and render what it answered.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from diary.web.idempotency import Answered, Idempotency, answered_before, once
from witnesses.models import FollowUp, Submission, WitnessDevice
from witnesses.services import submissions
from witnesses.services.limits import follow_up_count, submission_rate_ok


class TooManySends(Exception):
    """This link has made all the sends it may make this hour; nothing was kept."""


def submission_send(
    *,
    device: WitnessDevice,
    content: Mapping[str, Any],
    uploads: Sequence[UploadedFile] = (),
    idempotency: Idempotency | None = None,
    answer: Callable[[Submission], tuple[int, Any]],
) -> Answered:
    """Keep what a contact sent. Raises TooManySends, ValidationError (bad input),
    submissions.LinkInactive (the link ended meanwhile) or KeyReused (the key was used for
    another send); each stores nothing."""
    earlier = answered_before(idempotency)
    if earlier is not None:
        return earlier
    if not submission_rate_ok(device.link):
        raise TooManySends

    if idempotency is None:
        # No key to keep the answer with: the answer is made once the send has committed,
        # out of the diary's lock that every other send to the diary is queued for.
        kept = submissions.submission_create(device=device, content=content, uploads=uploads)
        return Answered(*answer(kept))

    def send() -> tuple[int, Any]:
        # `once` has locked the diary (its key is looked up under that lock): not again.
        kept = submissions.submission_create(
            device=device, content=content, uploads=uploads, diary_locked=True
        )
        return answer(kept)

    return once(idempotency, diary=device.link.witness.diary, send=send)


def follow_up_send(*, device: WitnessDevice, submission: Submission, text: str) -> FollowUp:
    """Add a contact's note to what they sent, counted against the device's and the link's
    hourly allowance. Raises limits.TooMany (and writes nothing) once either is used up, and
    whatever follow_up_add raises."""
    follow_up_count(device=device)
    return submissions.follow_up_add(device=device, submission=submission, text=text)
