"""The owner's live socket, /ws/diary/: entry and inbox events for their own diary only."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from diary.live import diary_group
from diary.selectors import diary_for

REFUSED = 4403


@database_sync_to_async
def _own_diary_id(user: Any) -> int | None:
    try:
        return diary_for(user).pk
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


class DiaryConsumer(GroupConsumer):
    async def connect(self) -> None:
        # The same gate as every page: the signed-in owner's own diary, or nothing.
        diary_id = await _own_diary_id(self.scope.get("user"))
        if diary_id is None:
            await self.close(code=REFUSED)
            return
        await self.join(diary_group(diary_id))

    async def entry_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"event": "entry", **_public(event)})

    async def inbox_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"event": "inbox", **_public(event)})


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key != "type"}
