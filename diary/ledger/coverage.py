"""What the ledger covers beyond each record's own row: the pointers and copies the bundle
prints that live on rows no record names (docs/trust-model.md).

An entry's `current` names its latest version, and the diary's title and time zone are copies
of its latest settings change (or, for a diary of ledger content version 2 with none, of the
ones it was made with, which its own record holds). verify_ledger calls `first_inconsistency`
once a diary's chain has checked out, so a changed pointer or copy is named by the record
that says what it should be.
"""

from django.db import models
from django.db.models import F, OuterRef, Subquery

from diary.models import Diary, DiarySettingsChange, Entry, EntryVersion

DIARY_SETTINGS_CHANGED = "the diary's title or time zone is not the one its ledger last recorded"


def _label(model: type[models.Model], pk: int) -> str:
    return f"{model._meta.label_lower}:{pk}"


def first_inconsistency(diary: Diary, seq_of: dict[str, int]) -> tuple[int, str] | None:
    """(the seq of the record that says otherwise, why) for the first copy or pointer that
    disagrees with the ledger; None when every one agrees. Three queries a diary at most."""
    return _settings_mismatch(diary, seq_of) or _current_mismatch(diary, seq_of)


def _settings_mismatch(diary: Diary, seq_of: dict[str, int]) -> tuple[int, str] | None:
    latest = DiarySettingsChange.objects.filter(diary=diary).order_by("-pk").first()
    if latest is not None:
        expected, label = (latest.title, latest.time_zone), _label(DiarySettingsChange, latest.pk)
    elif diary.ledger_v >= 2:
        expected, label = (diary.created_title, diary.created_time_zone), _label(Diary, diary.pk)
    else:
        return None  # a diary made before version 2, never changed: its record holds neither
    # Read again, not from `diary`: the caller's copy may be older than the row.
    row = Diary.objects.only("title", "time_zone").get(pk=diary.pk)
    if (row.title, row.time_zone) != expected:
        return seq_of.get(label, 0), DIARY_SETTINGS_CHANGED
    return None


def _current_mismatch(diary: Diary, seq_of: dict[str, int]) -> tuple[int, str] | None:
    latest = EntryVersion.objects.filter(entry=OuterRef("pk")).order_by("-number").values("pk")[:1]
    wrong = (
        Entry.objects.filter(diary=diary)
        .annotate(latest=Subquery(latest))
        .exclude(current_id=F("latest"))
        .order_by("number")
        .values_list("number", "latest")
        .first()
    )
    if wrong is None:
        return None
    number, latest_pk = wrong
    return (
        seq_of.get(_label(EntryVersion, latest_pk), 0),
        f"entry #{number} is not shown at its latest version",
    )
