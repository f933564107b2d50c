"""What changed between two versions of an entry, field by field, in words.

Pure: given two versions it reads nothing else, so the entry page, the API and the bundle's
schedule of amendments show the same differences without a query per version. Times are
written in the active time zone (the owner's, on her pages, in her API answers and her PDF).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from django.db import models
from django.utils.text import capfirst

from diary import messages
from diary.models import EntryVersion
from diary.models.choices import Behaviour, Channel
from diary.templatetags.diary_tags import when

# Long text is marked word by word; a stretch left alike keeps this many words either side of a
# change, so a one-word fix in a long account reads as a line, not the whole account again.
CONTEXT_WORDS = 8
ELLIPSIS = "…"

Kind = Literal["same", "removed", "added"]


@dataclass(frozen=True)
class Words:
    kind: Kind
    text: str


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its label and both values in words (choice labels, times in the
    owner's zone); for long text both ways given, `words` marks the words removed and added."""

    field: str
    label: str
    before: str
    after: str
    words: tuple[Words, ...] = ()

    @property
    def before_shown(self) -> str:
        return self.before or str(messages.CHANGE_BLANK)

    @property
    def after_shown(self) -> str:
        return self.after or str(messages.CHANGE_BLANK)


@dataclass(frozen=True)
class Amendment:
    """A version and what it changed from the one before it (nothing, for the first)."""

    version: EntryVersion
    changes: list[FieldChange]

    @property
    def first(self) -> bool:
        return self.version.number == 1


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _position(version: EntryVersion) -> str:
    if version.latitude is None or version.longitude is None:
        return ""
    return f"{version.latitude}, {version.longitude}"


def _behaviours(version: EntryVersion) -> str:
    labels = dict(Behaviour.choices)
    return ", ".join(str(labels.get(code, code)) for code in version.behaviours)


def _channel(version: EntryVersion) -> str:
    return str(dict(Channel.choices).get(version.channel, version.channel))


def _yes_no(name: str) -> Callable[[EntryVersion], str]:
    def yes_no(version: EntryVersion) -> str:
        return str(messages.CHANGE_YES if getattr(version, name) else messages.CHANGE_NO)

    return yes_no


def _plain(name: str) -> Callable[[EntryVersion], str]:
    return lambda version: _text(getattr(version, name))


def _label(name: str) -> str:
    field = EntryVersion._meta.get_field(name)
    assert isinstance(field, models.Field)  # a column of the version's own
    return capfirst(str(field.verbose_name))


@dataclass(frozen=True)
class _Shown:
    """How one field (or a few read as one: when it happened, the map position) is told."""

    key: str
    sources: tuple[str, ...]
    label: Callable[[], str]
    words_of: Callable[[EntryVersion], str]
    long_text: bool = False


def _field(name: str, *, long_text: bool = False) -> _Shown:
    return _Shown(name, (name,), lambda: _label(name), _plain(name), long_text)


SHOWN: tuple[_Shown, ...] = (
    _Shown(
        "when",
        ("precision", "occurred_start", "occurred_end"),
        lambda: str(messages.CHANGE_WHEN),
        when,
    ),
    _field("location"),
    _Shown("position", ("latitude", "longitude"), lambda: str(messages.CHANGE_POSITION), _position),
    _Shown("behaviours", ("behaviours",), lambda: _label("behaviours"), _behaviours),
    _Shown("channel", ("channel",), lambda: _label("channel"), _channel),
    _field("what_happened", long_text=True),
    _field("words_used", long_text=True),
    _field("vehicle_registration"),
    _field("vehicle_make"),
    _field("vehicle_colour"),
    _field("clothing", long_text=True),
    _field("others_present", long_text=True),
    _field("impact", long_text=True),
    _Shown(
        "police_reported",
        ("police_reported",),
        lambda: _label("police_reported"),
        _yes_no("police_reported"),
    ),
    _field("police_reference"),
    _field("police_officer"),
    _field("police_said", long_text=True),
    _field("police_action", long_text=True),
)


def _changed(earlier: EntryVersion, later: EntryVersion, sources: Iterable[str]) -> bool:
    return any(getattr(earlier, name) != getattr(later, name) for name in sources)


def version_differences(earlier: EntryVersion, later: EntryVersion) -> list[FieldChange]:
    """Every field `later` tells differently from `earlier`, in the order the entry shows them;
    a field left alike is not listed."""
    changes = []
    for shown in SHOWN:
        if not _changed(earlier, later, shown.sources):
            continue
        before, after = shown.words_of(earlier), shown.words_of(later)
        if before == after:
            continue  # e.g. an end time dropped along with "between two times"
        words = word_changes(before, after) if shown.long_text and before and after else ()
        changes.append(FieldChange(shown.key, shown.label(), before, after, words))
    return changes


def amendments(versions: Iterable[EntryVersion]) -> list[Amendment]:
    """Each version, oldest first, with what it changed from the one before."""
    ordered = sorted(versions, key=lambda version: version.number)
    return [
        Amendment(version, version_differences(ordered[n - 1], version) if n else [])
        for n, version in enumerate(ordered)
    ]


def word_changes(before: str, after: str) -> tuple[Words, ...]:
    """`before` turned into `after`, word by word: alike, removed and added stretches, with a
    long alike stretch cut to the words either side of a change."""
    old, new = before.split(), after.split()
    pieces: list[Words] = []
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    opcodes = matcher.get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            text = _shortened(old[i1:i2], keep_start=index > 0, keep_end=index < len(opcodes) - 1)
            pieces.append(Words("same", text))
            continue
        if i2 > i1:
            pieces.append(Words("removed", " ".join(old[i1:i2])))
        if j2 > j1:
            pieces.append(Words("added", " ".join(new[j1:j2])))
    return tuple(pieces)


def _shortened(words: list[str], *, keep_start: bool, keep_end: bool) -> str:
    """An alike stretch, keeping CONTEXT_WORDS words next to each change it borders."""
    head = words[:CONTEXT_WORDS] if keep_start else []
    tail = words[-CONTEXT_WORDS:] if keep_end else []
    if len(head) + len(tail) >= len(words):
        return " ".join(words)
    return " ".join([*head, ELLIPSIS, *tail])
