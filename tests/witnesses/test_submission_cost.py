"""What a witness's submission costs while other submissions to the same diary queue behind
its lock (docs/performance.md): the diary is locked once, and the owner's inbox card is
rendered only where an open owner page hears of it."""

import pytest
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext

from diary.live.events import RENDERERS, rendered
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
