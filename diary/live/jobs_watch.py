"""Jobs' progress for the owner's sockets when the worker cannot reach them itself.

With Redis (production, the stack) a worker's events cross to every web process. With the
in-memory channel layer (`make run`: one web process, and the worker a process beside it) they
cannot, so while any owner's socket is open this web process reads, twice a second, which
jobs have changed, and sends those events itself. One indexed query however many sockets.
"""

import asyncio
from datetime import datetime, timedelta
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from diary.live.events import JOB_STATUS, diary_group
from diary.models import Job

WATCH_EVERY = 0.5  # seconds
# A progress write takes its time before it commits: look back this far, and send only what is
# new since last seen, so a write that committed late is not missed.
OVERLAP = timedelta(seconds=5)

_sockets = 0
_task: asyncio.Task[None] | None = None


def socket_opened() -> None:
    global _sockets, _task
    _sockets += 1
    if _task is None or _task.done():
        _task = asyncio.ensure_future(_watch())


def socket_closed() -> None:
    global _sockets, _task
    _sockets = max(0, _sockets - 1)
    if _sockets == 0 and _task is not None:
        _task.cancel()
        _task = None


def _changes(since: datetime, seen: dict[str, datetime]) -> list[tuple[int, str]]:
    rows = Job.objects.filter(updated_at__gt=since - OVERLAP, diary__isnull=False).values_list(
        "pk", "diary_id", "updated_at"
    )
    changed = []
    for pk, diary_id, updated_at in rows:
        key = str(pk)
        if seen.get(key) != updated_at:
            seen[key] = updated_at
            changed.append((diary_id, key))
    cutoff = since - OVERLAP
    for key in [key for key, at in seen.items() if at < cutoff]:
        del seen[key]
    return changed


async def _watch() -> None:
    layer = get_channel_layer()
    assert layer is not None  # started only by a socket, which has one
    seen: dict[str, Any] = {}
    since = timezone.now()
    while _sockets:
        await asyncio.sleep(WATCH_EVERY)
        now = timezone.now()
        for diary_id, job_id in await database_sync_to_async(_changes)(since, seen):
            event = {"type": "job.changed", "job": job_id, "render": JOB_STATUS}
            await layer.group_send(diary_group(diary_id), event)
        since = now
