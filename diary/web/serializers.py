"""Input fields every API shares: kinds of behaviour, and times within the years that make sense."""

from datetime import datetime
from typing import Any

from django.db import models
from rest_framework import serializers

from diary.messages import DEVICE_TIME_BAD, WHEN_TOO_EARLY, YEAR_OUT_OF_RANGE
from diary.models.choices import Behaviour
from diary.models.times import YearOutOfRange, device_clock, in_utc


class BehavioursField(serializers.ListField):
    child = serializers.ChoiceField(choices=Behaviour.choices)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", len(Behaviour.choices))
        super().__init__(**kwargs)


class BoundedDateTimeField(serializers.DateTimeField):
    """A time within the years a diary holds (diary.models.times), kept in UTC."""

    default_error_messages = {
        "too_early": WHEN_TOO_EARLY,
        "range": YEAR_OUT_OF_RANGE,
        "overflow": YEAR_OUT_OF_RANGE,
    }

    def to_internal_value(self, value: Any) -> datetime:
        parsed = super().to_internal_value(value)
        try:
            return in_utc(parsed)
        except YearOutOfRange as problem:
            self.fail("too_early" if problem.too_early else "range")


class DeviceClockField(serializers.DateTimeField):
    """The device's own clock as it sent this, as the device claims it: ISO 8601 with its UTC
    offset. Shown as the device's claim, never trusted for anything."""

    default_error_messages = {"device_time": DEVICE_TIME_BAD}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault(
            "help_text",
            "What this device's clock said as it sent this, in ISO 8601 with its UTC offset "
            "(2026-10-25T01:30:00+01:00). Kept and shown as the device's claim only.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> datetime:
        try:
            return device_clock(value if isinstance(value, str | datetime) else str(value))
        except ValueError:
            self.fail("device_time")


class InputModelSerializer(serializers.ModelSerializer):
    """A model's fields as input, with every time bounded."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: BoundedDateTimeField,
    }
