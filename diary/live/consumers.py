"""The owner's live socket, /ws/diary/: entry and inbox events for their own diary only."""

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from diary.gate import diary_for
from diary.live import jobs_watch
from diary.live.events import crosses_processes, diary_group, render_for, rendered
from diary.safety.selectors import access_notice_get
from diary.safety.sessions import (
    SEEN,
    SESSION_ID,
    STARTED,
    absolute_limit,
    idle_limit,
    owner_session_group,
)

REFUSED = 4403


@database_sync_to_async
def _own_diary_id(user: Any) -> int | None:
    try:
        return diary_for(user).pk
    except Http404:
        return None


@database_sync_to_async
def _rendered(event: dict[str, Any], user: Any) -> dict[str, Any] | None:
    try:
        return rendered(event, user)
    except Http404:
        return None


class GroupConsumer(AsyncJsonWebsocketConsumer):
    """A socket that, once let in, hears one group's events and nothing else."""

    group: str | None = None

    async def join(self, group: str) -> None:
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Pages send nothing that matters; anything they send is ignored."""


def _session_limits(session: Any) -> tuple[int | None, float]:
    """Which owner session this socket belongs to, and when that session's idle or absolute
    limit runs out if the owner makes no further request (as measured when the page opened)."""
    if session is None or SESSION_ID not in session:
        return None, 0.0
    deadline = min(
        session[SEEN] + idle_limit().total_seconds(),
        session[STARTED] + absolute_limit().total_seconds(),
    )
    return session[SESSION_ID], deadline


class DiaryConsumer(GroupConsumer):
    session_group: str | None = None
    deadline: float = 0.0
    watching = False

    async def connect(self) -> None:
        # The same gate as every page: the signed-in owner's own diary, or nothing.
        diary_id = await _own_diary_id(self.scope.get("user"))
        if diary_id is None:
            await self.close(code=REFUSED)
            return
        session_id, self.deadline = await database_sync_to_async(_session_limits)(
            self.scope.get("session")
        )
        if session_id is not None:
            # Ending this session ("sign it out", "everywhere else") closes this socket.
            self.session_group = owner_session_group(session_id)
            await self.channel_layer.group_add(self.session_group, self.channel_name)
        await self.join(diary_group(diary_id))
        if not crosses_processes():
            self.watching = True
            jobs_watch.socket_opened()

    async def disconnect(self, code: int) -> None:
        if self.watching:
            self.watching = False
            jobs_watch.socket_closed()
        if self.session_group:
            await self.channel_layer.group_discard(self.session_group, self.channel_name)
        await super().disconnect(code)

    async def _still_signed_in(self) -> bool:
        """A page left open past its session's limit hears nothing more: the socket closes,
        and the page's reload meets the sign-in page."""
        if self.session_group and time.time() > self.deadline:
            await self.close(code=REFUSED)
            return False
        return True

    async def _send(self, name: str, event: dict[str, Any]) -> None:
        """What the event names, read through the gate as this socket's owner, rendered."""
        if not await self._still_signed_in():
            return
        filled = await _rendered(event, self.scope.get("user"))
        if filled is not None:
            await self.send_json({"event": name, **_public(filled)})

    async def entry_changed(self, event: dict[str, Any]) -> None:
        await self._send("entry", event)

    async def inbox_changed(self, event: dict[str, Any]) -> None:
        await self._send("inbox", event)

    async def job_changed(self, event: dict[str, Any]) -> None:
        await self._send("job", event)

    async def access_notice(self, event: dict[str, Any]) -> None:
        """A reset or a new address: the event names the access log line only; its words are
        read and rendered here, for this owner, and never cross the channel layer."""
        if await self._still_signed_in():
            html = await _notice_html(self.scope.get("user"), event.get("access_event"))
            if html:
                await self.send_json(
                    {"event": "notice", "access_event": event["access_event"], "html": html}
                )

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=REFUSED)


@database_sync_to_async
def _notice_html(user: Any, event_id: Any) -> str:
    try:
        diary = diary_for(user)
        notice = access_notice_get(actor=user, event_id=int(event_id))
    except (Http404, TypeError, ValueError):
        return ""
    return render_for(diary, "diary/_access_notice.html", {"notice": notice, "next_url": ""})


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key != "type"}
