"""The SMS Backup & Restore reader, against backups laid out as the app writes them."""

import base64
import hashlib
import io
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.imports.formats.base import ImportProblem, Message, NeedsTimeZone
from diary.imports.formats.sms import mend_references, normalise_address, read
from tests.imports.samples import sms as samples


class Trickle(io.RawIOBase):
    """A file that hands out at most `most` bytes a read, as a slow upload might, and counts
    how much has been read."""

    def __init__(self, data: bytes, most: int) -> None:
        self._data = io.BytesIO(data)
        self._most = most
        self.taken = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._data.read(self._most if size < 0 else min(size, self._most))
        self.taken += len(data)
        return data


def read_all(data: bytes | IO[bytes], name: str = "sms-20261204211403.xml") -> list[Message]:
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    return list(read(stream, name=name, zone=None))


def assert_as_written(got: list[Message], written: list[samples.Written]) -> None:
    assert [m.position for m in got] == [w.position for w in written]
    for message, expected in zip(got, written, strict=True):
        where = expected.position
        assert message.channel == expected.channel, where
        assert message.direction == expected.direction, where
        assert message.party == expected.party, where
        assert message.party_name == expected.party_name, where
        assert message.sent_at == expected.sent_at, where
        assert message.sent_at.utcoffset() is not None, where
        assert message.text == expected.text, where
        assert message.message_id == expected.message_id, where
        assert message.details["line"] == expected.line, where
        for key, value in expected.details.items():
            assert message.details.get(key) == value, (where, key)
        # Nothing claimed that the file does not say: a status only where one was written.
        assert ("status" in message.details) == ("status" in expected.details), where
        assert [(a.name, a.content_type, a.size) for a in message.attachments] == [
            (name, kind, len(data)) for name, kind, data in expected.attachments
        ], where
        for attachment, (_, _, data) in zip(message.attachments, expected.attachments, strict=True):
            with attachment.open() as first:
                assert first.read() == data, where
            with attachment.open() as again:
                assert again.read() == data, where


def test_every_text_and_mms_is_read_as_written() -> None:
    data, written = samples.sms_backup()
    assert_as_written(read_all(data), written)


def test_every_call_is_read_as_written() -> None:
    data, written = samples.calls_backup()
    got = read_all(data, "calls-20261204211403.xml")
    assert_as_written(got, written)
    assert all(m.text == "" and not m.attachments for m in got)


@pytest.mark.parametrize("most", [1, 2, 7, 13, 4096])
def test_the_same_messages_whatever_size_the_reads(most: int) -> None:
    # A reference, or the two halves of an emoji, split across two reads is mended all the same.
    data, written = samples.sms_backup()
    assert_as_written(read_all(Trickle(data, most)), written)  # type: ignore[arg-type]


def test_the_app_really_writes_emoji_as_halves_that_plain_xml_parsers_refuse() -> None:
    data, _ = samples.sms_backup()
    assert b"&#55357;&#56864;" in data  # 😠 as SMS Backup & Restore spells it
    with pytest.raises(ET.ParseError):
        ET.fromstring(data)  # noqa: S314 (the project's own sample)
    texts = [m.text for m in read_all(data)]
    assert "I know you're at your sister's 😠\nAnswer me. 👀👀" in texts
    assert "Tabs\tand\r\nWindows lines, Привет, 🏳️‍🌈, 𝄞" in texts


@pytest.mark.parametrize(
    ("written", "mended"),
    [
        (b"&#55357;&#56832;", b"&#128512;"),  # 😀
        (b"&#xD83D;&#xDE00;", b"&#128512;"),
        (b"&#xd83d;&#56832;", b"&#128512;"),
        (b"a &#10;b&#55358;&#56800;c", b"a &#10;b&#129504;c"),  # 🧠
        (b"&#55357;x&#56832;", b"&#65533;x&#65533;"),  # halves apart: nothing to join
        (b"&#56832;&#55357;", b"&#65533;&#65533;"),  # the wrong way round
        (b"&#55357;", b"&#65533;"),
        (b"&#55357;&#55357;&#56832;", b"&#65533;&#128512;"),
        (b"&#0;&#7;&#65535;", b"&#65533;&#65533;&#65533;"),  # XML forbids these too
        (b"&#9;&#13;&amp;&#233;&#128512;", b"&#9;&#13;&amp;&#233;&#128512;"),
        (b"no references at all", b"no references at all"),
    ],
)
def test_character_references_are_mended(written: bytes, mended: bytes) -> None:
    assert mend_references(written) == mended


