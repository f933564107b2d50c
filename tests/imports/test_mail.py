"""E-mail exports read back: every message against what the sample generator wrote, DKIM
verdicts checked for real against a key the fake DNS publishes, and the bad files refused in
plain words."""

import io
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.imports.formats import mail
from diary.imports.formats.base import EMAIL, UNKNOWN, ImportProblem, Message, NeedsTimeZone
from tests.imports.samples.mail import (
    PNG,
    FakeDns,
    Sample,
    gmail_samples,
    mbox_bytes,
    message_bytes,
    received,
    write_mbox,
)
from tests.imports.samples.outlook import msg_bytes

HTML_ONLY_TEXT = "Only HTML here.\n\nSecond line & more"


def read(data: bytes, name: str, *, zone=None, dns=None) -> list[Message]:
    return list(mail.read(io.BytesIO(data), name=name, zone=zone, dns=dns or FakeDns("gmail.com")))


def expected_text(sample: Sample) -> str:
    return sample.text if sample.text else HTML_ONLY_TEXT


def assert_matches(message: Message, sample: Sample) -> None:
    assert message.channel == EMAIL
    assert message.direction == UNKNOWN
    assert message.party == sample.sender.lower()
    assert message.party_name == sample.sender_name
    assert message.sent_at == sample.sent_at
    assert message.sent_at.utcoffset() == sample.sent_at.utcoffset()
    assert message.text == expected_text(sample)
    assert message.message_id == sample.message_id
    assert message.identity == "id:" + sample.message_id
    got = [(a.name, a.content_type, a.size, a.open().read()) for a in message.attachments]
    assert got == [(name, kind, len(data), data) for name, kind, data in sample.attachments]
    # open() may be called again, and gives the same bytes.
    assert [a.open().read() for a in message.attachments] == [d for *_, d in sample.attachments]
    details = message.details
    assert details["subject"] == sample.subject
    assert details["to"] == [address.lower() for address in sample.to]
    assert details["cc"] == [address.lower() for address in sample.cc]
    assert details["received"] == sample.received
    assert details["message_id"] == sample.message_id
    dkim = details["dkim"]
    if sample.signed_by:
        assert [(v["domain"], v["selector"], v["result"], v["body_intact"]) for v in dkim] == [
            (sample.signed_by, "20230601", "pass", True)
        ]
    else:
        assert dkim == []


@pytest.mark.parametrize("index", range(len(gmail_samples())))
def test_an_eml_as_gmail_downloads_it_reads_as_written(index):
    sample = gmail_samples()[index]
    [message] = read(message_bytes(sample), "message.eml")
    assert_matches(message, sample)
    assert message.position == f"message {sample.message_id}"


def test_a_mailbox_reads_every_message_in_order_at_its_offset():
    samples = gmail_samples()
    out = io.BytesIO()
    offsets = write_mbox(out, [message_bytes(sample) for sample in samples])
    dns = FakeDns("gmail.com")
    messages = read(out.getvalue(), "Takeout.mbox", dns=dns)
    assert len(messages) == len(samples)
    for message, sample, offset in zip(messages, samples, offsets, strict=True):
        assert_matches(message, sample)
        assert message.position == f"offset {offset}"
        assert out.getvalue()[offset : offset + 5] == b"From "
    # One key lookup for the whole mailbox, not one per message.
    assert dns.asked == [b"20230601._domainkey.gmail.com."]


def test_body_lines_that_begin_from_are_quoted_in_the_file_and_read_back_as_written():
    sample = gmail_samples()[1]
    sample = replace(sample, transfer="quoted-printable", attachments=[])
    data = b"".join(mbox_bytes([message_bytes(sample)]))
    assert b"\n>From now on" in data and b"\n>>From the car" in data
    [message] = read(data, "Inbox.mbox")
    assert (
        message.text
        == "From now on I'll wait outside.\n>From the car you can see me.\nÇa suffit.\n"
    )
    assert message.details["dkim"][0]["result"] == "pass"


def test_an_unquoted_from_line_not_after_an_empty_line_stays_in_its_message():
    first, second = gmail_samples()[3], replace(gmail_samples()[3], message_id="<b@example.net>")
    data = b"".join(mbox_bytes([message_bytes(first), message_bytes(second)]))
    data = data.replace(b"No signature on this one.\n", b"No signature\nFrom here on.\n", 1)
    messages = read(data, "Thunderbird.mbox")
    assert [m.message_id for m in messages] == ["<unsigned.1@example.net>", "<b@example.net>"]
    assert messages[0].text == "No signature\nFrom here on.\n"


