"""The WhatsApp reader against exports made in every layout and date spelling phones write,
message by message, and against the bad files an owner might upload."""

import contextlib
import io
import tracemalloc
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.imports.formats import archives, whatsapp
from diary.imports.formats.base import SOCIAL_MEDIA, UNKNOWN, ImportProblem, NeedsTimeZone
from tests.imports.samples import whatsapp as samples

LONDON = ZoneInfo("Europe/London")
KEYS = [spelling.key for spelling in samples.SPELLINGS]


def read(data: bytes, name: str, zone: ZoneInfo | None = LONDON, **options):
    return list(whatsapp.read(io.BytesIO(data), name=name, zone=zone, **options))


def check(messages, expected, *, chat: str = "Bob"):
    assert len(messages) == len(expected)
    for message, want in zip(messages, expected, strict=True):
        assert message.channel == SOCIAL_MEDIA
        assert message.direction == UNKNOWN
        assert (message.party, message.party_name) == (want.sender, want.sender)
        assert message.sent_at == want.when.replace(tzinfo=LONDON)
        assert message.sent_at.utcoffset() is not None
        assert message.text == want.text
        assert message.position == f"line {want.line}"
        assert message.details["app"] == "WhatsApp"
        assert message.details.get("chat") == chat
        assert message.details.get("media_omitted", False) is want.omitted
        assert message.details.get("deleted", False) is want.deleted
        assert message.details.get("files", []) == ([want.file_name] if want.file_name else [])
        if want.file_bytes is None:
            assert message.attachments == ()
        else:
            (attachment,) = message.attachments
            assert attachment.name == want.file_name
            assert attachment.size == len(want.file_bytes)
            assert attachment.content_type in {"image/jpeg", "application/pdf"}
            for _ in range(2):  # it may be opened more than once
                with attachment.open() as opened:
                    assert opened.read() == want.file_bytes


@pytest.mark.parametrize("key", KEYS)
def test_txt_every_message_in_every_spelling(tmp_path, key):
    spelling = samples.BY_KEY[key]
    path = tmp_path / "WhatsApp Chat with Bob.txt"
    expected = samples.write_txt(path, spelling)
    assert len(expected) == 10
    check(read(path.read_bytes(), path.name), expected)


@pytest.mark.parametrize("key", KEYS)
def test_zip_with_media_in_every_spelling(tmp_path, key):
    spelling = samples.BY_KEY[key]
    path = tmp_path / samples.zip_name(spelling)
    expected = samples.write_zip(path, spelling)
    assert sum(1 for want in expected if want.file_bytes) == 2
    with path.open("rb") as stream:
        messages = list(whatsapp.read(stream, name=path.name, zone=LONDON))
        check(messages, expected)


@pytest.mark.parametrize("key", ["android-gb", "iphone-us"])
def test_zip_without_media(tmp_path, key):
    spelling = samples.BY_KEY[key]
    path = tmp_path / samples.zip_name(spelling)
    expected = samples.write_zip(path, spelling, media=False)
    assert sum(1 for want in expected if want.omitted) == 3
    check(read(path.read_bytes(), path.name), expected)


def test_zip_made_again_with_a_folder():
    spelling = samples.BY_KEY["iphone-gb"]
    text, expected, files = samples.chat_text(spelling, in_zip=True)
    members = {f"Bob/{name}": data for name, data in files.items()}
    members["Bob/_chat.txt"] = text.encode()
    members["__MACOSX/Bob/._chat.txt"] = b"\x00\x05\x16\x07"
    members["Bob/notes.txt"] = b"a document someone sent"
    check(read(samples.zip_bytes(members), "WhatsApp Chat - Bob.zip"), expected)


def test_windows_line_endings_and_a_byte_order_mark(tmp_path):
    path = tmp_path / "WhatsApp Chat with Bob.txt"
    expected = samples.write_txt(path, samples.BY_KEY["android-us"], crlf=True, bom=True)
    check(read(path.read_bytes(), path.name), expected)


def test_a_chat_name_is_not_guessed_from_other_file_names(tmp_path):
    path = tmp_path / "chat.txt"
    expected = samples.write_txt(path, samples.BY_KEY["iphone-gb"])
    messages = read(path.read_bytes(), "chat.txt")
    assert "chat" not in messages[0].details
    assert [m.text for m in messages] == [want.text for want in expected]


def test_no_zone_asks_for_one():
    text, _, _ = samples.chat_text(samples.BY_KEY["android-gb"])
    with pytest.raises(NeedsTimeZone, match=r"time zone"):
        read(text.encode(), "chat.txt", zone=None)


