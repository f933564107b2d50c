"""Live sockets: who may connect, what they hear, and that nothing crosses between diaries."""

import time
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connections
from django.utils import timezone

from diary.models import User
from diary.records.services import entry_amend, entry_withdraw
from diary.safety.session_store import SessionStore
from project.asgi import application
from tests.factories import OwnerFactory, make_entry
from witnesses.models import Submission, WitnessLink
from witnesses.services.links import device_open, link_reissue, link_revoke, witness_invite
from witnesses.services.sharing import entry_share
from witnesses.services.submissions import (
    follow_up_add,
    submission_accept,
    submission_create,
    submission_keep_aside,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest_asyncio.fixture(autouse=True)
async def _close_connections_after() -> Any:
    yield
    # The consumers' database thread keeps its connection; close it so the test database can
    # be dropped at the end of the run.
    await database_sync_to_async(connections.close_all)()


ORIGIN = (b"origin", b"http://testserver")
HOST = (b"host", b"testserver")  # a browser always sends it; the origin check needs it
REFUSED = 4403


def session_cookie(user: Any, *, confirmed: bool = False) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if confirmed:  # as allauth records "confirmed it is you" (see tests/conftest.py)
        session["account_authentication_methods"] = [
            {"method": "password", "at": time.time(), "reauthenticated": True}
        ]
        session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


def socket(path: str, cookie: bytes | None = None, origin: tuple = ORIGIN) -> WebsocketCommunicator:
    headers = [HOST, origin]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


@database_sync_to_async
def owner_with_witness(**options: Any) -> tuple[Any, Any, str]:
    owner = OwnerFactory()
    witness, token = witness_invite(
        diary=owner.diary, actor=owner, name="Pat", relationship="neighbour", **options
    )
    _device, key = device_open(token=token, user_agent="test")
    return owner, witness, f"{settings.WITNESS_COOKIE_NAME}={key}"


@database_sync_to_async
def cookie_for(user: Any) -> bytes:
    return session_cookie(user)


@database_sync_to_async
def send_submission(witness_cookie: str, text: str = "He was outside again.") -> Submission:
    from witnesses.selectors import witness_actor

    device = witness_actor(witness_cookie.split("=", 1)[1])
    return submission_create(
        device=device,
        content={"kind": "saw", "occurred_start": timezone.now(), "what_happened": text},
    )


async def refused(communicator: WebsocketCommunicator, expected: int = REFUSED) -> bool:
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return not connected and code == expected


# Refusals


async def test_anonymous_is_refused_on_both_sockets():
    assert await refused(socket("/ws/diary/"))
    assert await refused(socket("/ws/witness/"))


async def test_a_witness_is_refused_on_the_owners_socket():
    _, _, witness_cookie = await owner_with_witness()
    assert await refused(socket("/ws/diary/", witness_cookie.encode()))


async def test_an_owner_is_refused_on_the_witness_socket():
    owner, _, _ = await owner_with_witness()
    assert await refused(socket("/ws/witness/", await cookie_for(owner)))


async def test_a_revoked_or_expired_witness_is_refused():
    owner, witness, witness_cookie = await owner_with_witness()
    await database_sync_to_async(link_revoke)(witness=witness, actor=owner)
    assert await refused(socket("/ws/witness/", witness_cookie.encode()))
    owner, witness, witness_cookie = await owner_with_witness()
    await database_sync_to_async(
        lambda: WitnessLink.objects.filter(witness=witness).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    )()
    assert await refused(socket("/ws/witness/", witness_cookie.encode()))


async def test_a_wrong_origin_is_refused():
    owner, _, _ = await owner_with_witness()
    evil = (b"origin", b"http://evil.example")
    # The origin check (diary/web/origins.py) turns the handshake down before any consumer.
    assert await refused(socket("/ws/diary/", await cookie_for(owner), origin=evil), 1000)


async def test_a_user_without_a_diary_is_refused():
    user = await database_sync_to_async(User.objects.create_user)(
        email="nodiary@example.com", password="x" * 12
    )
    assert await refused(socket("/ws/diary/", await cookie_for(user)))


# Delivery


async def test_the_owner_hears_a_submission_the_moment_it_is_sent():
    owner, _, witness_cookie = await owner_with_witness()
    owner_socket = socket("/ws/diary/", await cookie_for(owner))
    connected, _ = await owner_socket.connect()
    assert connected
    submission = await send_submission(witness_cookie, "Grey car by the gate")
    event = await owner_socket.receive_json_from(timeout=2)
    assert event["event"] == "inbox"
    assert event["change"] == "received"
    assert event["count"] == 1
    assert event["submission"] == submission.pk
    assert "Grey car by the gate" in event["html"]
    assert "Pat (neighbour)" in event["html"]
    await owner_socket.disconnect()


async def test_the_owners_other_devices_hear_entries_recorded_amended_and_withdrawn():
    owner, _, _ = await owner_with_witness()
    owner_socket = socket("/ws/diary/", await cookie_for(owner))
    assert (await owner_socket.connect())[0]
    entry = await database_sync_to_async(make_entry)(owner, what_happened="Phone rang at 3am")
    event = await owner_socket.receive_json_from(timeout=2)
    assert (event["event"], event["change"], event["entry"]) == ("entry", "recorded", entry.pk)
    assert "Phone rang at 3am" in event["html"]
    await database_sync_to_async(entry_amend)(
        entry=entry,
        actor=owner,
        content={**entry.current.content_values(), "what_happened": "Rang twice at 3am"},
    )
    event = await owner_socket.receive_json_from(timeout=2)
    assert event["change"] == "amended" and "Rang twice" in event["html"]
    await database_sync_to_async(entry_withdraw)(entry=entry, actor=owner, reason="Duplicate")
    event = await owner_socket.receive_json_from(timeout=2)
    assert event["change"] == "withdrawn" and event["html"] == ""
    await owner_socket.disconnect()


async def test_a_decision_tells_the_witness_its_status_but_never_the_reason():
    owner, _, witness_cookie = await owner_with_witness()
    witness_socket = socket("/ws/witness/", witness_cookie.encode())
    assert (await witness_socket.connect())[0]
    submission = await send_submission(witness_cookie)
    await database_sync_to_async(submission_keep_aside)(
        submission=submission, actor=owner, reason="PRIVATE REASON"
    )
    event = await witness_socket.receive_json_from(timeout=2)
    assert event == {
        "event": "status",
        "reference": submission.reference,
        "status": "kept_aside",
        "label": "Kept aside",
    }
    assert await witness_socket.receive_nothing(timeout=0.2)
    await witness_socket.disconnect()


async def test_only_the_device_it_was_sent_from_hears_its_status():
    owner, witness, witness_cookie = await owner_with_witness()
    submission = await send_submission(witness_cookie)
    token = await database_sync_to_async(link_reissue)(witness=witness, actor=owner)
    _, other_key = await database_sync_to_async(device_open)(token=token, user_agent="his")
    other = socket("/ws/witness/", f"{settings.WITNESS_COOKIE_NAME}={other_key}".encode())
    assert (await other.connect())[0]
    await database_sync_to_async(submission_keep_aside)(
        submission=submission, actor=owner, reason="PRIVATE REASON"
    )
    # Another device on the contact's (new) link hears nothing of a send made elsewhere.
    assert await other.receive_nothing(timeout=0.3)
    await other.disconnect()


async def test_leaving_closes_that_devices_socket():
    _, _, witness_cookie = await owner_with_witness()
    witness_socket = socket("/ws/witness/", witness_cookie.encode())
    assert (await witness_socket.connect())[0]

    @database_sync_to_async
    def leave() -> None:
        from witnesses.selectors import witness_actor
        from witnesses.services.links import device_leave

        device_leave(device=witness_actor(witness_cookie.split("=", 1)[1]))

    await leave()
    assert await witness_socket.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": REFUSED,
    }
    await witness_socket.disconnect()