def test_control_characters_in_a_text_become_replacement_characters() -> None:
    data = samples.HEADER.format(xsl="sms.xsl") + '<smses count="1">\n'
    data += samples.sms_line("+447700900123", samples.START, 1, "bell\x07 end", "Sam", "uk")
    data += "</smses>\n"
    [message] = read_all(data.encode())
    assert message.text == "bell\ufffd end"


@pytest.mark.parametrize(
    ("written", "party"),
    [
        ("+44 (0)7700 900-123", "+4407700900123"),
        ("(202) 555.0143", "2025550143"),
        ("*#06#", "*#06#"),
        (" Sam@example.org ", "Sam@example.org"),
        ("Bank-Info", "Bank-Info"),
        ("", ""),
    ],
)
def test_numbers_are_spelled_one_way(written: str, party: str) -> None:
    assert normalise_address(written) == party


@pytest.mark.parametrize("case", sorted(samples.bad_inputs()))
def test_bad_input_gets_plain_words(case: str) -> None:
    name, data, words = samples.bad_inputs()[case]
    with pytest.raises(ImportProblem) as raised:
        read_all(data, name)
    assert type(raised.value) is ImportProblem  # never NeedsTimeZone: the times are UTC
    assert str(raised.value).startswith(words)
    assert "Traceback" not in str(raised.value)


def test_a_damaged_file_gives_what_came_before_the_damage_then_says_where() -> None:
    name, data, _ = samples.bad_inputs()["broken tag"]
    messages = read(io.BytesIO(data), name=name, zone=None)
    assert next(messages).position == "sms 1"
    with pytest.raises(ImportProblem, match="is damaged here"):
        list(messages)


