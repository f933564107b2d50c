"""Live updates: what the owner's open pages hear about, published only once a write commits.

Services call these; each registers an on-commit hook, so nobody hears of a write that rolled
back. Events go to one group per diary, which only that owner's sockets join.

An event leaves the process (through Redis, with several workers), so it names ids and kinds
and never carries text: the socket that hears it reads what it shows through the gate, as its
own signed-in owner, and renders it there.
"""

from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from diary.models import Diary, Entry, Job


def diary_group(diary_id: int) -> str:
    return f"diary.{diary_id}"


def send_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


Events = Iterable[tuple[str, dict[str, Any]]]


def after_commit(build: Callable[[], Events]) -> None:
    """Build events (group, event) once the current transaction commits, and send them.
    Building late means they carry what was committed, rendered fresh."""

    def send() -> None:
        for group, event in build():
            send_now(group, event)

    transaction.on_commit(send)


# What a socket renders itself, by name: an event names one of these (its "render" key), and
# the socket that receives it reads and renders the rest, for its own owner, before sending.
# Rendering where the event is heard, not where the write happened, keeps text off the channel
# layer, costs nothing when no owner page is open, and keeps that work out of the request that
# holds the diary's lock queue moving (a witness's submission; docs/performance.md). Other apps
# register theirs (diary never imports them).
Renderer = Callable[[dict[str, Any], Any], dict[str, Any]]
RENDERERS: dict[str, Renderer] = {}


def register_renderer(name: str, render: Renderer) -> None:
    RENDERERS[name] = render


def rendered(event: dict[str, Any], actor: Any) -> dict[str, Any]:
    """The event with what its renderer reads for `actor` (the socket's signed-in owner),
    without the renderer's name. A renderer raises Http404 when the actor may not see it."""
    name = event.get("render")
    if not name:
        return event
    return {
        **{key: value for key, value in event.items() if key != "render"},
        **RENDERERS[name](event, actor),
    }


def render_for(diary: Diary, template: str, context: dict[str, Any]) -> str:
    """Render a fragment as the owner's own page would: in their time zone."""
    with timezone.override(diary.time_zone):
        return render_to_string(template, context)


ENTRY_CARD = "diary.entry_card"


def entry_changed(entry: Entry, change: str) -> None:
    """An entry was recorded, amended, given a file, or withdrawn."""
    event = {"type": "entry.changed", "entry": entry.pk, "change": change, "render": ENTRY_CARD}
    after_commit(lambda: [(diary_group(entry.diary_id), event)])


def entry_card(event: dict[str, Any], actor: Any) -> dict[str, Any]:
    if event["change"] == "withdrawn":
        return {"html": ""}
    from diary.records.selectors import timeline_entry

    fresh = timeline_entry(actor=actor, entry_id=event["entry"])
    return {"html": render_for(fresh.diary, "diary/_entry_card.html", {"entry": fresh})}


register_renderer(ENTRY_CARD, entry_card)


JOB_STATUS = "diary.job_status"


def crosses_processes() -> bool:
    """Whether events sent here reach sockets held by other processes (Redis), or only this
    process's own (the in-memory layer of `make run`, where the worker is another process and
    the web process reads jobs' changes from the database instead: diary.live.jobs_watch)."""
    from channels.layers import InMemoryChannelLayer

    return not isinstance(get_channel_layer(), InMemoryChannelLayer)


def job_changed(job: Job) -> None:
    """A job moved on (a stage, a step, its end): the owner's open pages show it. Sent only
    when the channel layer carries it to the web processes' sockets; otherwise they read it
    from the database themselves (diary.live.jobs_watch)."""
    if job.diary_id is None or not crosses_processes():
        return
    event = {"type": "job.changed", "job": str(job.pk), "render": JOB_STATUS}
    after_commit(lambda: [(diary_group(job.diary_id), event)])  # type: ignore[arg-type]


def job_status(event: dict[str, Any], actor: Any) -> dict[str, Any]:
    from diary.jobs.selectors import job_get

    job = job_get(actor=actor, job_id=event["job"])
    assert job.diary is not None  # an owner's job, found through her diary
    html = render_for(job.diary, "diary/_job.html", {"job": job})
    notice = ""
    if not job.active:
        notice = render_for(job.diary, "diary/_job_notice.html", {"job": job})
    return {"state": job.state, "html": html, "notice": notice}


register_renderer(JOB_STATUS, job_status)
