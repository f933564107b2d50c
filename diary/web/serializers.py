"""Input fields every API shares: kinds of behaviour, and times within the years that make sense."""

from datetime import UTC, datetime
from typing import Any

from django.db import models
from rest_framework import serializers

from diary.messages import WHEN_TOO_EARLY, YEAR_OUT_OF_RANGE
from diary.models import (
    EARLIEST_YEAR,
)
from diary.models.choices import Behaviour


class BehavioursField(serializers.ListField):
    child = serializers.ChoiceField(choices=Behaviour.choices)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", len(Behaviour.choices))
        super().__init__(**kwargs)


# Input
LATEST_YEAR = 2100


class BoundedDateTimeField(serializers.DateTimeField):
    """A time between 1900 and 2100, kept in UTC. Outside those years it is a typo, and an odd
    offset (+20:03) in year 1 or 9999 overflows or is refused by PostgreSQL: stop it here."""

    default_error_messages = {
        "too_early": WHEN_TOO_EARLY,
        "range": YEAR_OUT_OF_RANGE,
        "overflow": YEAR_OUT_OF_RANGE,
    }

    def to_internal_value(self, value: Any) -> datetime:
        parsed = super().to_internal_value(value)
        if parsed.year < EARLIEST_YEAR:
            self.fail("too_early")
        if parsed.year > LATEST_YEAR:
            self.fail("range")
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            self.fail("range")


class InputModelSerializer(serializers.ModelSerializer):
    """A model's fields as input, with every time bounded."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: BoundedDateTimeField,
    }
