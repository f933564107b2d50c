"""What a witness's submission costs while other submissions to the same diary queue behind
its lock (docs/performance.md): the diary is locked once, and the owner's inbox card is
rendered only where an open owner page hears of it."""

import pytest
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext

from diary.core import signing
from diary.live.events import RENDERERS, rendered
from diary.models import LedgerRecord
from tests.factories import upload
from tests.witnesses.conftest import invite
from tests.witnesses.factories import device_of, make_submission, witness_api_client
from witnesses.live.events import INBOX_CARD

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(owner):
    _witness, token = invite(owner)
    return device_of(witness_api_client(token))


def test_a_submission_reads_and_locks_the_diary_once(device):
    with CaptureQueriesContext(connection) as queries:
        make_submission(device)
    diary_reads = [q["sql"] for q in queries if 'FROM "diary_diary"' in q["sql"]]
    assert len(diary_reads) == 1, diary_reads


def test_no_inbox_card_is_rendered_by_the_request_that_sends(
    owner, device, django_capture_on_commit_callbacks
):
    names = []

    def seen(sender, template, **kwargs):
        names.append(template.name)

    template_rendered.connect(seen)
    try:
        with django_capture_on_commit_callbacks(execute=True) as sent:
            submission = make_submission(device, what_happened="Blue van again")
    finally:
        template_rendered.disconnect(seen)
    assert sent  # the event still goes out once the submission commits
    assert "witnesses/_inbox_card.html" not in names

    event = {"type": "inbox.changed", "change": "received", "submission": submission.pk}
    heard = rendered({**event, "render": INBOX_CARD}, owner)
    assert "render" not in heard and heard["count"] == 1
    assert "Blue van again" in heard["html"] and f"submission-{submission.pk}" in heard["html"]
    assert rendered(event, owner) == event  # nothing to render: passed on as it came
    assert RENDERERS[INBOX_CARD]


def test_a_second_note_is_rendered_with_its_submission(owner, device):
    from witnesses.services.submissions import follow_up_add

    submission = make_submission(device)
    follow_up_add(device=device, submission=submission, text="He came back at six.")
    heard = rendered(
        {"type": "inbox.changed", "submission": submission.pk, "render": INBOX_CARD}, owner
    )
    assert "1 note added" in heard["html"]


def test_the_card_is_read_through_the_gate(device):
    from django.http import Http404

    from tests.factories import OwnerFactory

    submission = make_submission(device, what_happened="Blue van again")
    event = {"type": "inbox.changed", "submission": submission.pk, "render": INBOX_CARD}
    with pytest.raises(Http404):
        rendered(event, OwnerFactory())


# What a send does while it holds the diary's lock (docs/performance.md, "Submissions on
# PostgreSQL, 20 senders"): every other send to the diary waits that long.


def _under_the_lock(queries):
    """The statements after the diary's lock was taken (its read), up to the commit. The
    test's own transaction makes the send's a savepoint: its RELEASE is the COMMIT's place."""
    sql = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    locked = next(n for n, text in enumerate(sql) if 'FROM "diary_diary"' in text)
    return sql[locked + 1 :]


def _post(client, **headers):
    return client.post(
        "/api/witness/submissions/",
        {"kind": "saw", "what_happened": "The grey car again.", "location": "The station"},
        format="json",
        **headers,
    )


@pytest.fixture
def api_client(owner):
    _witness, token = invite(owner)
    return witness_api_client(token)


def test_under_the_lock_a_send_locks_its_link_and_writes_three_rows(api_client):
    with CaptureQueriesContext(connection) as queries:
        response = _post(api_client)
    assert response.status_code == 201
    under = _under_the_lock(queries)
    # The link (with whether this device left), the submission, its ledger record and the
    # diary's head: on PostgreSQL the record and the head are one statement.
    assert len(under) == (3 if connection.vendor == "postgresql" else 4), under
    assert 'FROM "witnesses_witnesslink"' in under[0]
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in under[0]
    assert under[1].startswith('INSERT INTO "witnesses_submission"')
    # Nothing read back: not the ledger's head, not the submission for its receipt.
    reads = [text for text in under if text.startswith("SELECT")]
    assert len(reads) == 1 and 'FROM "witnesses_witnesslink"' in reads[0], reads


def test_a_keyed_send_locks_the_diary_once(api_client):
    with CaptureQueriesContext(connection) as queries:
        response = _post(api_client, HTTP_IDEMPOTENCY_KEY="send-1")
    assert response.status_code == 201
    diary_reads = [q["sql"] for q in queries if 'FROM "diary_diary"' in q["sql"]]
    assert len(diary_reads) == 1, diary_reads
    # Under the lock: the key looked up (after this actor's expired keys are forgotten), the
    # send's three rows and the diary's head as above, and the key kept with its answer. The
    # send is part of the keyed transaction: no savepoint of its own.
    sql = [q["sql"] for q in queries]
    locked = next(n for n, text in enumerate(sql) if 'FROM "diary_diary"' in text)
    assert not [text for text in sql[locked:] if text.startswith("SAVEPOINT")]
    under = _under_the_lock(queries)
    assert len(under) == (6 if connection.vendor == "postgresql" else 7), under
    assert under[-1].startswith('INSERT INTO "diary_idempotencykey"')


def _receipt_as_read_back(client, reference):
    listed = client.get("/api/witness/submissions/").json()["results"]
    return next(sent for sent in listed if sent["reference"] == reference)


def _without_signature(receipt):
    """A receipt's head is signed when it is made: its time of making and signature differ."""
    head = {
        k: v for k, v in receipt["receipt"]["head"].items() if k not in {"made_at", "signature"}
    }
    return {**receipt, "receipt": {**receipt["receipt"], "head": head}}


@pytest.mark.parametrize("keyed", [False, True])
def test_the_receipt_answered_is_the_receipt_read_back(api_client, keyed):
    headers = {"HTTP_IDEMPOTENCY_KEY": "send-2"} if keyed else {}
    answered = _post(api_client, **headers).json()
    read_back = _receipt_as_read_back(api_client, answered["reference"])
    assert _without_signature(answered) == _without_signature(read_back)
    record = LedgerRecord.objects.get(
        seq=answered["receipt"]["seq"], diary__submissions__reference=answered["reference"]
    )
    assert answered["receipt"]["hash"] == record.hash == answered["receipt"]["head"]["hash"]
    assert signing.verify_signed(answered["receipt"]["head"])
    assert answered["status"] == read_back["status"] and answered["follow_ups"] == []


def test_a_receipt_with_files_lists_the_files_just_kept(api_client):
    photo = upload("van.jpg")
    answered = api_client.post(
        "/api/witness/submissions/",
        {"kind": "saw", "what_happened": "The van.", "files": [photo]},
        format="multipart",
    ).json()
    read_back = _receipt_as_read_back(api_client, answered["reference"])
    assert answered["files"] and answered["files"] == read_back["files"]
    assert _without_signature(answered) == _without_signature(read_back)
