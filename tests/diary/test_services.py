from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from diary import messages
from diary.models import Entry, EntryVersion, EntryWithdrawal, Item, ItemVersion, LedgerRecord
from diary.records import services
from tests.factories import entry_content, item_content, make_entry, make_item

pytestmark = pytest.mark.django_db


def kinds(owner):
    return list(
        LedgerRecord.objects.filter(diary=owner.diary)
        .order_by("seq")
        .values_list("kind", flat=True)
    )


def test_signing_up_records_the_diary_in_the_ledger(owner):
    assert kinds(owner) == ["diary.create"]


def test_it_creates_an_entry_with_its_first_version(owner):
    entry = make_entry(owner, behaviours=["watching", "loitering"], location="Elm Road")
    entry.refresh_from_db()
    assert entry.number == 1
    assert entry.current.number == 1
    assert entry.current.behaviours == ["loitering", "watching"]
    assert entry.current.location == "Elm Road"
    assert entry.current.recorded_by == owner
    assert kinds(owner) == ["diary.create", "entry.create"]


def test_received_at_is_set_by_the_server(owner):
    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=False):
        entry = make_entry(owner, occurred_start=timezone.now() - timedelta(days=3))
    entry.refresh_from_db()
    assert entry.received_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert entry.current.occurred_start.isoformat() == "2026-11-17T10:00:00+00:00"


def test_entry_numbers_count_up_per_diary(owner, other_owner):
    make_entry(owner)
    make_entry(other_owner)
    second = make_entry(owner)
    assert second.number == 2


def test_amending_adds_a_version_and_keeps_the_first(owner):
    entry = make_entry(owner, what_happened="First account.")
    first = entry.current
    version = services.entry_amend(
        entry=entry,
        actor=owner,
        content={**first.content_values(), "what_happened": "Corrected account."},
    )
    assert version.number == 2
    entry.refresh_from_db()
    assert entry.current == version
    first.refresh_from_db()
    assert first.what_happened == "First account."
    assert EntryVersion.objects.filter(entry=entry).count() == 2
    assert kinds(owner)[-1] == "entry.amend"


def test_withdrawing_keeps_the_entry_with_who_when_and_why(owner):
    entry = make_entry(owner)
    with time_machine.travel("2026-11-21 09:30:00+00:00", tick=False):
        services.entry_withdraw(entry=entry, actor=owner, reason="  Wrote it twice.  ")
    withdrawal = EntryWithdrawal.objects.get(entry=entry)
    assert withdrawal.reason == "Wrote it twice."
    assert withdrawal.withdrawn_by == owner
    assert withdrawal.withdrawn_at.isoformat() == "2026-11-21T09:30:00+00:00"
    assert Entry.objects.filter(pk=entry.pk).exists()
    assert kinds(owner)[-1] == "entry.withdraw"


def test_it_refuses_to_withdraw_twice_or_amend_a_withdrawn_entry(owner):
    entry = make_entry(owner)
    services.entry_withdraw(entry=entry, actor=owner, reason="Duplicate.")
    with pytest.raises(ValidationError) as error:
        services.entry_withdraw(entry=entry, actor=owner, reason="Again.")
    assert error.value.messages == [str(messages.ALREADY_WITHDRAWN)]
    with pytest.raises(ValidationError):
        services.entry_amend(entry=entry, actor=owner, content=entry_content())
    assert EntryVersion.objects.filter(entry=entry).count() == 1


