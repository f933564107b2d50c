"""Queries per page do not grow with the diary (issue 8: constant, and at most 10).

Each page is counted with a small diary and again once it has grown, with every kind of row that
could tempt a query in a loop: amended entries, files, withdrawn and witness-credited entries,
linked items, and submissions with files, notes and decisions. The pins are today's counts;
`make bench` counts the same pages at 1,000 and 10,000 entries.
"""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from diary.evidence.services import evidence_attach
from diary.records import services
from tests.conftest import confirmed
from tests.factories import make_entry, make_item, upload
from tests.witnesses.factories import make_submission
from witnesses import selectors
from witnesses.models import Sharing
from witnesses.services.links import device_open, witness_invite
from witnesses.services.submissions import follow_up_add, submission_accept, submission_keep_aside

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 14

# Today's counts (session, user, diary, her open notices, then the page's own); none may grow
# with the diary.
TIMELINE_QUERIES = 7
API_ENTRIES_QUERIES = 5
ENTRY_QUERIES = 10  # one more since its files show the owner's kind corrections
API_ENTRY_QUERIES = 8  # what each version changed (versions read once), files' kind corrections
INBOX_QUERIES = 9
WITNESS_QUERIES = 7  # with the earlier sends from other devices, named by date
PATTERNS_QUERIES = 6  # the incidents once, whatever the charts and places count
RISK_QUERIES = 8  # two for the suggestions (the counts, the visit times), then the checklists


class Diary:
    """An owner's diary that grows by `grow(n)`: n more of everything."""

    def __init__(self, owner: Any) -> None:
        self.owner = owner
        _witness, token = witness_invite(
            diary=owner.diary,
            actor=owner,
            name="Pat",
            relationship="neighbour",
            sharing=Sharing.ALL,
        )
        self.device, self.key = device_open(token=token, user_agent="phone")
        self.first = make_entry(owner)

    def grow(self, n: int) -> None:
        owner = self.owner
        for number in range(n):
            entry = make_entry(owner, behaviours=["watching"])
            content = {**entry.current.content_values(), "location": f"Place {number}"}
            services.entry_amend(entry=entry, actor=owner, content=content)
            evidence_attach(entry=entry, actor=owner, upload=upload())
            make_item(owner, entry=entry)
            # The showcase entry gains a version, a file and an item each time, too.
            content = {**self.first.current.content_values(), "location": f"Gate {number}"}
            services.entry_amend(entry=self.first, actor=owner, content=content)
            evidence_attach(entry=self.first, actor=owner, upload=upload())
            make_item(owner, entry=self.first)
            sent = [make_submission(self.device, uploads=[upload()]) for _ in range(4)]
            follow_up_add(device=self.device, submission=sent[0], text="More.")
            submission_accept(submission=sent[1], actor=owner)
            submission_keep_aside(submission=sent[2], actor=owner, reason="Not him.")
            services.entry_withdraw(entry=make_entry(owner), actor=owner, reason="Twice.")

    def owner_client(self) -> Client:
        client = Client()
        client.force_login(self.owner)
        return confirmed(client)  # the API's entries are read after a confirmation

    def witness_client(self) -> Client:
        client = Client()
        client.cookies[settings.WITNESS_COOKIE_NAME] = self.key
        return client


@pytest.fixture
def diary(owner: Any) -> Diary:
    return Diary(owner)


def counted(client: Client, path: str, pin: int, assert_max: Any) -> None:
    client.get(path)  # once first: a witness's "last seen" is written at most once a minute
    with assert_max(pin):
        response = client.get(path)
    assert response.status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "pin"),
    [
        ("/diary/", TIMELINE_QUERIES),
        ("/api/entries/", API_ENTRIES_QUERIES),
        ("/diary/inbox/", INBOX_QUERIES),
        ("/diary/inbox/?status=all", INBOX_QUERIES),
        ("/diary/patterns/", PATTERNS_QUERIES),
        ("/diary/risk/", RISK_QUERIES),
    ],
)
def test_the_owners_lists_take_the_same_queries_at_both_sizes(
    diary, path, pin, django_assert_max_num_queries
):
    diary.grow(SMALL)
    counted(diary.owner_client(), path, pin, django_assert_max_num_queries)
    diary.grow(LARGE - SMALL)
    counted(diary.owner_client(), path, pin, django_assert_max_num_queries)


@pytest.mark.slow
def test_an_entry_page_takes_the_same_queries_at_both_sizes(diary, django_assert_max_num_queries):
    path = reverse("diary:entry", args=[diary.first.pk])
    diary.grow(SMALL)
    counted(diary.owner_client(), path, ENTRY_QUERIES, django_assert_max_num_queries)
    diary.grow(LARGE - SMALL)
    assert len(diary.first.versions.all()) == LARGE + 1
    counted(diary.owner_client(), path, ENTRY_QUERIES, django_assert_max_num_queries)


@pytest.mark.slow
def test_one_entry_on_the_api_takes_the_same_queries_at_both_sizes(
    diary, django_assert_max_num_queries
):
    path = f"/api/entries/{diary.first.pk}/"
    diary.grow(SMALL)
    counted(diary.owner_client(), path, API_ENTRY_QUERIES, django_assert_max_num_queries)
    diary.grow(LARGE - SMALL)
    counted(diary.owner_client(), path, API_ENTRY_QUERIES, django_assert_max_num_queries)


@pytest.mark.slow
def test_the_witness_page_takes_the_same_queries_at_both_sizes(
    diary, django_assert_max_num_queries
):
    diary.grow(SMALL)
    counted(diary.witness_client(), "/w/", WITNESS_QUERIES, django_assert_max_num_queries)
    diary.grow(LARGE - SMALL)
    assert selectors.witness_submissions(device=diary.device).count() == 4 * LARGE
    counted(diary.witness_client(), "/w/", WITNESS_QUERIES, django_assert_max_num_queries)


def test_every_pin_is_within_the_goal():
    pins = (
        TIMELINE_QUERIES,
        API_ENTRIES_QUERIES,
        ENTRY_QUERIES,
        API_ENTRY_QUERIES,
        INBOX_QUERIES,
        WITNESS_QUERIES,
        PATTERNS_QUERIES,
        RISK_QUERIES,
    )
    assert max(pins) <= 10


def test_the_timeline_leaves_each_versions_blind_index_in_the_database(owner):
    from diary.records.selectors import entry_list

    make_entry(owner, what_happened="Parked outside")
    shown = list(entry_list(actor=owner))
    assert shown and all("search_index" in e.current.get_deferred_fields() for e in shown)
