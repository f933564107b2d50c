"""He reads what passes through the server's Redis (a shared instance he can MONITOR, or a copy
of its memory): the live updates between workers name ids and kinds, never what she wrote, what
a contact sent or a contact's name. Each socket reads what it shows through the gate for its own
owner, or through its own contact's device. Runs against the Redis in REDIS_URL."""

import os
import threading
from typing import Any

import pytest
import pytest_asyncio
import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connections
from django.utils import timezone

from tests.factories import OwnerFactory, make_entry
from tests.test_live import cookie_for, socket
from witnesses.selectors import witness_actor
from witnesses.services.links import device_open, witness_invite
from witnesses.services.sharing import entry_share
from witnesses.services.submissions import submission_accept, submission_create

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="set REDIS_URL to a Redis server to run this"
    ),
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]

HER_TEXT = "SECRET a grey Astra outside number 14 again"
CONTACT_TEXT = "CONTACT SECRET he asked me where she works now"
CONTACT_NAME = "Philippa Quarrington"
STOP = "sightline-test-monitor-stop"


@pytest_asyncio.fixture(autouse=True)
async def _close_connections_after() -> Any:
    yield
    await database_sync_to_async(connections.close_all)()


class Monitor:
    """Every command any client sends to Redis while it runs, as Redis's MONITOR shows it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.commands: list[str] = []
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)

    def _listen(self) -> None:
        with redis.Redis.from_url(self.url).monitor() as monitor:
            self.ready.set()
            for command in monitor.listen():
                text = command["command"]
                if STOP in text:
                    return
                self.commands.append(text)

    def __enter__(self) -> "Monitor":
        self.thread.start()
        assert self.ready.wait(5)
        return self

    def __exit__(self, *exc: Any) -> None:
        redis.Redis.from_url(self.url).echo(STOP)
        self.thread.join(5)


@database_sync_to_async
def owner_and_contact() -> tuple[Any, Any, str]:
    owner = OwnerFactory()
    witness, token = witness_invite(
        diary=owner.diary,
        actor=owner,
        name=CONTACT_NAME,
        relationship="neighbour",
        sharing="marked",
    )
    _device, key = device_open(token=token, user_agent="test")
    return owner, witness, key


@database_sync_to_async
def contact_sends(key: str) -> Any:
    return submission_create(
        device=witness_actor(key),
        content={"kind": "saw", "occurred_start": timezone.now(), "what_happened": CONTACT_TEXT},
    )


async def test_no_text_or_name_goes_over_the_channel_layer():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    owner, _witness, key = await owner_and_contact()
    owner_socket = socket("/ws/diary/", await cookie_for(owner))
    contact_socket = socket("/ws/witness/", f"{settings.WITNESS_COOKIE_NAME}={key}".encode())

    with Monitor(settings.REDIS_URL) as seen:
        assert (await owner_socket.connect())[0]
        assert (await contact_socket.connect())[0]

        entry = await database_sync_to_async(make_entry)(owner, what_happened=HER_TEXT)
        event = await owner_socket.receive_json_from(timeout=5)
        assert (event["event"], event["entry"]) == ("entry", entry.pk)
        assert HER_TEXT in event["html"]  # read and rendered by the socket itself

        submission = await contact_sends(key)
        event = await owner_socket.receive_json_from(timeout=5)
        assert (event["event"], event["submission"], event["count"]) == ("inbox", submission.pk, 1)
        assert CONTACT_TEXT in event["html"] and CONTACT_NAME in event["html"]

        await database_sync_to_async(entry_share)(entry=entry, actor=owner)
        event = await contact_socket.receive_json_from(timeout=5)
        assert event["event"] == "shared" and HER_TEXT in event["html"]

        await database_sync_to_async(submission_accept)(submission=submission, actor=owner)
        assert (await contact_socket.receive_json_from(timeout=5))["status"] == "added"
        # The accepted report became an entry of her timeline, and her pages heard of both.
        heard = [await owner_socket.receive_json_from(timeout=5) for _ in range(2)]
        assert {one["event"] for one in heard} == {"entry", "inbox"}

        await owner_socket.disconnect()
        await contact_socket.disconnect()

    wire = "\n".join(seen.commands)
    # The events did go through Redis (the layer's group sends), and carried none of it.
    assert settings.REDIS_PREFIX in wire and "entry.changed" in wire
    for secret in (HER_TEXT, CONTACT_TEXT, CONTACT_NAME, "Astra", "Quarrington"):
        assert secret not in wire, secret
