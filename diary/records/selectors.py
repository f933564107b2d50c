"""Reads of the timeline and the items register. Each takes the actor and answers 404 to anyone
else, starting from the diary the gate returns.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from diary.core import crypto
from diary.gate import diary_for
from diary.models import (
    Diary,
    Entry,
    EntryVersion,
    Evidence,
    Item,
    ItemVersion,
)


@dataclass(frozen=True)
class EntryFilters:
    behaviour: str = ""
    since: datetime | None = None
    until: datetime | None = None
    q: str = ""
    source: str = ""
    with_evidence: bool = False


def _evidence_count() -> Coalesce:
    # A subquery per row, not a join with GROUP BY: grouping made the database sort every
    # entry of the diary, every column, before it could take one page (about 40 ms at 10,000
    # entries; see docs/performance.md). `count()` leaves a subquery out altogether.
    files = (
        Evidence.objects.filter(entry=OuterRef("pk"))
        .order_by()
        .values("entry")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(files, output_field=IntegerField()), 0)


def _timeline(diary: Diary) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(diary=diary)
        .select_related("current", "withdrawal")
        # The blind index is a kilobyte a version that no page shows; SQLite carried it
        # through the sort of every entry in the diary (a sixth of the first page's time).
        .defer("current__search_index")
        .annotate(evidence_count=_evidence_count())
        .order_by("-current_start", "-number")
    )


def timeline_entry(*, actor: Any, entry_id: int) -> Entry:
    """One entry as the timeline shows it, for a live update to its own owner's pages."""
    try:
        return _timeline(diary_for(actor)).select_related("diary").get(pk=entry_id)
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def entry_list(*, actor: Any, filters: EntryFilters | None = None) -> QuerySet[Entry]:
    """The timeline: latest versions, newest first, withdrawn entries left out."""
    diary = diary_for(actor)
    entries = _timeline(diary).filter(withdrawal__isnull=True)
    filters = filters or EntryFilters()
    if filters.behaviour:
        entries = entries.filter(current__behaviours__contains=f"|{filters.behaviour}|")
    if filters.since:
        entries = entries.filter(
            Q(current__occurred_end__gte=filters.since)
            | Q(current__occurred_end__isnull=True, current__occurred_start__gte=filters.since)
        )
    if filters.until:
        entries = entries.filter(current_start__lte=filters.until)
    if filters.source:
        entries = entries.filter(source=filters.source)
    if filters.with_evidence:
        entries = entries.filter(Exists(Evidence.objects.filter(entry=OuterRef("pk"))))
    if filters.q:
        # The text is encrypted: match the blind index instead (EntryVersion.SEARCH_FIELDS).
        # Every word must appear, whole or by its first three letters or more.
        for token in crypto.query_tokens(filters.q, str(diary.pk)):
            entries = entries.filter(current__search_index__contains=token)
    return entries


def entry_list_withdrawn(*, actor: Any) -> QuerySet[Entry]:
    diary = diary_for(actor)
    return _timeline(diary).filter(withdrawal__isnull=False).order_by("-withdrawal__withdrawn_at")


def entry_get(*, actor: Any, entry_id: int) -> Entry:
    """One entry of the actor's diary, withdrawn or not, with its versions, evidence and items."""
    diary = diary_for(actor)
    try:
        entry = (
            Entry.objects.select_related("current", "withdrawal", "diary")
            .prefetch_related(
                Prefetch("versions", queryset=EntryVersion.objects.order_by("number")),
                Prefetch(
                    "evidence",
                    queryset=Evidence.objects.order_by("number").prefetch_related("kind_changes"),
                ),
            )
            .get(diary=diary, pk=entry_id)
        )
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    # Items whose latest version links here (an older version may have linked elsewhere).
    entry.linked_items = list(
        Item.objects.filter(diary=diary, current__entry=entry)
        .select_related("current")
        .order_by("number")
    )
    return entry


def entries_to_link(*, actor: Any, withdrawn_too: bool = False) -> QuerySet[Entry]:
    """The entries an item of the actor's diary may be linked to, newest first: only their own
    (any other id reads as "does not exist")."""
    entries = Entry.objects.filter(diary=diary_for(actor)).select_related("current")
    if not withdrawn_too:
        entries = entries.filter(withdrawal__isnull=True)
    return entries.order_by("-number")


def item_list(*, actor: Any) -> QuerySet[Item]:
    diary = diary_for(actor)
    return (
        Item.objects.filter(diary=diary)
        .select_related("current", "current__entry")
        .order_by("-current__found_at", "-number")
    )


def item_get(*, actor: Any, item_id: int) -> Item:
    diary = diary_for(actor)
    try:
        return (
            Item.objects.select_related("current", "current__entry", "diary")
            .prefetch_related(
                Prefetch(
                    "versions",
                    queryset=ItemVersion.objects.select_related("entry").order_by("number"),
                )
            )
            .get(diary=diary, pk=item_id)
        )
    except (Item.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
