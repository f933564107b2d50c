"""Every write to a diary. Each runs in one transaction with its ledger record."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery

from diary import messages
from diary.core.numbering import next_number
from diary.ledger.services import (
    DIARY_CREATE,
    DIARY_SETTINGS,
    ENTRY_AMEND,
    ENTRY_CREATE,
    ENTRY_WITHDRAW,
    ITEM_AMEND,
    ITEM_CREATE,
    ledger_append,
    ledger_append_many,
    lock_diary,
)
from diary.live.events import entry_changed
from diary.models import (
    AccessEvent,
    Diary,
    DiarySettingsChange,
    Entry,
    EntryVersion,
    EntryWithdrawal,
    Item,
    ItemVersion,
    User,
)
from diary.safety.services import access_event_record


def _only(content: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(content) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    return dict(content)


@transaction.atomic
def diary_create(*, owner: User, time_zone: str | None = None) -> Diary:
    diary = Diary(owner=owner)
    if time_zone:
        diary.time_zone = time_zone
    # Kept in its ledger content: the ledger then holds every title and zone it has had.
    diary.created_title, diary.created_time_zone = diary.title, diary.time_zone
    diary.full_clean(exclude=["owner"])
    diary.save()
    ledger_append(diary=diary, kind=DIARY_CREATE, obj=diary, actor=owner)
    return diary


@transaction.atomic
def diary_settings_change(*, diary: Diary, actor: User, title: str, time_zone: str) -> Diary:
    change = DiarySettingsChange(diary=diary, title=title, time_zone=time_zone, changed_by=actor)
    change.full_clean()
    change.save()
    diary.title, diary.time_zone = title, time_zone
    diary.save(update_fields=["title", "time_zone"])
    ledger_append(diary=diary, kind=DIARY_SETTINGS, obj=change, actor=actor)
    return diary


def _new_version(
    entry: Entry,
    number: int,
    actor: User | None,
    content: Mapping[str, Any],
    *,
    actor_checked: bool = False,
) -> EntryVersion:
    version = EntryVersion(
        entry=entry,
        number=number,
        recorded_by=actor,
        # The device's claimed clock comes with what was written, but is not part of it: an
        # amendment does not carry the earlier version's over.
        **_only(content, (*EntryVersion.CONTENT_FIELDS, "device_time")),
    )
    # Checking that `recorded_by` exists is a query; `actor_checked` says an earlier version
    # of the same batch, by the same actor, was checked already.
    exclude = ["entry", "recorded_by"] if actor_checked else ["entry"]
    version.full_clean(exclude=exclude, validate_constraints=False)
    return version


@transaction.atomic
def entry_create(
    *,
    diary: Diary,
    actor: User | None,
    content: Mapping[str, Any],
    source: str = Entry.Source.OWNER,
    reported_by: str = "",
    origin: str = "",
    received_at: datetime | None = None,
    ledger_actor: str | None = None,
) -> Entry:
    """Record a new incident: the entry and its first version. An entry taken from elsewhere
    (a witness's submission) keeps the time the server first received it there."""
    lock_diary(diary)
    entry = Entry(diary=diary, source=source, reported_by=reported_by, origin=origin)
    if received_at is not None:
        entry.received_at = received_at
    version = _new_version(entry, 1, actor, content)  # validate before writing anything
    entry.number = next_number(Entry.objects.filter(diary=diary))
    entry.current_start = version.occurred_start
    entry.save()
    version.entry = entry
    version.save()
    entry.current = version
    entry.save(update_fields=["current"])
    ledger_append(diary=diary, kind=ENTRY_CREATE, obj=version, actor=ledger_actor or actor)
    entry_changed(entry, "recorded")
    return entry


@transaction.atomic
def entries_create_many(
    *,
    diary: Diary,
    actor: User | None,
    contents: Sequence[Mapping[str, Any]],
    source: str,
    origin: str = "",
) -> list[Entry]:
    """Record several new incidents at once, each exactly as entry_create records one (every
    version validated before anything is written, numbered in order, each with its ledger
    record), in a constant number of queries: for a batch of an import's messages. No live
    event is sent for them: a batch of hundreds is not news card by card, and the import's own
    job tells her page how far it has got."""
    if not contents:
        return []
    lock_diary(diary)
    entries = [Entry(diary=diary, source=source, origin=origin) for _ in contents]
    versions = [
        _new_version(entry, 1, actor, content, actor_checked=n > 0)
        for n, (entry, content) in enumerate(zip(entries, contents, strict=True))
    ]
    first = next_number(Entry.objects.filter(diary=diary))
    for offset, (entry, version) in enumerate(zip(entries, versions, strict=True)):
        entry.number = first + offset
        entry.current_start = version.occurred_start
    Entry.objects.bulk_create(entries)
    for entry, version in zip(entries, versions, strict=True):
        version.entry = entry
    EntryVersion.objects.bulk_create(versions)
    Entry.objects.filter(pk__in=[entry.pk for entry in entries]).update(
        current=Subquery(EntryVersion.objects.filter(entry=OuterRef("pk"), number=1).values("pk"))
    )
    for entry, version in zip(entries, versions, strict=True):
        entry.current = version
    ledger_append_many(
        diary=diary, kind=ENTRY_CREATE, objs=versions, actor=actor, diary_locked=True
    )
    return entries


@transaction.atomic
def entry_amend(*, entry: Entry, actor: User, content: Mapping[str, Any]) -> EntryVersion:
    """Add a version. Earlier versions stay exactly as they were."""
    lock_diary(entry.diary)
    if EntryWithdrawal.objects.filter(entry=entry).exists():
        raise ValidationError(messages.ENTRY_WITHDRAWN_NO_CHANGES, code="withdrawn")
    number = next_number(EntryVersion.objects.filter(entry=entry))
    version = _new_version(entry, number, actor, content)
    version.save()
    entry.current = version
    entry.current_start = version.occurred_start
    entry.save(update_fields=["current", "current_start"])
    ledger_append(diary=entry.diary, kind=ENTRY_AMEND, obj=version, actor=actor)
    entry_changed(entry, "amended")
    return version


@transaction.atomic
def entry_withdraw(*, entry: Entry, actor: User, reason: str) -> EntryWithdrawal:
    """Hide an entry from the timeline, keeping it and saying who, when and why."""
    lock_diary(entry.diary)
    if EntryWithdrawal.objects.filter(entry=entry).exists():
        raise ValidationError(messages.ALREADY_WITHDRAWN, code="withdrawn")
    withdrawal = EntryWithdrawal(entry=entry, reason=reason.strip(), withdrawn_by=actor)
    withdrawal.full_clean(exclude=["entry"])
    withdrawal.save()
    ledger_append(diary=entry.diary, kind=ENTRY_WITHDRAW, obj=withdrawal, actor=actor)
    access_event_record(
        user_id=actor.pk, kind=AccessEvent.Kind.ENTRY_WITHDRAWN, detail=f"#{entry.number}"
    )
    entry_changed(entry, "withdrawn")
    return withdrawal


def _new_item_version(
    item: Item, number: int, actor: User, content: Mapping[str, Any]
) -> ItemVersion:
    version = ItemVersion(
        item=item, number=number, recorded_by=actor, **_only(content, ItemVersion.CONTENT_FIELDS)
    )
    version.full_clean(exclude=["item"], validate_constraints=False)
    linked = version.entry
    if linked is not None and linked.diary_id != item.diary_id:
        raise ValidationError({"entry": messages.UNKNOWN_CHOICE})
    return version


@transaction.atomic
def item_create(*, diary: Diary, actor: User, content: Mapping[str, Any]) -> Item:
    """Register a physical item: a "gift", a letter, a package, damaged property."""
    lock_diary(diary)
    item = Item(diary=diary)
    version = _new_item_version(item, 1, actor, content)
    item.number = next_number(Item.objects.filter(diary=diary))
    item.save()
    version.item = item
    version.save()
    item.current = version
    item.save(update_fields=["current"])
    ledger_append(diary=diary, kind=ITEM_CREATE, obj=version, actor=actor)
    return item


@transaction.atomic
def item_amend(*, item: Item, actor: User, content: Mapping[str, Any]) -> ItemVersion:
    """Add a version of an item, for instance when it is handed to the police."""
    lock_diary(item.diary)
    number = next_number(ItemVersion.objects.filter(item=item))
    version = _new_item_version(item, number, actor, content)
    version.save()
    item.current = version
    item.save(update_fields=["current"])
    ledger_append(diary=item.diary, kind=ITEM_AMEND, obj=version, actor=actor)
    return item.current
