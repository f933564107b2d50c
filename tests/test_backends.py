"""What only the at-scale backends can show: PostgreSQL's row lock and the Redis channel layer.
Each test skips, saying why, where its server is not configured."""

import asyncio
import os
import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import close_old_connections, connection, connections

from diary.ledger.verify import ledger_verify
from diary.models import Entry, LedgerRecord
from tests.factories import make_entry

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="set DATABASE_URL to a PostgreSQL database to run this",
)
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="set REDIS_URL to a Redis server to run this"
)


@needs_redis
def test_the_redis_channel_layer_carries_a_message(settings):
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    layer = get_channel_layer()
    group = f"test-{uuid.uuid4().hex}"

    async def round_trip():
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "entry.recorded", "entry": 1})
        message = await layer.receive(channel)
        await layer.group_discard(group, channel)
        return message

    assert async_to_sync(round_trip)() == {"type": "entry.recorded", "entry": 1}


@needs_redis
def test_the_cache_is_redis(settings):
    from django.core.cache import cache

    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    key = f"test-{uuid.uuid4().hex}"
    cache.set(key, "here", 5)
    assert cache.get(key) == "here"


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(owner):
    assert connection.vendor == "postgresql"
    writers, per_writer = 8, 5
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write() -> None:
        try:
            start.wait()
            for _ in range(per_writer):
                make_entry(owner)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Entry.objects.filter(diary=owner.diary).count() == writers * per_writer
    numbers = sorted(Entry.objects.filter(diary=owner.diary).values_list("number", flat=True))
    assert numbers == list(range(1, writers * per_writer + 1))
    seqs = list(
        LedgerRecord.objects.filter(diary=owner.diary).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, writers * per_writer + 2))
    assert ledger_verify().ok


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_request_threads_share_a_pool_instead_of_keeping_a_connection_each(settings):
    # Under ASGI every request runs in a thread of its own; a connection kept per thread
    # (CONN_MAX_AGE) was never reused, and they piled up until PostgreSQL refused clients.
    requests = 20
    pool_size = settings.DATABASES["default"].get("OPTIONS", {}).get("pool", {}).get("max_size", 10)
    served = threading.Barrier(requests + 1)
    finish = threading.Event()

    def request() -> None:
        close_old_connections()  # what Django does as each request starts and finishes
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        close_old_connections()
        served.wait()
        finish.wait()  # the thread lives on, as a server's worker thread does

    threads = [threading.Thread(target=request) for _ in range(requests)]
    for thread in threads:
        thread.start()
    served.wait()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        (open_connections,) = cursor.fetchone()
    finish.set()
    for thread in threads:
        thread.join()
    assert open_connections <= pool_size


@needs_redis
def test_a_socket_waiting_for_events_outlasts_the_layers_blocking_pop():
    """An owner's open page waits in a blocking pop; its Redis connection must not give up
    first, or the socket closes with an error every few seconds of quiet."""
    layer = get_channel_layer()
    connection = layer.create_pool(0).make_connection()  # made, not connected
    timeout = connection.socket_timeout
    assert timeout is None or timeout > layer.brpop_timeout * 2


@needs_redis
def test_a_busy_worker_gets_every_event_however_many_are_waiting():
    """All the sockets of one worker share one Redis list: a burst of events for many of them
    while the worker is busy waits there, rather than being dropped past a small capacity."""
    layer = get_channel_layer()
    run = uuid.uuid4().hex
    sockets = 250  # each with a group of its own, as each owner's page has its diary's

    async def burst_then_read():
        channels = [await layer.new_channel() for _ in range(sockets)]
        for number, channel in enumerate(channels):
            await layer.group_add(f"test-{run}-{number}", channel)
        for number in range(sockets):
            await layer.group_send(f"test-{run}-{number}", {"type": "inbox.changed", "n": number})
        try:
            messages = await asyncio.wait_for(
                asyncio.gather(*(layer.receive(channel) for channel in channels)), 10
            )
        except TimeoutError:
            messages = []  # some never came: dropped
        received = [message["n"] for message in messages]
        for number, channel in enumerate(channels):
            await layer.group_discard(f"test-{run}-{number}", channel)
        return received

    assert async_to_sync(burst_then_read)() == list(range(sockets))