def test_a_withdrawal_needs_a_reason(owner):
    entry = make_entry(owner)
    with pytest.raises(ValidationError) as error:
        services.entry_withdraw(entry=entry, actor=owner, reason="   ")
    assert "reason" in error.value.message_dict
    assert not EntryWithdrawal.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"occurred_start": timezone.now() + timedelta(hours=1)},
            "occurred_start",
            messages.WHEN_IN_FUTURE,
        ),
        (
            {"occurred_start": timezone.now().replace(year=1850)},
            "occurred_start",
            messages.WHEN_TOO_EARLY,
        ),
        ({"precision": "range"}, "occurred_end", messages.RANGE_NEEDS_END),
        (
            {"precision": "range", "occurred_end": timezone.now() - timedelta(days=2)},
            "occurred_end",
            messages.END_BEFORE_START,
        ),
        (
            {"occurred_end": timezone.now() - timedelta(minutes=1)},
            "occurred_end",
            messages.END_ONLY_FOR_RANGE,
        ),
        ({"behaviours": ["contact", "dancing"]}, "behaviours", messages.UNKNOWN_CHOICE),
        ({"what_happened": ""}, "what_happened", None),
        ({"what_happened": "x" * 10_001}, "what_happened", None),
        ({"latitude": 51.5}, "longitude", messages.LAT_LONG_TOGETHER),
        ({"latitude": 95, "longitude": 0}, "latitude", None),
        ({"channel": "pigeon"}, "channel", None),
        ({"precision": "roughly"}, "precision", None),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_saved(owner, overrides, field, message):
    with pytest.raises(ValidationError) as error:
        make_entry(owner, **overrides)
    assert field in error.value.message_dict
    if message is not None:
        assert error.value.message_dict[field] == [str(message)]
    assert not Entry.objects.exists()
    assert not EntryVersion.objects.exists()
    assert kinds(owner) == ["diary.create"]


def test_a_few_minutes_of_clock_drift_is_allowed(owner):
    entry = make_entry(owner, occurred_start=timezone.now() + timedelta(minutes=3))
    assert entry.current.occurred_start > timezone.now()


def test_a_range_is_accepted(owner):
    start = timezone.now() - timedelta(hours=5)
    entry = make_entry(
        owner, precision="range", occurred_start=start, occurred_end=start + timedelta(hours=2)
    )
    assert entry.current.occurred_end == start + timedelta(hours=2)


def test_items_get_versions_too(owner):
    entry = make_entry(owner)
    item = make_item(owner, entry=entry, storage="paper_bag")
    assert item.reference == "I001"
    handed = timezone.now() - timedelta(hours=1)
    services.item_amend(
        item=item,
        actor=owner,
        content={
            **item.current.content_values(),
            "police_handed_at": handed,
            "police_handed_to": "PC 1234 Smith",
            "exhibit_reference": "JS/1",
        },
    )
    item.refresh_from_db()
    assert item.current.number == 2
    assert item.current.exhibit_reference == "JS/1"
    assert ItemVersion.objects.get(item=item, number=1).exhibit_reference == ""
    assert kinds(owner)[-2:] == ["item.create", "item.amend"]


def test_an_item_cannot_link_to_another_diarys_entry(owner, other_owner):
    theirs = make_entry(other_owner)
    with pytest.raises(ValidationError):
        make_item(owner, entry=theirs)
    assert not Item.objects.exists()


def test_an_item_cannot_be_handed_over_before_it_was_found(owner):
    with pytest.raises(ValidationError) as error:
        make_item(owner, police_handed_at=timezone.now() - timedelta(days=5))
    assert error.value.message_dict["police_handed_at"] == [str(messages.HANDED_BEFORE_FOUND)]


def test_settings_changes_are_kept(owner):
    services.diary_settings_change(
        diary=owner.diary, actor=owner, title="Garden notes", time_zone="Europe/Paris"
    )
    owner.diary.refresh_from_db()
    assert owner.diary.title == "Garden notes"
    assert owner.diary.time_zone == "Europe/Paris"
    assert kinds(owner)[-1] == "diary.settings"


def test_an_unknown_time_zone_is_refused(owner):
    with pytest.raises(ValidationError):
        services.diary_settings_change(
            diary=owner.diary, actor=owner, title="Notes", time_zone="Mars/Olympus"
        )
    owner.diary.refresh_from_db()
    assert owner.diary.time_zone == "Europe/London"


def test_unknown_content_fields_are_a_programming_error(owner):
    with pytest.raises(TypeError):
        services.entry_create(diary=owner.diary, actor=owner, content={**entry_content(), "x": 1})


def test_item_defaults(owner):
    item = make_item(owner, **item_content(found_where="Doorstep"))
    assert item.current.found_where == "Doorstep"