def test_ambiguous_dates_are_asked_about_then_read_as_told():
    data, wanted = samples.ambiguous_chat()
    with pytest.raises(whatsapp.NeedsDateOrder, match=r"day or the month comes first"):
        read(data, "chat.txt")
    messages = read(data, "chat.txt", day_first=True)
    assert [(m.party, m.sent_at, m.text) for m in messages] == [
        (sender, when.replace(tzinfo=LONDON), text) for sender, when, text in wanted
    ]
    month_first = read(data, "chat.txt", day_first=False)
    assert month_first[0].sent_at == datetime(2023, 3, 4, 9, 15, tzinfo=LONDON)


def test_told_order_that_the_file_contradicts():
    text, _, _ = samples.chat_text(samples.BY_KEY["android-gb"])
    with pytest.raises(ImportProblem, match=r"^Line 1: .*not a date if the month comes first"):
        read(text.encode(), "chat.txt", day_first=False)


def test_day_first_and_month_first_in_one_file():
    data, line = samples.conflicting_chat()
    with pytest.raises(ImportProblem, match=rf"^Line {line}: .*other way round from line 1"):
        read(data, "chat.txt")


@pytest.mark.parametrize(
    ("line_text", "words"),
    [
        ("13/13/2023, 21:03 - Bob: hi", "'13/13/2023, 21:03' is not a real date"),
        ("31/02/2024, 21:03 - Bob: hi", "not a date if the day comes first|not a real date"),
        ("31/12/2023, 25:03 - Bob: hi", "'31/12/2023, 25:03' is not a real time"),
        ("31/12/2023, 13:03 PM - Bob: hi", "is not a real time"),
    ],
)
def test_impossible_dates_name_their_line(line_text, words):
    data, line = samples.with_line(samples.BY_KEY["android-gb"], line_text)
    with pytest.raises(ImportProblem, match=rf"^Line {line}: .*({words})") as raised:
        read(data, "chat.txt")
    assert raised.value.line == line


@pytest.mark.parametrize(
    "first", ["[31/12/2023 21h03] Bob: hi", "2023/31/12 21:03 Bob: hi", "31 Dec 2023, 21:03 - Bob"]
)
def test_unknown_date_spelling(first):
    with pytest.raises(ImportProblem, match=r"^Line 1: the date and time at the start") as raised:
        read((first + "\nmore\n").encode(), "chat.txt")
    assert raised.value.line == 1


def test_not_a_chat_at_all():
    with pytest.raises(ImportProblem, match=r"^Line 1: notes.txt is not a WhatsApp chat"):
        read(b"Shopping list\nmilk\n", "notes.txt")


def test_only_notices_gives_nothing():
    data = b"31/12/2023, 21:03 - Messages and calls are end-to-end encrypted.\n"
    assert read(data, "chat.txt") == []


def test_summer_time_gap_and_fold():
    messages = read(samples.dst_chat(), "chat.txt")
    utc = [m.sent_at.astimezone(ZoneInfo("UTC")).strftime("%m-%d %H:%M") for m in messages]
    # 01:30 did not exist: read with the offset before the change (GMT), i.e. 01:30 UTC.
    # 01:10 and 01:50 are the first (BST); 01:20 after 01:50 can only be the second (GMT).
    assert utc == ["03-31 00:59", "03-31 01:30", "10-27 00:10", "10-27 00:50", "10-27 01:20"]
    assert [m.details.get("zone_note", "") for m in messages] == [
        "",
        "skipped",
        "repeated",
        "repeated",
        "repeated",
    ]


# Bad files.


def test_empty_file():
    with pytest.raises(ImportProblem, match=r"^chat.txt is empty \(0 bytes\)"):
        read(b"", "chat.txt")
    with pytest.raises(ImportProblem, match=r"^c.zip is empty \(0 bytes\)"):
        read(b"", "c.zip")


def test_picture_named_txt():
    with pytest.raises(ImportProblem, match=r"^chat.txt is a PNG picture, not the WhatsApp chat"):
        read(samples.PNG, "chat.txt")


def test_zip_that_is_not_a_zip():
    text, _, _ = samples.chat_text(samples.BY_KEY["android-gb"])
    with pytest.raises(ImportProblem, match=r"^chat.zip is not a zip archive"):
        read(text.encode(), "chat.zip")
    with pytest.raises(ImportProblem, match=r"^chat.zip is a JPEG picture, not a zip archive"):
        read(samples.JPEG, "chat.zip")


