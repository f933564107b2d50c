"""The demo builder (witnesses/demo/): the story scaled up as its docstring says, the same
diary from the same seed, a ledger padded in bulk that still verifies, and nothing left behind
when a build fails. The story itself, as `seed_demo` makes it, is tested in test_seed_demo.py."""

from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from diary.ledger.verify import ledger_verify
from diary.models import Entry, Evidence, User
from tests.factories import OwnerFactory
from witnesses.demo.builder import build_demo
from witnesses.demo.story import STORY
from witnesses.models import Submission, Witness

pytestmark = pytest.mark.django_db

TOLD = len(STORY.incidents)


def fingerprint(diary_entries) -> list[tuple]:
    return [
        (entry.number, entry.current.occurred_start, entry.current.what_happened)
        for entry in diary_entries.select_related("current").order_by("number")
    ]


def test_scaled_up_the_story_stays_the_last_weeks_with_more_of_the_same_before_it():
    demo = build_demo(owner=OwnerFactory(), size=TOLD + 100, contacts=5, with_files=False)

    counts = demo.counts
    assert counts.entries == TOLD + 100 + counts.added  # the added sends became entries too
    assert counts.withdrawn == 1 + 1  # the story's, and one in a hundred of the rest
    assert counts.items == 3 + 2  # one in fifty
    assert counts.shared == 2 + 5  # one in twenty
    assert counts.contacts == 5
    assert counts.sent == len(STORY.sent) + 2 * 5  # each contact beyond the story's sends five
    assert counts.files == 0
    told = {entry.pk for entry in demo.entries.values()}
    by_owner = Entry.objects.filter(diary=demo.diary, source=Entry.Source.OWNER)
    earlier = by_owner.exclude(pk__in=told).select_related("current")
    first_told = min(entry.current.occurred_start for entry in demo.entries.values())
    assert earlier.count() == 100
    assert all(entry.current.occurred_start < first_told for entry in earlier)
    amended = earlier.filter(versions__number=2).distinct()
    assert amended.count() == 10
    result = ledger_verify(diary=demo.diary)
    assert result.ok, result.problem


def test_the_same_seed_makes_the_same_diary():
    now = timezone.now()
    made = [
        build_demo(owner=OwnerFactory(), size=TOLD + 40, contacts=4, with_files=False, now=now)
        for _ in range(2)
    ]

    first, second = (Entry.objects.filter(diary=demo.diary) for demo in made)
    assert fingerprint(first) == fingerprint(second)
    contacts = [
        sorted(Witness.objects.filter(diary=demo.diary).values_list("name", "sharing"))
        for demo in made
    ]
    assert contacts[0] == contacts[1]
    assert made[0].counts == made[1].counts


def test_every_contact_comes_back_with_their_link_and_the_phone_that_opened_it(client):
    demo = build_demo(owner=OwnerFactory(), contacts=4, with_files=False)

    assert list(demo.contacts)[: len(STORY.contacts)] == [c.key for c in STORY.contacts]
    assert demo.shown is demo.contacts[STORY.shown_link]
    for contact in demo.contacts.values():
        client.cookies[settings.WITNESS_COOKIE_NAME] = contact.device_key
        assert client.get("/w/").status_code == 200
    again = client.get(f"/w/{demo.shown.token}")  # the link still opens, on another phone
    assert again.status_code == 302


def test_a_ledger_padded_in_bulk_has_exactly_the_records_asked_for_and_verifies():
    demo = build_demo(owner=OwnerFactory(), with_files=False, ledger_records=301)

    assert demo.counts.ledger_records == 301
    result = ledger_verify(diary=demo.diary)
    assert result.ok, result.problem
    assert result.records == 301
    with pytest.raises(ValueError, match="already has"):
        build_demo(owner=OwnerFactory(), with_files=False, ledger_records=10)


def test_a_story_bigger_than_asked_for_is_refused():
    with pytest.raises(ValueError, match="the story alone"):
        build_demo(owner=OwnerFactory(), size=TOLD - 1)
    with pytest.raises(ValueError, match="the story alone"):
        build_demo(owner=OwnerFactory(), contacts=len(STORY.contacts) - 1)


def test_a_build_that_fails_leaves_no_row_and_no_file():
    owner = User.objects.create_user(email="someone@example.com", password=None)
    failing = mock.patch(
        "witnesses.demo.builder.risk_checklist_complete", side_effect=RuntimeError("no")
    )
    with failing, pytest.raises(RuntimeError):
        build_demo(owner=owner)  # the checklist comes last: every photo is stored by then

    assert not Entry.objects.exists()
    assert not Evidence.objects.exists()
    assert not Submission.objects.exists()
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
