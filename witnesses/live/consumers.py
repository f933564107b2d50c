"""A witness's live socket, /ws/witness/: the status of what they sent, entries newly shared
with them, and the end of their link (the socket closes at once)."""

from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from diary.live.consumers import REFUSED, GroupConsumer
from diary.live.events import render_for
from witnesses.live.events import witness_group
from witnesses.selectors import witness_actor, witness_timeline


@database_sync_to_async
def _session(key: str | None) -> tuple[int, int, int] | None:
    device = witness_actor(key)
    if device is None:
        return None
    return device.link.witness_id, device.link_id, device.pk


@database_sync_to_async
def _shared_card(key: str | None, entry_id: int) -> str | None:
    """An entry newly shared, as this contact's page shows it, read through their own device
    and timeline; None if the link has ended or the timeline does not hold it."""
    device = witness_actor(key)
    if device is None:
        return None
    fresh = witness_timeline(device=device).filter(pk=entry_id).first()
    if fresh is None:
        return None
    return render_for(device.link.witness.diary, "witnesses/_shared_card.html", {"entry": fresh})


class WitnessConsumer(GroupConsumer):
    link_id: int | None = None
    key: str | None = None
    device_id: int | None = None

    async def connect(self) -> None:
        cookies = self.scope.get("cookies") or {}
        found = await _session(cookies.get(settings.WITNESS_COOKIE_NAME))
        if found is None:
            await self.close(code=REFUSED)
            return
        self.key = cookies.get(settings.WITNESS_COOKIE_NAME)
        witness_id, self.link_id, self.device_id = found
        await self.join(witness_group(witness_id))

    async def submission_status(self, event: dict[str, Any]) -> None:
        if event.get("device") != self.device_id:
            return  # sent from another device: this one is not told of it
        await self.send_json(
            {
                "event": "status",
                "reference": event["reference"],
                "status": event["status"],
                "label": event["label"],
            }
        )

    async def timeline_shared(self, event: dict[str, Any]) -> None:
        html = await _shared_card(self.key, event["entry"])
        if html is not None:
            await self.send_json({"event": "shared", "html": html})

    async def sharing_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"event": "sharing"})

    async def device_left(self, event: dict[str, Any]) -> None:
        if event["device"] == self.device_id:
            await self.close(code=REFUSED)

    async def link_ended(self, event: dict[str, Any]) -> None:
        if self.link_id in event["links"]:
            await self.close(code=REFUSED)
