"""The rules every recorded time follows, and how a value is written into canonical JSON."""

import functools
import operator
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from diary import messages
from diary.core.hashing import iso
from diary.models.choices import Precision

# A time outside these years is a typo; and an odd offset (+20:03) in year 1 or 9999 overflows
# on the way to UTC, or is refused by PostgreSQL. Every way in (pages, API, models) asks here.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100


class YearOutOfRange(ValueError):
    """A time whose year no diary holds: before EARLIEST_YEAR (`too_early`) or after
    LATEST_YEAR."""

    def __init__(self, *, too_early: bool) -> None:
        super().__init__("too early" if too_early else "too late")
        self.too_early = too_early


def in_utc(moment: datetime) -> datetime:
    """`moment` in UTC, if its year is one a diary holds; YearOutOfRange otherwise."""
    if moment.year < EARLIEST_YEAR:
        raise YearOutOfRange(too_early=True)
    if moment.year > LATEST_YEAR:
        raise YearOutOfRange(too_early=False)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise YearOutOfRange(too_early=moment.year <= EARLIEST_YEAR) from None


def device_clock(value: str | datetime) -> datetime:
    """What a device said its clock read, in UTC: ISO 8601 with its UTC offset (a time without
    one could be in any zone), in a year a diary holds. ValueError for anything else."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("no UTC offset")
    try:
        return in_utc(moment)
    except YearOutOfRange:
        raise ValueError("year out of range") from None


def check_times(instance: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    """Errors for times in the future (beyond a little clock drift) or absurdly long ago;
    good times are converted to UTC on the instance."""
    errors: dict[str, Any] = {}
    latest_allowed = timezone.now() + timedelta(minutes=settings.FUTURE_TOLERANCE_MINUTES)
    for name in names:
        value = getattr(instance, name)
        if value is None:
            continue
        if value > latest_allowed:
            errors[name] = messages.WHEN_IN_FUTURE
            continue
        try:
            # Store UTC: an odd offset (+20:03) is legal in ISO 8601 but not in PostgreSQL.
            setattr(instance, name, in_utc(value))
        except YearOutOfRange:
            errors[name] = messages.WHEN_TOO_EARLY
    return errors


def check_device_time(instance: Any) -> dict[str, Any]:
    """The device's claimed clock: any time a diary could hold, kept in UTC. Never compared
    with the server's clock: a device's clock is only ever its claim."""
    if instance.device_time is None:
        return {}
    try:
        instance.device_time = in_utc(instance.device_time)
    except YearOutOfRange:
        return {"device_time": messages.DEVICE_TIME_BAD}
    return {}


def check_occurrence(instance: Any) -> dict[str, Any]:
    """The rules for "when it happened": exact, approximate, or a range with an end."""
    errors = check_times(instance, ("occurred_start", "occurred_end"))
    if instance.precision == Precision.RANGE:
        if instance.occurred_end is None:
            errors.setdefault("occurred_end", messages.RANGE_NEEDS_END)
        elif instance.occurred_start and instance.occurred_end < instance.occurred_start:
            errors.setdefault("occurred_end", messages.END_BEFORE_START)
    elif instance.occurred_end is not None:
        errors.setdefault("occurred_end", messages.END_ONLY_FOR_RANGE)
    return errors


def json_value(value: Any) -> Any:
    """A field value as canonical JSON holds it: times in UTC, decimals to six places."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return f"{value:.6f}"
    return value


def json_values(obj: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    """`{name: json_value(obj.name)}` for each name, at half the cost (verify_ledger builds
    this for every version it checks; docs/performance.md): only the names whose fields hold
    times or decimals go through json_value."""
    get, typed = _json_plan(type(obj), names)
    values = dict(zip(names, get(obj), strict=True))
    for name in typed:
        values[name] = json_value(values[name])
    return values


@functools.cache
def _json_plan(
    model: type[models.Model], names: tuple[str, ...]
) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[str, ...]]:
    get = operator.attrgetter(*names)
    typed = tuple(
        name
        for name in names
        if isinstance(model._meta.get_field(name), models.DateTimeField | models.DecimalField)
    )
    return (get if len(names) > 1 else lambda obj: (get(obj),)), typed
