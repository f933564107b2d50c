"""Live updates about witnesses, sent once a write commits.

The owner's pages hear of new and decided submissions on their diary's group. A witness's
socket joins a group of its own and hears only the status of what that witness sent, entries
newly shared with them, and that their link has ended (the socket then closes). As in
diary.live.events, an event names ids and kinds, never text: each socket reads what it shows
through the gate (the owner's) or through its own device (a contact's).
"""

from typing import Any

from diary.live.events import Events, after_commit, diary_group, render_for
from witnesses.models import Decision, Sharing, Submission, Witness

STATUS_LABELS = {
    Decision.Outcome.ACCEPTED: "added",
    Decision.Outcome.KEPT_ASIDE: "kept_aside",
}


def witness_group(witness_id: int) -> str:
    return f"witness.{witness_id}"


def _pending(diary_id: int) -> int:
    return Submission.objects.filter(diary_id=diary_id, decision__isnull=True).count()


INBOX_CARD = "witnesses.inbox_card"


def submission_received(submission: Submission, change: str = "received") -> None:
    """A new submission, or a note added to one: the owner's inbox shows its card afresh. The
    owner's socket renders the card and the count when it hears of it (inbox_card)."""
    event = {
        "type": "inbox.changed",
        "change": change,
        "submission": submission.pk,
        "render": INBOX_CARD,
    }
    after_commit(lambda: [(diary_group(submission.diary_id), event)])


def inbox_card(event: dict[str, Any], actor: Any) -> dict[str, Any]:
    """The card and the count, read through the gate as the socket's owner."""
    from witnesses.selectors import inbox_pending_count, submission_get  # they import links

    fresh = submission_get(actor=actor, submission_id=event["submission"])
    return {
        "count": inbox_pending_count(actor=actor),
        "html": render_for(fresh.diary, "witnesses/_inbox_card.html", {"submission": fresh}),
    }


def submission_decided(submission: Submission, outcome: Decision.Outcome) -> None:
    diary_id, witness_id = submission.diary_id, submission.witness_id
    reference, submission_id = submission.reference, submission.pk
    device_id = submission.device_id

    def build() -> Events:
        to_owner = {
            "type": "inbox.changed",
            "change": outcome,
            "submission": submission_id,
            "count": _pending(diary_id),
            "html": "",
        }
        to_witness = {
            "type": "submission.status",
            # Only the device it was sent from hears of it (a forwarded link hears nothing).
            "device": device_id,
            "reference": reference,
            "status": STATUS_LABELS[outcome],
            "label": str(Decision.Outcome(outcome).label),
        }
        return [(diary_group(diary_id), to_owner), (witness_group(witness_id), to_witness)]

    after_commit(build)


def device_left(witness_id: int, device_id: int) -> None:
    """Close that device's open sockets, now: it left the site."""
    event = {"type": "device.left", "device": device_id}
    after_commit(lambda: [(witness_group(witness_id), event)])


def links_ended(witness: Witness, link_ids: list[int]) -> None:
    """Close every open socket on these links, now."""
    event = {"type": "link.ended", "links": link_ids}
    after_commit(lambda: [(witness_group(witness.pk), event)])


def sharing_changed(witness: Witness) -> None:
    after_commit(lambda: [(witness_group(witness.pk), {"type": "sharing.changed"})])


def entry_shared(entry: Any) -> None:
    """Tell witnesses who see marked entries about one newly marked (by its id: each socket
    reads the entry through its own contact's timeline, shared_card)."""
    diary_id, entry_id = entry.diary_id, entry.pk

    def build() -> Events:
        event = {"type": "timeline.shared", "entry": entry_id}
        watchers = Witness.objects.filter(diary_id=diary_id, sharing=Sharing.MARKED)
        return [(witness_group(pk), event) for pk in watchers.values_list("pk", flat=True)]

    after_commit(build)


def entry_unshared(entry: Any) -> None:
    """Witnesses who see marked entries refresh what is shared with them."""
    diary_id = entry.diary_id

    def build() -> Events:
        watchers = Witness.objects.filter(diary_id=diary_id, sharing=Sharing.MARKED)
        event = {"type": "sharing.changed"}
        return [(witness_group(pk), event) for pk in watchers.values_list("pk", flat=True)]

    after_commit(build)
