"""Runs on the timeline: many messages brought in from one export, close together in time,
shown as one card ("14 messages between 21:03 and 21:40") that opens to every one of them,
so a night of texts does not bury everything else on the page."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from diary.models import Entry

GAP = timedelta(hours=1)  # messages further apart than this are not one run
LEAST = 3  # fewer than this stay cards of their own


@dataclass
class Run:
    entries: list[Entry] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def earliest(self) -> datetime:
        return min(_when(entry) for entry in self.entries)

    @property
    def latest(self) -> datetime:
        return max(_when(entry) for entry in self.entries)

    @property
    def first(self) -> Entry:
        return self.entries[0]


def _when(entry: Entry) -> datetime:
    assert entry.current is not None  # the timeline shows entries with a version
    return entry.current.occurred_start


def _joins(run: list[Entry], entry: Entry) -> bool:
    last = run[-1]
    return (
        bool(entry.origin)
        and entry.source == Entry.Source.IMPORTED
        and entry.origin == last.origin
        and abs(_when(entry) - _when(last)) <= GAP
    )


def with_runs(entries: Iterable[Entry]) -> list[Entry | Run]:
    """The page's entries in their order, each stretch of LEAST or more imported messages
    from one export, each within GAP of the next, folded into a Run."""
    shown: list[Entry | Run] = []
    stretch: list[Entry] = []

    def close() -> None:
        if len(stretch) >= LEAST:
            shown.append(Run(list(stretch)))
        else:
            shown.extend(stretch)
        stretch.clear()

    for entry in entries:
        if stretch and _joins(stretch, entry):
            stretch.append(entry)
            continue
        close()
        if entry.source == Entry.Source.IMPORTED and entry.origin:
            stretch.append(entry)
        else:
            shown.append(entry)
    close()
    return shown
