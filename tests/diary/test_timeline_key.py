"""The timeline's sort key kept on the entry (issue 21): `Entry.current_start` is always its
current version's time, however the entry was written, amended, brought in or accepted, so the
first page of the timeline, the API and a contact's timeline are read from the entry_timeline
index in the order the versions give."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from diary.models import Entry
from diary.records import services
from diary.records.selectors import entry_list
from tests.factories import entry_content, make_entry
from tests.witnesses.factories import (
    device_of,
    make_submission,
    make_witness,
    witness_api_client,
)
from witnesses.services.submissions import submission_accept

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)


def keys_match(diary) -> None:
    for entry in Entry.objects.filter(diary=diary).select_related("current"):
        assert entry.current_start == entry.current.occurred_start, entry


def test_every_way_of_writing_an_entry_keeps_its_key(owner):
    written = make_entry(owner, occurred_start=DAY - timedelta(days=2))
    services.entry_amend(
        entry=written, actor=owner, content=entry_content(occurred_start=DAY - timedelta(days=5))
    )
    services.entries_create_many(
        diary=owner.diary,
        actor=owner,
        contents=[entry_content(occurred_start=DAY - timedelta(hours=n)) for n in range(3)],
        source=Entry.Source.IMPORTED,
    )
    _witness, token = make_witness(owner)
    sent = make_submission(device_of(witness_api_client(token)))
    accepted = submission_accept(submission=sent, actor=owner)
    keys_match(owner.diary)
    written.refresh_from_db()
    assert written.current_start == DAY - timedelta(days=5)  # the amendment's time
    assert accepted.current_start is not None


def test_the_timeline_is_in_the_order_the_versions_give(owner):
    times = [DAY - timedelta(hours=h) for h in (5, 1, 9, 1, 3)]
    made = [make_entry(owner, occurred_start=at) for at in times]
    # Amended back in time: it moves down the timeline.
    services.entry_amend(
        entry=made[1], actor=owner, content=entry_content(occurred_start=DAY - timedelta(days=1))
    )
    listed = list(entry_list(actor=owner))
    expected = sorted(
        Entry.objects.filter(diary=owner.diary).select_related("current"),
        key=lambda e: (e.current.occurred_start, e.number),
        reverse=True,
    )
    assert [e.pk for e in listed] == [e.pk for e in expected]
    assert listed[-1].pk == made[1].pk


def owners_timeline(owner):
    return entry_list(actor=owner)


def contacts_timeline(owner):
    from witnesses.selectors import witness_timeline

    _witness, token = make_witness(owner, sharing="all")
    return witness_timeline(device=device_of(witness_api_client(token)))


@pytest.mark.parametrize("timeline", [owners_timeline, contacts_timeline])
def test_the_first_page_is_read_from_the_index_without_sorting(owner, timeline):
    make_entry(owner)
    query = timeline(owner)[:50]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A table of one row is cheaper to scan whole: ask whether the index can serve.
            cursor.execute("SET LOCAL enable_seqscan = off")
        explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
        cursor.execute(f"{explain} {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "entry_timeline" in plan
    assert "TEMP B-TREE" not in plan.upper()  # SQLite's word for a sort
    assert "Sort" not in plan.split("SubPlan")[0]  # PostgreSQL's, above the per-row subquery