def test_a_zip_named_txt_is_read_as_the_zip_it_is():
    expected_zip = samples.good_zip_bytes()
    messages = read(expected_zip, "WhatsApp Chat with Bob.txt")
    assert len(messages) == 10
    assert messages[4].attachments


def test_not_utf8_names_the_line():
    data, line = samples.latin1_chat()
    with pytest.raises(ImportProblem, match=rf"^Line {line}: chat.txt is not UTF-8 text"):
        read(data, "chat.txt")


def test_truncated_zip():
    with pytest.raises(ImportProblem, match=r"^chat.zip is damaged or cut short"):
        read(samples.truncated_zip(), "chat.zip")


def test_damaged_member():
    with pytest.raises(ImportProblem, match=r"^chat.zip is damaged or cut short"):
        read(samples.corrupt_member_zip(), "chat.zip")


def test_zip_bomb_by_ratio():
    data = samples.bomb_zip()
    assert len(data) < 100_000
    with pytest.raises(ImportProblem, match=r"^chat.zip would grow far larger"):
        read(data, "chat.zip")


def test_zip_bomb_by_total(monkeypatch):
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 100)
    with pytest.raises(ImportProblem, match=r"^chat.zip would be 0.0 GB opened"):
        read(samples.good_zip_bytes(), "chat.zip")


def test_zip_whose_headers_lie_about_its_size():
    data = samples.lying_bomb_zip()
    with pytest.raises(ImportProblem, match=r"^chat.zip (is damaged|holds more)"):
        read(data, "chat.zip")


@pytest.mark.parametrize(
    "member", ["../evil.jpg", "media/../../evil.jpg", "/etc/evil.jpg", "media\\..\\evil.jpg"]
)
def test_path_that_climbs_out(member):
    with pytest.raises(ImportProblem, match=r"points outside the archive") as raised:
        read(samples.climbing_zip(member), "chat.zip")
    assert repr(member) in str(raised.value)


def test_too_many_members(monkeypatch):
    monkeypatch.setattr(archives, "MAX_MEMBERS", 50)
    with pytest.raises(ImportProblem, match=r"^chat.zip holds 52 files, more than an export"):
        read(samples.many_members_zip(51), "chat.zip")


def test_zip_without_a_chat():
    with pytest.raises(ImportProblem, match=r"^chat.zip holds no WhatsApp chat"):
        read(samples.zip_bytes({"IMG-1.jpg": samples.JPEG}), "chat.zip")


def test_zip_whose_chat_is_a_picture():
    with pytest.raises(ImportProblem, match=r"^_chat.txt in chat.zip is a PNG picture"):
        read(samples.zip_bytes({"_chat.txt": samples.PNG}), "chat.zip")


def test_problems_are_only_import_problems():
    # Anything the reader trips over comes out in words, not as a traceback.
    for data in [b"\xff\xfe\x00\x00", b"PK\x03\x04" + b"\x00" * 40, b"[" * 10]:
        with pytest.raises(ImportProblem):
            read(data, "chat.txt")


# A 50,000-message chat, read in bounded memory.

BIG = 50_000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    return (
        samples.write_big(folder / "_chat.txt", BIG),
        samples.write_big(folder / "WhatsApp Chat - Bob.zip", BIG, as_zip=True),
    )


@pytest.mark.slow
@pytest.mark.parametrize("which", [0, 1])
def test_big_chat_every_message_in_bounded_memory(big, which):
    path = big[which]
    tracemalloc.start()
    try:
        count = 0
        with path.open("rb") as stream:
            wanted = samples.big_expected(samples.BY_KEY["iphone-gb"], BIG)
            for message, want in zip(
                whatsapp.read(stream, name=path.name, zone=LONDON), wanted, strict=True
            ):
                assert (message.party, message.text, message.position) == (
                    want.sender,
                    want.text,
                    f"line {want.line}",
                )
                assert message.sent_at == want.when.replace(tzinfo=LONDON)
                assert message.details.get("media_omitted", False) is want.omitted
                count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == BIG
    size = big[0].stat().st_size
    assert size > 4_000_000
    assert peak < size / 10, (peak, size)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300)
    | st.lists(
        st.sampled_from(
            [
                "31/12/2023, 21:03 - Bob: hi",
                "[1/2/23, 9:03:15\u202fPM] A: x",
                "13/13/2023, 1:00 - ",
                "\u200e",
                "\xe9",
                "",
            ]
        )
        | st.text(max_size=30),
        max_size=8,
    ).map(lambda lines: "\n".join(lines).encode())
)
def test_any_bytes_give_messages_or_a_problem(data):
    for name in ("chat.txt", "chat.zip"):
        with contextlib.suppress(ImportProblem):
            read(data, name)