def test_the_billion_laughs_are_never_expanded() -> None:
    _, data, _ = samples.bad_inputs()["billion laughs"]
    tracemalloc.start()
    try:
        with pytest.raises(ImportProblem):
            read_all(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_messages_come_as_the_file_is_read_not_after() -> None:
    lines = [
        samples.sms_line("+447700900123", samples.large_moment(i), 1, f"text {i}", "Sam", "uk")
        for i in range(5_000)
    ]
    data = (
        samples.HEADER.format(xsl="sms.xsl") + '<smses count="5000">\n' + "".join(lines)
    ).encode() + b"</smses>\n"
    stream = Trickle(data, 1 << 20)
    messages = read(stream, name="sms.xml", zone=None)  # type: ignore[arg-type]
    assert next(messages).text == "text 0"
    assert stream.taken < 200_000 < len(data)
    assert sum(1 for _ in messages) == 4_999


def test_attachments_outlive_the_read_and_open_side_by_side() -> None:
    data, written = samples.sms_backup()
    [photo] = next(m for m in read_all(data) if m.position == "mms 1").attachments
    expected = written[12].attachments[0][2]
    first, second = photo.open(), photo.open()
    assert first.read(100) + second.read(100) == expected[:100] * 2
    assert first.read() == expected[100:]
    second.seek(0)
    assert second.read() == expected


def test_a_zone_given_changes_nothing() -> None:
    from zoneinfo import ZoneInfo

    data, written = samples.calls_backup()
    got = list(read(io.BytesIO(data), name="calls.xml", zone=ZoneInfo("Asia/Tokyo")))
    assert [m.sent_at for m in got] == [w.sent_at for w in written]
    assert not issubclass(ImportProblem, NeedsTimeZone)


@pytest.mark.slow
def test_a_large_backup_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "sms-20261204211403.xml"
    texts, pictures = samples.large_backup(path)
    size = path.stat().st_size
    digests = [hashlib.sha256(samples.large_picture(i)).digest() for i in range(pictures)]
    sms = mms = 0
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            for message in read(stream, name=path.name, zone=None):
                if message.position.startswith("sms"):
                    assert message.position == f"sms {sms + 1}"
                    assert message.text == samples.large_text(sms)
                    assert message.sent_at == samples.large_moment(sms)
                    assert message.direction == ("incoming", "outgoing")[sms % 2]
                    sms += 1
                else:
                    assert message.position == f"mms {mms + 1}"
                    assert message.text == f"look {mms}"
                    [picture] = message.attachments
                    digest = hashlib.sha256()
                    with picture.open() as bytes_:
                        while block := bytes_.read(1 << 16):
                            digest.update(block)
                    assert digest.digest() == digests[mms]
                    mms += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (sms, mms) == (texts, pictures)
    assert size > 190_000_000
    # Less than the one 6 MB picture: its base64 goes from the stream to the disk in chunks, and
    # nothing grows with the file (measured: about 1.2 MB).
    assert peak < 4_000_000, peak


def one_mms(part: str, then_sms: str = "after") -> bytes:
    mms = samples.mms_lines(
        moment=samples.START,
        box=1,
        address="+447700900123",
        m_id="null",
        contact="Sam",
        spelling="uk",
        parts=[part],
        addrs=[("+447700900123", 137)],
    )
    after = samples.sms_line("+447700900123", samples.START, 1, then_sms, "Sam", "uk")
    return (
        samples.HEADER.format(xsl="sms.xsl") + '<smses count="2">\n' + mms + after + "</smses>\n"
    ).encode()


def test_base64_wrapped_over_lines_or_in_single_quotes_is_read_and_lines_stay_the_files() -> None:
    photo = samples.picture("wrapped", 3_000)
    encoded = base64.encodebytes(photo).decode()  # 76 characters a line
    wrapped = one_mms(
        samples.part_line("0", "image/jpeg", "a.jpg", "a.jpg")[:-4] + f' data="{encoded}" />\n'
    )
    quoted = one_mms(
        samples.part_line("0", "image/jpeg", "a.jpg", "a.jpg")[:-4]
        + f" data='{base64.b64encode(photo).decode()}' />\n"
    )
    for data in (wrapped, quoted):
        mms, sms = read_all(data)
        [picture] = mms.attachments
        assert picture.open().read() == photo
        assert sms.text == "after"
        assert sms.details["line"] == data[: data.index(b'body="after"')].count(b"\n") + 1


def test_a_text_that_looks_like_a_data_attribute_is_only_text() -> None:
    words = 'my data="QUJD" and data=" ok'
    [mms, sms] = read_all(
        one_mms(samples.part_line("0", "text/plain", "null", "t.txt", text=words), words)
    )
    assert mms.text == words
    assert sms.text == words


def test_a_part_whose_data_is_null_is_missing_not_three_bytes() -> None:
    part = samples.part_line("0", "image/jpeg", "gone.jpg", "gone.jpg")[:-4] + ' data="null" />\n'
    [mms, _] = read_all(one_mms(part))
    assert mms.attachments == ()
    assert mms.details["parts_not_in_backup"] == ["gone.jpg"]


def test_a_file_cannot_point_at_another_parts_picture() -> None:
    # What the reader puts in place of a diverted picture cannot be guessed by the file.
    photo = samples.part_line("0", "image/jpeg", "a.jpg", "a.jpg", data=b"\xff\xd8\xff")
    forged = samples.part_line("1", "image/jpeg", "b.jpg", "b.jpg")[:-4] + " data='@spool:0' />\n"
    with pytest.raises(ImportProblem, match=r"its part “b\.jpg” is damaged"):
        read_all(one_mms(photo + forged))


def test_a_contact_card_kept_as_text_is_an_attachment_and_unpadded_base64_is_read() -> None:
    card = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Sam\r\nTEL:+447700900123\r\nEND:VCARD\r\n"
    vcard = samples.part_line("0", "text/x-vCard", "Sam.vcf", "Sam.vcf", text=card)
    unpadded = samples.part_line("1", "image/png", "p.png", "p.png")[:-4] + ' data="iVBORw" />\n'
    [mms, _] = read_all(one_mms(vcard + unpadded))
    assert [(a.name, a.content_type, a.open().read()) for a in mms.attachments] == [
        ("Sam.vcf", "text/x-vcard", card.encode()),
        ("p.png", "image/png", b"\x89PNG"),
    ]


def test_a_time_past_any_calendar_gets_plain_words() -> None:
    data = samples.HEADER.format(xsl="calls.xsl") + '<calls count="1">\n'
    data += '  <call number="1" duration="0" date="99999999999999999999" type="1" />\n</calls>\n'
    with pytest.raises(ImportProblem, match=r"^Line 5: call 1 has a time no calendar reaches"):
        read_all(data.encode())


# Every character but the UTF-16 halves, and U+FFFE and U+FFFF, which XML has no way to write.
_WRITABLE = st.characters(exclude_categories=["Cs"], exclude_characters="\ufffe\uffff")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(_WRITABLE, max_size=30), min_size=1, max_size=5), st.integers(1, 40))
def test_any_words_come_back_exactly_however_the_file_is_cut(texts: list[str], most: int) -> None:
    lines = [
        samples.sms_line("+447700900123", samples.START, 1, text, "Sam", "uk") for text in texts
    ]
    data = samples.HEADER.format(xsl="sms.xsl") + '<smses count="1">\n' + "".join(lines)
    data += "</smses>\n"
    got = [m.text for m in read_all(Trickle(data.encode(), most))]  # type: ignore[arg-type]
    unwritable = {chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"}
    assert got == ["".join("\ufffd" if c in unwritable else c for c in t) for t in texts]