async def test_a_witness_hears_entries_newly_shared_with_them():
    owner, _witness, witness_cookie = await owner_with_witness(sharing="marked")
    witness_socket = socket("/ws/witness/", witness_cookie.encode())
    assert (await witness_socket.connect())[0]
    entry = await database_sync_to_async(make_entry)(owner, what_happened="Shared note")
    assert await witness_socket.receive_nothing(timeout=0.2)  # recorded, not shared: silence
    await database_sync_to_async(entry_share)(entry=entry, actor=owner)
    event = await witness_socket.receive_json_from(timeout=2)
    assert event["event"] == "shared"
    assert "Shared note" in event["html"]
    await witness_socket.disconnect()


async def test_no_event_crosses_to_another_diary():
    owner, _, witness_cookie = await owner_with_witness()
    stranger, _, stranger_witness_cookie = await owner_with_witness()
    theirs = socket("/ws/diary/", await cookie_for(stranger))
    their_witness = socket("/ws/witness/", stranger_witness_cookie.encode())
    assert (await theirs.connect())[0]
    assert (await their_witness.connect())[0]
    submission = await send_submission(witness_cookie)
    await database_sync_to_async(submission_accept)(submission=submission, actor=owner)
    await database_sync_to_async(make_entry)(owner)
    assert await theirs.receive_nothing(timeout=0.3)
    assert await their_witness.receive_nothing(timeout=0.1)
    await theirs.disconnect()
    await their_witness.disconnect()


