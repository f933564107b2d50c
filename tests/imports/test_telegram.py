"""The Telegram reader against exports made as Telegram Desktop writes them, message by
message, and against bad files."""

import contextlib
import io
import json
import tracemalloc
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.imports.formats import telegram
from diary.imports.formats.base import (
    INCOMING,
    OUTGOING,
    PHONE_CALL,
    SOCIAL_MEDIA,
    UNKNOWN,
    ImportProblem,
    NeedsTimeZone,
)
from tests.imports.samples import telegram as samples
from tests.imports.samples.whatsapp import PNG

BERLIN = ZoneInfo("Europe/Berlin")


def read(data: bytes, name: str = "result.json", zone: ZoneInfo | None = None):
    return list(telegram.read(io.BytesIO(data), name=name, zone=zone))


def unix(raw: dict, key: str = "date") -> datetime:
    return datetime.fromtimestamp(int(raw[f"{key}_unixtime"]), UTC)


def check(messages, *, owner: bool, in_zip: bool, chat_id: int = samples.CHAT_ID):
    raws = {raw["id"]: raw for raw in samples.messages()}
    assert len(messages) == len(samples.EXPECTED)
    for message, (mid, party, party_name, text, files, call) in zip(
        messages, samples.EXPECTED, strict=True
    ):
        raw = raws[mid]
        assert message.position == f"message {mid}"
        assert message.message_id == f"telegram:{chat_id}:{mid}"
        assert message.sent_at == unix(raw)
        assert message.text == text
        assert message.details["app"] == "Telegram"
        assert message.details["chat"] == "Bob"
        assert message.details.get("files", []) == files
        mine = party == f"user{samples.OWNER_ID}"
        if owner and mine:
            assert message.direction == OUTGOING
            assert (message.party, message.party_name) == (f"user{samples.CHAT_ID}", "Bob")
        else:
            assert message.direction == (INCOMING if owner else UNKNOWN)
            assert (message.party, message.party_name) == (party, party_name)
        if call:
            assert message.channel == PHONE_CALL
            assert message.details["kind"] == call
            assert message.details["duration"] == 0
        else:
            assert message.channel == SOCIAL_MEDIA
        if "edited" in raw:
            assert message.details["edited"] == unix(raw, "edited").isoformat()
        assert message.details.get("file_not_included", False) is (
            raw.get("photo") == samples.NOT_INCLUDED
        )
        if in_zip:
            assert [a.name for a in message.attachments] == [f.rsplit("/", 1)[1] for f in files]
            for attachment, path in zip(message.attachments, files, strict=True):
                assert attachment.size == len(samples.FILES[path])
                with attachment.open() as opened:
                    assert opened.read() == samples.FILES[path]
        else:
            assert message.attachments == ()


def test_single_chat_every_message(tmp_path):
    path = samples.write_json(tmp_path / "result.json")
    check(read(path.read_bytes()), owner=False, in_zip=False)


def test_times_in_the_zone_given_are_the_same_moments():
    messages = read(samples.dumps(samples.single_chat()), zone=BERLIN)
    assert messages[1].sent_at.tzinfo == BERLIN
    assert messages[1].sent_at == unix(samples.messages()[1])


def test_whole_account_export_knows_the_owner():
    messages = read(samples.dumps(samples.full_export()))
    check(messages[:-1], owner=True, in_zip=False)
    group = messages[-1]
    assert (group.text, group.direction, group.party, group.message_id) == (
        "in the group",
        INCOMING,
        f"user{samples.CHAT_ID}",
        "telegram:99:1",
    )
    assert group.details["chat_type"] == "private_group"


def test_zip_of_the_export_folder_gives_its_files():
    check(read(samples.zip_bytes(), "Telegram export.zip"), owner=False, in_zip=True)
    check(read(samples.zip_bytes(folder=""), "export.zip"), owner=False, in_zip=True)


def test_old_export_without_unix_times_needs_a_zone():
    document = samples.single_chat()
    for raw in document["messages"]:
        raw.pop("date_unixtime")
        raw.pop("edited_unixtime", None)
    data = samples.dumps(document)
    with pytest.raises(NeedsTimeZone):
        read(data)
    messages = read(data, zone=BERLIN)
    assert messages[1].sent_at == unix(samples.messages()[1])


def test_compact_json_and_tiny_chunks(monkeypatch):
    # Values split across every possible chunk boundary.
    monkeypatch.setattr(telegram, "CHUNK", 7)
    data = json.dumps(samples.single_chat(), ensure_ascii=True, separators=(",", ":")).encode()
    check(read(data), owner=False, in_zip=False)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", r"^result.json is empty \(0 bytes\)"),
        (PNG, r"^result.json is a PNG picture, not Telegram's export"),
        (b"hello there", r"^result.json is not Telegram's export"),
        (b"[1, 2, 3]", r"^result.json is not Telegram's export"),
        (b'{"about": "x"}', r"^result.json holds no Telegram chat"),
        (samples.truncated(), r"^result.json is damaged or cut short"),
        (
            b'{"id": 1, "messages": [{"id": 5, x' + b" " * 300_000 + b"}]}",
            r"^result.json is damaged",
        ),
        (b'{"messages": []}', r"^result.json gives a chat's messages before"),
        (b'{"id": 1, "messages": [1]}', r"^result.json holds a message that is not one"),
        (b'{"id": 1, "messages": []} {}', r"^result.json goes on after its end"),
        ('{"id": 1, "name": "caf\xe9"}'.encode("latin-1"), r"^result.json is not UTF-8"),
        (
            b'{"id": 1, "messages": [{"id": 5, "type": "message", "text": "x"}]}',
            r"^The time of message 5 is missing",
        ),
    ],
)
def test_bad_files(data, words):
    with pytest.raises(ImportProblem, match=words):
        read(data)


def test_zip_without_result_json():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/a.jpg", b"x")
    with pytest.raises(ImportProblem, match=r"^e.zip holds no Telegram export"):
        read(buffer.getvalue(), "e.zip")


BIG = 50_000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    return samples.write_big(tmp_path_factory.mktemp("big") / "result.json", BIG)


@pytest.mark.slow
def test_big_chat_every_message_in_bounded_memory(big):
    tracemalloc.start()
    try:
        count = 0
        with big.open("rb") as stream:
            for message, (position, party, sent_at, text) in zip(
                telegram.read(stream, name="result.json", zone=None),
                samples.big_expected(BIG),
                strict=True,
            ):
                assert (message.position, message.party, message.sent_at, message.text) == (
                    position,
                    party,
                    sent_at,
                    text,
                )
                count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == BIG
    size = big.stat().st_size
    assert size > 8_000_000
    assert peak < size / 10, (peak, size)


def test_deep_nesting():
    with pytest.raises(ImportProblem, match="nests deeper"):
        read(b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300)
    | st.from_regex(r'\{"id": 1, "messages": \[.{0,80}', fullmatch=True).map(str.encode)
)
def test_any_bytes_give_messages_or_a_problem(data):
    with contextlib.suppress(ImportProblem):
        read(data, zone=BERLIN)