def test_a_changed_body_fails_and_says_the_body_was_changed():
    raw = message_bytes(gmail_samples()[0])
    changed = raw.replace(b"the light is on", b"the light is off", 1)
    assert changed != raw
    [message] = read(changed, "message.eml")
    [verdict] = message.details["dkim"]
    assert verdict["result"] == "fail"
    assert verdict["body_intact"] is False
    assert verdict["domain"] == "gmail.com"
    assert mail.dkim_in_words(message.details["dkim"]) == (
        "signed by gmail.com, but the body was changed"
    )


def test_a_changed_signed_header_fails_with_the_body_intact():
    raw = message_bytes(gmail_samples()[0])
    changed = raw.replace(b"Subject: Re: tonight", b"Subject: Re: today", 1)
    assert changed != raw
    [message] = read(changed, "message.eml")
    [verdict] = message.details["dkim"]
    assert (verdict["result"], verdict["body_intact"]) == ("fail", True)


def test_a_dns_failure_is_an_error_verdict_not_an_exception():
    dns = FakeDns(failure=TimeoutError("the resolver did not answer"))
    [message] = read(message_bytes(gmail_samples()[0]), "message.eml", dns=dns)
    [verdict] = message.details["dkim"]
    assert verdict["result"] == "error"
    assert "the resolver did not answer" in verdict["reason"]
    # The body hash needs no key: it is still known.
    assert verdict["body_intact"] is True
    assert datetime.fromisoformat(verdict["checked_at"]).tzinfo == UTC


def test_a_key_no_longer_published_is_an_error_saying_so():
    [message] = read(message_bytes(gmail_samples()[0]), "message.eml", dns=FakeDns())
    [verdict] = message.details["dkim"]
    assert verdict["result"] == "error"
    assert "no longer publishes the key" in verdict["reason"]


def test_the_verdict_in_words():
    [signed] = read(message_bytes(gmail_samples()[0]), "a.eml")
    [unsigned] = read(message_bytes(gmail_samples()[3]), "b.eml")
    assert mail.dkim_in_words(signed.details["dkim"]) == "signed by gmail.com, body intact"
    assert mail.dkim_in_words(unsigned.details["dkim"]) == "no signature"


def test_a_date_without_a_zone_gives_way_to_the_first_hops_stamp():
    at = datetime(2024, 5, 2, 8, 30, 1, tzinfo=ZoneInfo("America/New_York"))
    sample = replace(
        gmail_samples()[3],
        sent_at=at,
        date_header="Thu, 02 May 2024 08:30:00 -0000",
        received=[
            "by mx.example.org; Thu, 02 May 2024 12:30:05 +0000",
            "from laptop by smtp.example.net; Thu, 02 May 2024 08:30:01 -0400",
        ],
    )
    [message] = read(message_bytes(sample), "a.eml")
    assert message.sent_at == at
    assert message.sent_at.utcoffset() == timedelta(hours=-4)
    assert message.details["date"] == "Thu, 02 May 2024 08:30:00 -0000"


def test_no_date_at_all_takes_the_first_hops_stamp():
    sample = replace(gmail_samples()[3], date_header="")
    [message] = read(message_bytes(sample), "a.eml")
    first_hop = sample.received[-1].rpartition(";")[2]
    assert message.sent_at == datetime.strptime(first_hop.strip(), "%a, %d %b %Y %H:%M:%S %z")


def test_a_zoneless_date_with_nothing_else_asks_for_the_zone_and_reads_with_it():
    sample = replace(gmail_samples()[3], date_header="Thu, 02 May 2024 08:30:00 -0000", received=[])
    with pytest.raises(NeedsTimeZone):
        read(message_bytes(sample), "a.eml")
    [message] = read(message_bytes(sample), "a.eml", zone=ZoneInfo("Europe/London"))
    assert message.sent_at == datetime(2024, 5, 2, 8, 30, tzinfo=ZoneInfo("Europe/London"))


def test_no_date_and_no_received_is_a_problem():
    sample = replace(gmail_samples()[3], date_header="", received=[])
    with pytest.raises(ImportProblem, match="no date"):
        read(message_bytes(sample), "a.eml")


# -- skimming: who and when, without the body ---------------------------------------------