async def test_revoking_closes_the_witness_socket_at_once():
    owner, witness, witness_cookie = await owner_with_witness()
    witness_socket = socket("/ws/witness/", witness_cookie.encode())
    assert (await witness_socket.connect())[0]
    await database_sync_to_async(link_revoke)(witness=witness, actor=owner)
    output = await witness_socket.receive_output(timeout=2)
    assert output == {"type": "websocket.close", "code": REFUSED}


async def test_a_write_that_rolls_back_is_never_announced():
    owner, _, _ = await owner_with_witness()
    owner_socket = socket("/ws/diary/", await cookie_for(owner))
    assert (await owner_socket.connect())[0]

    def fail_after_write() -> None:
        from django.db import transaction

        with pytest.raises(RuntimeError), transaction.atomic():
            make_entry(owner)
            raise RuntimeError("rolled back")

    await database_sync_to_async(fail_after_write)()
    assert await owner_socket.receive_nothing(timeout=0.3)
    await owner_socket.disconnect()


async def test_a_note_added_later_reaches_the_owners_inbox():
    owner, _, witness_cookie = await owner_with_witness()
    submission = await send_submission(witness_cookie)
    await database_sync_to_async(submission_accept)(submission=submission, actor=owner)
    owner_socket = socket("/ws/diary/", await cookie_for(owner))
    assert (await owner_socket.connect())[0]

    @database_sync_to_async
    def add_note() -> None:
        from witnesses.selectors import witness_actor

        device = witness_actor(witness_cookie.split("=", 1)[1])
        follow_up_add(device=device, submission=submission, text="It was 6pm, not 5pm")

    await add_note()
    event = await owner_socket.receive_json_from(timeout=2)
    assert (event["event"], event["change"]) == ("inbox", "follow_up")
    assert "1 note added" in event["html"]
    await owner_socket.disconnect()


# Background work: with the in-memory layer the worker (another process) cannot reach the
# sockets, so the web process reads what changed (diary.live.jobs_watch); no one else hears.


@database_sync_to_async
def worker_moves(job_id: Any, **changes: Any) -> None:
    """What a worker process does as it goes: writes the job, and tells the sockets (which,
    with the in-memory layer, hear nothing from it: the web process reads the change)."""
    from diary.live.events import job_changed
    from diary.models import Job

    Job.objects.filter(pk=job_id).update(updated_at=timezone.now(), **changes)
    job_changed(Job.objects.get(pk=job_id))


async def test_every_open_page_hears_a_bundle_job_move_and_end(settings):
    from diary.bundle.services import export_create
    from diary.jobs.services import job_request
    from diary.models import Export, Job

    # A backend that keeps the task and runs nothing: the "worker" here is worker_moves.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    owner, _, _ = await owner_with_witness()
    other = await database_sync_to_async(OwnerFactory)()
    owner_socket = socket("/ws/diary/", await cookie_for(owner))
    other_socket = socket("/ws/diary/", await cookie_for(other))
    assert (await owner_socket.connect())[0] and (await other_socket.connect())[0]
    job = (
        await database_sync_to_async(job_request)(
            kind=Job.Kind.BUNDLE, diary=owner.diary, actor=owner
        )
    ).job
    await worker_moves(job.pk, state=Job.State.RUNNING, stage="entries", done=5, total=20)
    event = await owner_socket.receive_json_from(timeout=3)
    while event.get("state") != "running":  # the job's creation may come first
        event = await owner_socket.receive_json_from(timeout=3)
    assert (event["event"], event["job"]) == ("job", str(job.pk))
    assert 'id="job-' in event["html"] and "Entries (5 / 20)" in event["html"]
    assert event["notice"] == ""
    export = await database_sync_to_async(export_create)(diary=owner.diary, actor=owner)
    await worker_moves(job.pk, state=Job.State.DONE, export=export)
    event = await owner_socket.receive_json_from(timeout=3)
    assert event["state"] == "done"
    assert f"Bundle {export.number} is ready." in event["notice"]
    assert await other_socket.receive_nothing(timeout=1)
    await owner_socket.disconnect()
    await other_socket.disconnect()
    assert await database_sync_to_async(Export.objects.count)() == 1
