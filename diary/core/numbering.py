"""The next number in a series (entries #1, #2…; evidence E001…; versions; bundles).

Numbers are handed out inside the writer's transaction, after it has locked the diary, so two
writers never take the same one; a unique constraint on each series says so to the database.
"""

from typing import Any

from django.db.models import Max, QuerySet


def next_number(series: QuerySet[Any]) -> int:
    """One more than the highest `number` in `series` (1 for an empty one)."""
    return (series.aggregate(top=Max("number"))["top"] or 0) + 1