def skim_read(data: bytes, skim, dns=None) -> list[Message]:
    found = mail.read(io.BytesIO(data), name="Takeout.mbox", zone=None, dns=dns, skim=skim)
    return list(found)


def test_a_skimmed_message_gives_the_same_who_when_and_identity_as_one_read_whole():
    whole = read(mailbox(), "Takeout.mbox")
    dns = FakeDns("gmail.com")
    asked: list[str] = []
    skimmed = skim_read(mailbox(), lambda party: asked.append(party) or True, dns=dns)
    assert asked == [message.party for message in whole[:-1]]
    for message, read_whole in zip(skimmed, whole, strict=True):
        assert (message.party, message.party_name, message.sent_at) == (
            read_whole.party,
            read_whole.party_name,
            read_whole.sent_at,
        )
        assert (message.message_id, message.identity, message.position) == (
            read_whole.message_id,
            read_whole.identity,
            read_whole.position,
        )
    # The last message of a mailbox is read whole (a file cut short shows there); the rest
    # only as far as their headers: no words, no files, no DKIM key asked for.
    assert [message.skimmed for message in skimmed] == [True, True, True, False]
    assert all(
        (message.text, message.attachments, message.details) == ("", (), {})
        for message in skimmed[:-1]
    )
    assert dns.asked == []  # the last is unsigned
    assert skimmed[-1] == whole[-1]


def test_only_the_parties_asked_for_are_skimmed():
    wanted = "someone@example.net"
    found = skim_read(mailbox() + mailbox(), lambda party: party != wanted)
    for message in found:
        assert message.skimmed == (message.party != wanted and message is not found[-1])
    assert next(m.text for m in found if m.party == wanted) == gmail_samples()[3].text


def test_a_message_with_no_message_id_is_read_whole_even_when_skimmed():
    sample = replace(gmail_samples()[3], message_id="")
    data = b"".join(mbox_bytes([message_bytes(sample), message_bytes(gmail_samples()[0])]))
    first, _ = skim_read(data, lambda party: True)
    # Its identity is a hash of its words, so they are read.
    assert not first.skimmed
    assert first.text == sample.text


# -- bad files ---------------------------------------------------------------------------------


@cache
def mailbox() -> bytes:
    return b"".join(mbox_bytes([message_bytes(sample) for sample in gmail_samples()]))


def test_a_mailbox_cut_in_the_middle_of_a_line_is_refused():
    data = mailbox()
    with pytest.raises(ImportProblem, match="cut short"):
        read(data[: len(data) - 20], "Takeout.mbox")


def test_a_mailbox_cut_at_a_line_inside_a_multipart_message_is_refused():
    samples = gmail_samples()
    data = b"".join(mbox_bytes([message_bytes(samples[0]), message_bytes(samples[1])]))
    cut = data.index(b"Content-Type: application/pdf")
    with pytest.raises(ImportProblem, match="cut short"):
        read(data[:cut], "Takeout.mbox")


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "Takeout.mbox", "empty"),
        (b"", "message.eml", "empty"),
        (PNG, "Takeout.mbox", "not a mailbox"),
        (b"Dear diary,\nnothing today.\n", "note.eml", "not an e-mail"),
        (PNG, "message.eml", "not an e-mail"),
        (b"From: a@b.example\r\n\r\nhi", "message.msg", "not an Outlook message"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "broken.msg", "cannot be read"),
    ],
)
def test_files_that_are_not_what_they_say_are_refused_in_plain_words(data, name, words):
    with pytest.raises(ImportProblem, match=words) as problem:
        read(data, name)
    assert type(problem.value) is ImportProblem
    assert "Traceback" not in str(problem.value)


def big_sample() -> Sample:
    return replace(
        gmail_samples()[3],
        attachments=[("video.mp4", "video/mp4", b"\x00" * (mail.MESSAGE_CAP + 1024))],
    )


def test_an_eml_over_the_cap_is_refused():
    with pytest.raises(ImportProblem, match="larger than 50 MB"):
        read(message_bytes(big_sample()), "huge.eml")


def test_a_message_over_the_cap_in_a_mailbox_is_refused_naming_its_offset():
    samples = gmail_samples()
    out = io.BytesIO()
    offsets = write_mbox(out, [message_bytes(samples[0]), message_bytes(big_sample())])
    reader = mail.read(io.BytesIO(out.getvalue()), name="a.mbox", zone=None, dns=FakeDns())
    assert next(reader).message_id == samples[0].message_id
    with pytest.raises(ImportProblem, match=f"offset {offsets[1]} .* larger than 50 MB"):
        next(reader)


