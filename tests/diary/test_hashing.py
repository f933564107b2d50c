"""Canonical JSON and times: the spelling every ledger hash rests on, and that the offline
verifier (standard library only) repeats, must not change when the code gets faster."""

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from diary.core.hashing import canonical_json, iso

ANY_OFFSET = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60)
)


@given(st.datetimes(min_value=datetime(1, 1, 2), timezones=ANY_OFFSET))
def test_times_are_spelled_as_strftime_spells_them_in_utc(value):
    assert iso(value) == value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_time_on_the_second_still_has_microseconds():
    assert iso(datetime(2026, 3, 1, 9, 30, tzinfo=UTC)) == "2026-03-01T09:30:00.000000Z"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_canonical_json_is_what_the_standard_library_makes(value):
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(value) == expected.encode()


def test_content_values_are_json_value_of_each_field():
    from decimal import Decimal

    from diary.models import EntryVersion, json_value

    version = EntryVersion(
        entry_id=7,
        number=2,
        precision="range",
        occurred_start=datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        occurred_end=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        location="Mill Road",
        latitude=Decimal("52.2"),
        longitude=Decimal("0.1375"),
        behaviours=["loitering", "watching"],
        what_happened="He waited by the gate.",
        police_reported=True,
    )
    expected = {name: json_value(getattr(version, name)) for name in version.CONTENT_FIELDS}
    assert version.content() == expected
    assert expected["occurred_start"] == "2026-03-01T08:30:00.000000Z"
    assert expected["latitude"] == "52.200000"


SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
SHORT_ESCAPES["\r"] = "\\r"


def written_from_the_spec(value: object) -> str:
    """docs/ledger.md's canonical JSON, rule by rule, with no json module: what a second
    verifier written from the page alone would make."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        out = []
        for character in value:
            if character in SHORT_ESCAPES:
                out.append(SHORT_ESCAPES[character])
            elif ord(character) < 0x20:
                out.append(f"\\u{ord(character):04x}")
            else:
                out.append(character)
        return '"' + "".join(out) + '"'
    if isinstance(value, list):
        return "[" + ",".join(written_from_the_spec(item) for item in value) + "]"
    assert isinstance(value, dict)
    members = sorted(value.items())  # Python compares strings by code point, as the page says
    return (
        "{"
        + ",".join(f"{written_from_the_spec(k)}:{written_from_the_spec(v)}" for k, v in members)
        + "}"
    )


# Valid Unicode text only: a lone surrogate cannot be written as UTF-8 at all.
TEXT = st.text(st.characters(exclude_categories=("Cs",)))
SPEC_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda children: st.lists(children) | st.dictionaries(TEXT, children),
    max_leaves=20,
)


@given(SPEC_VALUES)
def test_canonical_json_is_byte_for_byte_what_the_spec_says(value):
    assert canonical_json(value) == written_from_the_spec(value).encode("utf-8")


def test_the_spec_on_the_characters_people_get_wrong():
    value = {"b": "a/b \u00e9 \U0001f600 \x7f \x1f \u2028", "a": ['"\\', "\b\t\n\f\r"]}
    assert (
        canonical_json(value)
        == (
            '{"a":["\\"\\\\","\\b\\t\\n\\f\\r"],"b":"a/b \u00e9 \U0001f600 \x7f \\u001f \u2028"}'
        ).encode()
    )