@pytest.mark.slow
def test_a_large_mailbox_is_read_in_bounded_memory(tmp_path):
    """200 MB of mail, read message by message: the reader holds one at a time."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    attachment = bytes(range(256)) * 400  # 100 kB, base64 in the file
    template = gmail_samples()[1]

    def messages():
        for number in range(150):  # ~140 kB each
            at = start + timedelta(minutes=number)
            sample = replace(
                template,
                sent_at=at,
                message_id=f"<big.{number}@mail.gmail.com>",
                received=received(2, at),
                attachments=[("scan.bin", "application/octet-stream", attachment)],
            )
            yield message_bytes(sample)

    # 150 signed messages, the same block written ten times over: the reader does not mind.
    block = b"".join(mbox_bytes(messages()))
    path = tmp_path / "big.mbox"
    with path.open("wb") as handle:
        for _ in range(10):
            handle.write(block)
    size = path.stat().st_size
    del block
    count = 0
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            for message in mail.read(stream, name="big.mbox", zone=None, dns=FakeDns("gmail.com")):
                count += 1
                assert message.details["dkim"][0]["result"] == "pass"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size >= 200 * 1000 * 1000
    assert count == 1500
    assert peak < 40 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB for a {size / 2**20:.0f} MB file"


# -- Outlook .msg ------------------------------------------------------------------------------


def transport_headers(sample: Sample) -> str:
    """The header block Outlook keeps with a received message, DKIM-Signature and all."""
    signed = message_bytes(sample).split(b"\r\n\r\n", 1)[0].decode("ascii")
    return signed + "\r\n\r\n"


def test_an_outlook_msg_reads_as_written():
    sample = replace(
        gmail_samples()[1],
        attachments=[*gmail_samples()[1].attachments, ("scan.bin", "application/x", bytes(9000))],
    )
    [message] = read(msg_bytes(sample, transport_headers(sample)), "Re ça suffit.msg")
    assert message.channel == EMAIL
    assert message.direction == UNKNOWN
    assert message.party == sample.sender
    assert message.party_name == sample.sender_name
    # Outlook keeps the time in UTC: the same moment.
    assert message.sent_at == sample.sent_at
    assert message.text == sample.text
    assert message.message_id == sample.message_id
    assert message.position == f"message {sample.message_id}"
    got = [(a.name, a.content_type, a.open().read()) for a in message.attachments]
    assert got == sample.attachments
    assert message.details["subject"] == sample.subject
    assert message.details["to"] == sample.to
    assert message.details["received"] == sample.received
    # The signature is there, but not the bytes it signed: said, not guessed.
    [verdict] = message.details["dkim"]
    assert (verdict["domain"], verdict["result"]) == ("gmail.com", "error")
    assert "Outlook" in verdict["reason"]


@settings(max_examples=150, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=10_000),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    name=st.sampled_from(["a.eml", "a.mbox", "a.msg", "a"]),
)
def test_damaged_mail_gives_messages_or_words_never_a_crash(cut, flips, name):
    data = bytearray(mailbox()[: cut + 1])
    for where, byte in flips:
        if where < len(data):
            data[where] = byte
    try:
        read(bytes(data), name)
    except ImportProblem as problem:
        assert str(problem)


def test_a_forwarded_message_is_one_attachment_as_it_came():
    inner = message_from_bytes(message_bytes(gmail_samples()[3]), policy=policy.SMTP)
    outer = EmailMessage(policy=policy.SMTP)
    outer["From"] = "Her Sister <her.sister@example.org>"
    outer["Date"] = "Mon, 12 Feb 2024 09:00:00 +0000"
    outer["Message-ID"] = "<fwd.1@example.org>"
    outer["Subject"] = "Fwd: unsigned"
    outer.set_content("He sent this to me too.\n")
    outer.add_attachment(inner)
    [message] = read(outer.as_bytes(), "fwd.eml")
    assert message.text == "He sent this to me too.\n"
    [attachment] = message.attachments
    assert attachment.content_type == "message/rfc822"
    forwarded = message_from_bytes(attachment.open().read(), policy=policy.default)
    assert forwarded["Message-ID"] == "<unsigned.1@example.net>"
    assert forwarded.get_content().replace("\r\n", "\n") == "No signature on this one.\n"
