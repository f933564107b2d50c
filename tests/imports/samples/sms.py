"""Backups as Android's "SMS Backup & Restore" (SyncTech) writes them: `sms-<stamp>.xml` with
texts and MMS, and `calls-<stamp>.xml` with the call log. The layout is the app's own: its XML
declaration with single quotes and standalone='yes', the "File Created By" comment, the
stylesheet line, one element a line indented by two spaces, its attribute order, "null" for an
empty field, "(Unknown)" for a number not in her contacts, readable dates in the phone's
language, and (the app's old flaw) a character outside the Basic Multilingual Plane, an emoji,
written as its two UTF-16 halves, each a character reference.

Each generator gives back the file's bytes and what it wrote, as a reader should give it back
(`Written`): the expected values are spelled out here, not worked out by the reader's rules.
"""

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

HEADER = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
    "<!--File Created By SMS Backup & Restore v10.20.002 on 04/12/2026 21:14:03-->\n"
    '<?xml-stylesheet type="text/xsl" href="{xsl}"?>\n'
)
BACKUP_SET = "7d3f2a1e-5b6c-4d8e-9f0a-1b2c3d4e5f60"
BACKUP_DATE = "1796418843000"
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


_SPECIAL = re.compile("[&<>\"'\x00-\x1f\U00010000-\U0010ffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def _escape_one(found: re.Match[str]) -> str:
    char = found.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x20:
        return f"&#{code};"
    code -= 0x10000
    return f"&#{0xD800 + (code >> 10)};&#{0xDC00 + (code & 0x3FF)};"


def escape(text: str) -> str:
    """An attribute value as SMS Backup & Restore writes it (Android's XmlSerializer): the
    five XML escapes, control characters as decimal references, and a character past U+FFFF
    as two references, one for each UTF-16 half."""
    return _SPECIAL.sub(_escape_one, text)


def attributes(pairs: list[tuple[str, str]]) -> str:
    return " ".join(f'{key}="{escape(value)}"' for key, value in pairs)


def ms(moment: datetime) -> str:
    return str((moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1))


def readable(moment: datetime, spelling: str) -> str:
    """readable_date as phones in three languages spell it (the phone's own zone)."""
    if spelling == "us":
        local = moment.astimezone(NEW_YORK)
        hour = local.hour % 12 or 12
        half = "AM" if local.hour < 12 else "PM"
        return f"{local:%b} {local.day}, {local.year} {hour}:{local:%M:%S} {half}"
    if spelling == "de":
        return f"{moment.astimezone(BERLIN):%d.%m.%Y %H:%M:%S}"
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%b %Y %H:%M:%S}"


@dataclass(frozen=True)
class Written:
    """One message or call as the file holds it, as the reader should give it back."""

    position: str
    channel: str
    direction: str
    party: str
    party_name: str
    sent_at: datetime
    text: str
    line: int
    message_id: str = ""
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # name, content type, bytes
    details: dict[str, object] = field(default_factory=dict)  # these keys, these values


def picture(seed: str, size: int) -> bytes:
    """Bytes that start and end as a JPEG does, different for every seed."""
    body = hashlib.shake_256(seed.encode()).digest(max(0, size - 6))
    return b"\xff\xd8\xff\xe0" + body + b"\xff\xd9"


START = datetime(2026, 3, 28, 23, 30, 0, 250_000, tzinfo=UTC)  # the night the clocks go forward


def _at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


SMS_FIELDS_AFTER_BODY = [("toa", "null"), ("sc_toa", "null")]


def sms_line(
    address: str,
    moment: datetime,
    kind: int,
    body: str,
    contact: str,
    spelling: str,
    *,
    subject: str = "null",
    date_sent: str = "0",
) -> str:
    return (
        "  <sms "
        + attributes(
            [
                ("protocol", "0"),
                ("address", address),
                ("date", ms(moment)),
                ("type", str(kind)),
                ("subject", subject),
                ("body", body),
                *SMS_FIELDS_AFTER_BODY,
                ("service_center", "+447958879879" if kind == 1 else "null"),
                ("read", "1"),
                ("status", "-1"),
                ("locked", "0"),
                ("date_sent", date_sent),
                ("sub_id", "1"),
                ("readable_date", readable(moment, spelling)),
                ("contact_name", contact),
            ]
        )
        + " />\n"
    )


SMIL = (
    '<smil><head><layout><root-layout/><region id="Image" fit="meet" top="0" left="0" '
    'height="80%" width="100%"/><region id="Text" top="80%" left="0" height="20%" '
    'width="100%"/></layout></head><body><par dur="5000ms"><img src="{image}" '
    'region="Image"/><text src="text_0.txt" region="Text"/></par></body></smil>'
)


def part_line(
    seq: str, ct: str, name: str, cl: str, *, text: str = "null", data: bytes | None = None
) -> str:
    pairs = [
        ("seq", seq),
        ("ct", ct),
        ("name", name),
        ("chset", "106" if ct.startswith("text/") else "null"),
        ("cd", "null"),
        ("fn", "null"),
        ("cid", f"<{cl.rsplit('.', 1)[0]}>"),
        ("cl", cl),
        ("ctt_s", "null"),
        ("ctt_t", "null"),
        ("text", text),
    ]
    if data is not None:
        pairs.append(("data", base64.b64encode(data).decode()))
    return "      <part " + attributes(pairs) + " />\n"


def mms_lines(
    *,
    moment: datetime,
    box: int,
    address: str,
    m_id: str,
    contact: str,
    spelling: str,
    parts: list[str],
    addrs: list[tuple[str, int]],
    sub: str = "null",
) -> str:
    head = attributes(
        [
            ("date", ms(moment)),
            ("ct_t", "application/vnd.wap.multipart.related"),
            ("msg_box", str(box)),
            ("rr", "null"),
            ("sub", sub),
            ("read_status", "null"),
            ("address", address),
            ("m_id", m_id),
            ("m_cls", "personal"),
            ("sub_cs", "null"),
            ("resp_st", "null" if box == 1 else "128"),
            ("creator", "com.google.android.apps.messaging"),
            ("retr_st", "null"),
            ("d_tm", "null"),
            ("text_only", "0"),
            ("exp", "604800" if box == 1 else "null"),
            ("locked", "0"),
            ("st", "null"),
            ("retr_txt_cs", "null"),
            ("retr_txt", "null"),
            ("d_rpt", "129"),
            ("date_sent", "0"),
            ("read", "1"),
            ("rpt_a", "null"),
            ("ct_cls", "null"),
            ("pri", "129"),
            ("sub_id", "1"),
            ("resp_txt", "null"),
            ("ct_l", "null"),
            ("m_size", "0"),
            ("v", "18"),
            ("m_type", "132" if box == 1 else "128"),
            ("seen", "1"),
            ("tr_id", "T" + hashlib.md5(m_id.encode(), usedforsecurity=False).hexdigest()[:12]),
            ("sim_slot", "1"),
            ("readable_date", readable(moment, spelling)),
            ("contact_name", contact),
        ]
    )
    addr_lines = "".join(
        "      <addr "
        + attributes([("address", a), ("type", str(t)), ("charset", "106")])
        + " />\n"
        for a, t in addrs
    )
    return (
        f"  <mms {head}>\n    <parts>\n"
        + "".join(parts)
        + "    </parts>\n    <addrs>\n"
        + addr_lines
        + "    </addrs>\n  </mms>\n"
    )


def _lines_before(text: str) -> int:
    return text.count("\n") + 1


def sms_backup() -> tuple[bytes, list[Written]]:
    """A sms-*.xml with an SMS of every type, MMS with pictures, a group MMS, and emoji."""
    from diary.imports.formats.base import INCOMING, OUTGOING, TEXT, UNKNOWN

    body = ""
    written: list[Written] = []
    sms_count = mms_count = 0

    def add_sms(
        address: str,
        party: str,
        contact: str,
        name: str,
        kind: int,
        direction: str,
        text: str,
        minutes: int,
        spelling: str,
        details: dict[str, object],
        **extra: str,
    ) -> None:
        nonlocal body, sms_count
        sms_count += 1
        moment = _at(minutes)
        line = _lines_before(HEADER + "<smses>\n" + body)
        body += sms_line(address, moment, kind, text, contact, spelling, **extra)
        written.append(
            Written(
                f"sms {sms_count}",
                TEXT,
                direction,
                party,
                name,
                moment,
                text,
                line,
                details={"readable_date": readable(moment, spelling), **details},
            )
        )

    sam, sam_spelled = "+447700900123", "+44 7700 900-123"
    add_sms(
        sam_spelled,
        sam,
        "Sam",
        "Sam",
        1,
        INCOMING,
        "Where are you?",
        0,
        "uk",
        {},
        date_sent=ms(_at(0) - timedelta(seconds=3)),
    )
    add_sms(
        sam,
        sam,
        "Sam",
        "Sam",
        1,
        INCOMING,
        "I know you're at your sister's 😠\nAnswer me. 👀👀",
        1,
        "uk",
        {},
    )
    add_sms(sam, sam, "Sam", "Sam", 2, OUTGOING, "Please stop texting me.", 2, "uk", {})
    add_sms(
        "(0)7700 900123",
        "07700900123",
        "(Unknown)",
        "",
        1,
        INCOMING,
        'New number. You can\'t block me. <3 & "love"',
        3,
        "us",
        {},
    )
    add_sms(sam, sam, "Sam", "Sam", 3, OUTGOING, "draft I never sent", 4, "de", {"status": "draft"})
    add_sms(sam, sam, "Sam", "Sam", 4, OUTGOING, "in the outbox", 5, "de", {"status": "outbox"})
    add_sms(sam, sam, "Sam", "Sam", 5, OUTGOING, "failed to send", 6, "de", {"status": "failed"})
    add_sms(sam, sam, "Sam", "Sam", 6, OUTGOING, "queued", 7, "de", {"status": "queued"})
    add_sms("AMAZON", "AMAZON", "null", "", 1, INCOMING, "Your parcel is on its way", 8, "us", {})
    add_sms(
        sam, sam, "Sam", "Sam", 1, INCOMING, "", 9, "uk", {"subject": "RE: us"}, subject="RE: us"
    )
    add_sms(
        sam,
        sam,
        "Sam",
        "Sam",
        1,
        INCOMING,
        "Tabs\tand\r\nWindows lines, Привет, 🏳️‍🌈, 𝄞",
        10,
        "us",
        {},
    )
    add_sms(
        sam, sam, "Sam", "Sam", 9, UNKNOWN, "a type no phone writes", 11, "uk", {"status": "type 9"}
    )

    photo = picture("mms-photo", 23_456)
    video = picture("mms-video", 5_000)
    caption = "Nice car you've got 🚗. Parked on Elm St."
    mms_count += 1
    line = _lines_before(HEADER + "<smses>\n" + body)
    body += mms_lines(
        moment=_at(20),
        box=1,
        address=sam,
        m_id="mavodi-1-89-1f-3-1e-ed-1d-a-6c-4-0-0-1-1",
        contact="Sam",
        spelling="uk",
        parts=[
            part_line(
                "-1", "application/smil", "null", "smil.xml", text=SMIL.format(image="IMG_0042.jpg")
            ),
            part_line("0", "image/jpeg", "IMG_0042.jpg", "IMG_0042.jpg", data=photo),
            part_line("0", "text/plain", "null", "text_0.txt", text=caption),
        ],
        addrs=[(sam, 137), ("+447700900999", 151)],
    )
    written.append(
        Written(
            f"mms {mms_count}",
            TEXT,
            INCOMING,
            sam,
            "Sam",
            _at(20),
            caption,
            line,
            message_id="mavodi-1-89-1f-3-1e-ed-1d-a-6c-4-0-0-1-1",
            attachments=(("IMG_0042.jpg", "image/jpeg", photo),),
            details={"from": sam, "to": ["+447700900999"]},
        )
    )

    # A group MMS she was in: from Sam to her and two friends; and one she sent to the group.
    group = ["+447700900999", "+447700900555", "+12025550143"]
    mms_count += 1
    line = _lines_before(HEADER + "<smses>\n" + body)
    body += mms_lines(
        moment=_at(30),
        box=1,
        address="~".join([sam, *group]),
        m_id="null",
        contact="Sam, Jo, Alex",
        spelling="us",
        parts=[
            part_line(
                "-1", "application/smil", "null", "smil.xml", text=SMIL.format(image="clip.3gp")
            ),
            part_line("0", "video/3gpp", "null", "clip.3gp", data=video),
            part_line("0", "text/plain", "null", "text_0.txt", text="Tell her"),
            part_line("1", "text/plain", "null", "text_1.txt", text="what she did 🙄"),
            part_line("2", "audio/amr", "null", "null"),  # the app kept no data for it
        ],
        addrs=[
            (sam, 137),
            ("+44 7700 900999", 151),
            ("+447700900555", 151),
            ("+1 (202) 555-0143", 130),
        ],
    )
    written.append(
        Written(
            f"mms {mms_count}",
            TEXT,
            INCOMING,
            sam,
            "Sam, Jo, Alex",
            _at(30),
            "Tell her\nwhat she did 🙄",
            line,
            attachments=(("clip.3gp", "video/3gpp", video),),
            details={"from": sam, "to": group, "parts_not_in_backup": ["part-2.amr"]},
        )
    )
    mms_count += 1
    line = _lines_before(HEADER + "<smses>\n" + body)
    body += mms_lines(
        moment=_at(31),
        box=2,
        address="~".join([sam, *group[1:]]),
        m_id="BQwAA4kKrsMc7hU",
        contact="Sam, Alex",
        spelling="uk",
        sub="Stop",
        parts=[part_line("0", "text/plain", "null", "text_0.txt", text="Leave my friends out")],
        addrs=[
            ("insert-address-token", 137),
            (sam, 151),
            ("+447700900555", 151),
            ("+12025550143", 151),
        ],
    )
    written.append(
        Written(
            f"mms {mms_count}",
            TEXT,
            OUTGOING,
            "+12025550143, +447700900123, +447700900555",
            "Sam, Alex",
            _at(31),
            "Leave my friends out",
            line,
            message_id="BQwAA4kKrsMc7hU",
            details={"subject": "Stop", "to": [sam, "+447700900555", "+12025550143"]},
        )
    )
    # A picture with no words, sent by her.
    mms_count += 1
    line = _lines_before(HEADER + "<smses>\n" + body)
    shot = picture("screenshot", 1_000)
    body += mms_lines(
        moment=_at(40),
        box=2,
        address=sam,
        m_id="null",
        contact="Sam",
        spelling="de",
        parts=[part_line("0", "image/png", "null", "null", data=shot)],
        addrs=[("insert-address-token", 137), (sam, 151)],
    )
    written.append(
        Written(
            f"mms {mms_count}",
            TEXT,
            OUTGOING,
            sam,
            "Sam",
            _at(40),
            "",
            line,
            attachments=(("part-0.png", "image/png", shot),),
        )
    )
    add_sms(sam, sam, "Sam", "Sam", 1, INCOMING, "Last one, after the MMS", 50, "uk", {})
    add_sms(
        "+33 6 12 34 56 78",
        "+33612345678",
        "Sam 🐍 (work)",
        "Sam 🐍 (work)",
        1,
        INCOMING,
        "🐍",
        51,
        "de",
        {},
    )

    head = HEADER.format(xsl="sms.xsl") + (
        f'<smses count="{sms_count + mms_count}" backup_set="{BACKUP_SET}" '
        f'backup_date="{BACKUP_DATE}" type="full">\n'
    )
    # Lines were counted against a header of the same number of lines.
    assert head.count("\n") == (HEADER + "<smses>\n").count("\n")
    return (head + body + "</smses>\n").encode(), written


def calls_backup() -> tuple[bytes, list[Written]]:
    """A calls-*.xml with a call of every type, and a withheld number."""
    from diary.imports.formats.base import INCOMING, OUTGOING, PHONE_CALL, UNKNOWN

    rows = [
        # number as written, party, type, duration, presentation, contact, name, direction, kind
        ("+447700900123", "+447700900123", 1, 184, 1, "Sam", "Sam", INCOMING, "incoming"),
        ("+44 7700 900123", "+447700900123", 2, 7, 1, "Sam", "Sam", OUTGOING, "outgoing"),
        ("+447700900123", "+447700900123", 3, 0, 1, "Sam", "Sam", INCOMING, "missed"),
        ("+447700900123", "+447700900123", 4, 31, 1, "Sam", "Sam", INCOMING, "voicemail"),
        ("07700-900123", "07700900123", 5, 0, 1, "(Unknown)", "", INCOMING, "rejected"),
        ("+447700900123", "+447700900123", 6, 0, 1, "Sam", "Sam", INCOMING, "blocked"),
        ("", "", 3, 0, 2, "(Unknown)", "", INCOMING, "missed"),
        ("-2", "", 1, 12, 2, "null", "", INCOMING, "incoming"),
        ("+447700900123", "+447700900123", 8, 0, 1, "Sam", "Sam", UNKNOWN, "unknown"),
    ]
    head = HEADER.format(xsl="calls.xsl") + (
        f'<calls count="{len(rows)}" backup_set="{BACKUP_SET}" backup_date="{BACKUP_DATE}" '
        'type="full">\n'
    )
    body = ""
    written = []
    for index, (number, party, kind, duration, shown, contact, name, direction, call) in enumerate(
        rows, 1
    ):
        moment = _at(60 + 17 * index) + timedelta(milliseconds=index)
        spelling = ("uk", "us", "de")[index % 3]
        line = _lines_before(head + body)
        body += (
            "  <call "
            + attributes(
                [
                    ("number", number),
                    ("duration", str(duration)),
                    ("date", ms(moment)),
                    ("type", str(kind)),
                    ("presentation", str(shown)),
                    ("subscription_id", "89440000000000000001"),
                    ("post_dial_digits", ""),
                    (
                        "subscription_component_name",
                        "com.android.phone/com.android.services.telephony.TelephonyConnectionService",
                    ),
                    ("readable_date", readable(moment, spelling)),
                    ("contact_name", contact),
                ]
            )
            + " />\n"
        )
        details: dict[str, object] = {
            "call": call,
            "duration_seconds": duration,
            "readable_date": readable(moment, spelling),
        }
        if shown == 2:
            details["presentation"] = "withheld"
        written.append(
            Written(
                f"call {index}",
                PHONE_CALL,
                direction,
                party,
                name,
                moment,
                "",
                line,
                details=details,
            )
        )
    return (head + body + "</calls>\n").encode(), written


def bad_inputs() -> dict[str, tuple[str, bytes, str]]:
    """What the owner might upload instead of a backup: file name, bytes, and the words the
    reader should answer with."""
    good, _ = sms_backup()
    lines = good.split(b"\n")
    # Cut off in the middle of the 7th line (an <sms> tag): line 7 of the file.
    truncated = b"\n".join(lines[:6]) + b"\n" + lines[6][:40]
    # Cut off after a whole element, before the closing </smses>.
    cut_clean = b"\n".join(lines[:8]) + b"\n"
    laughs = (
        b"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        b'<!DOCTYPE smses [\n <!ENTITY lol "lol">\n'
        + b"".join(
            b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, 10)
        )
        + b']>\n<smses count="1">\n  <sms address="1" date="1" type="1" body="&lol9;" />\n'
        b"</smses>\n"
    )
    external = (
        b"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        b'<!DOCTYPE smses [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        b'<smses count="1">\n  <sms address="1" date="1" type="1" body="&secret;" />\n</smses>\n'
    )
    broken_tag = good.replace(b"Please stop texting me.", b"Please <stop> texting me.")
    broken_line = good[: good.index(b"Please stop")].count(b"\n") + 1
    bad_base64 = good.replace(
        b'data="' + base64.b64encode(picture("mms-photo", 23_456))[:20],
        b'data="' + b"not base64 at all!!!",
    )
    bad_base64_line = good[: good.index(b'name="IMG_0042.jpg"')].count(b"\n") + 1
    bad_date = good.replace(b'date="' + ms(_at(2)).encode() + b'"', b'date="yesterday"')
    return {
        "empty": ("sms-20261204211403.xml", b"", "“sms-20261204211403.xml” is empty"),
        "jpeg": (
            "sms-20261204211403.xml",
            picture("not-xml", 2_000),
            "“sms-20261204211403.xml” is not an SMS Backup & Restore backup: it is a JPEG"
            " picture, not XML.",
        ),
        "text": (
            "calls.xml",
            b"Sam called at 9pm and again at 10pm\n",
            "“calls.xml” is not an SMS Backup & Restore backup: it is not an XML file.",
        ),
        "other root": (
            "sms.xml",
            b"<?xml version='1.0' encoding='UTF-8'?>\n<threads>\n  <thread id='1'/>\n</threads>\n",
            "Line 2: “sms.xml” is not an SMS Backup & Restore backup: it holds <threads>, not the"
            " texts (<smses>) or calls (<calls>) that app writes.",
        ),
        "html": (
            "sms.xml",
            b"<!doctype html>\n<html><body>Sign in</body></html>\n",
            "“sms.xml” is not an SMS Backup & Restore backup: it is not XML that app writes.",
        ),
        "truncated": (
            "sms.xml",
            truncated,
            "Line 7: “sms.xml” stops part-way: it was probably cut off while it was copied.",
        ),
        "cut after an element": ("sms.xml", cut_clean, "Line 9: “sms.xml” stops part-way"),
        "billion laughs": ("sms.xml", laughs, "Line 2: “sms.xml” declares a document type"),
        "external entity": ("sms.xml", external, "Line 2: “sms.xml” declares a document type"),
        "broken tag": (
            "sms.xml",
            broken_tag,
            f"Line {broken_line}: “sms.xml” is damaged here (not well-formed (invalid token)).",
        ),
        "damaged picture": (
            "sms.xml",
            bad_base64,
            f"Line {bad_base64_line}: mms 1: its part “IMG_0042.jpg” is damaged (its contents"
            " are not base64).",
        ),
        "bad date": (
            "sms.xml",
            bad_date,
            "Line 7: sms 3 has no time the diary can read (date=“yesterday”).",
        ),
    }


# The large backup: texts, with an MMS picture every LARGE_MMS_EVERY of them, and one very
# large picture in the middle, written as a stream.
LARGE_MMS_EVERY = 40
LARGE_PICTURE = 48_000
HUGE_PICTURE = 6 * 1024 * 1024


def large_text(index: int) -> str:
    return f"Message {index}: I'm outside again 😡 &\nyou know it"


def large_picture(index: int) -> bytes:
    return picture(f"large/{index}", HUGE_PICTURE if index == 0 else LARGE_PICTURE)


def large_moment(index: int) -> datetime:
    return START + timedelta(seconds=37 * index, milliseconds=index % 1000)


def write_large_backup(out: IO[bytes], texts: int = 100_000) -> tuple[int, int]:
    """A sms-*.xml of `texts` SMS and an MMS with a picture after every LARGE_MMS_EVERY-th
    (the first picture HUGE_PICTURE bytes); returns how many SMS and MMS it wrote."""
    pictures = texts // LARGE_MMS_EVERY
    out.write(
        (
            HEADER.format(xsl="sms.xsl")
            + f'<smses count="{texts + pictures}" backup_set="{BACKUP_SET}" '
            f'backup_date="{BACKUP_DATE}" type="full">\n'
        ).encode()
    )
    mms = 0
    for index in range(texts):
        moment = large_moment(index)
        out.write(
            sms_line(
                "+447700900123", moment, 1 + index % 2, large_text(index), "Sam", "uk"
            ).encode()
        )
        if index % LARGE_MMS_EVERY == 0 and mms < pictures:
            out.write(
                mms_lines(
                    moment=moment,
                    box=1,
                    address="+447700900123",
                    m_id=f"m-{mms}",
                    contact="Sam",
                    spelling="uk",
                    parts=[
                        part_line(
                            "-1",
                            "application/smil",
                            "null",
                            "smil.xml",
                            text=SMIL.format(image=f"IMG_{mms}.jpg"),
                        ),
                        part_line(
                            "0",
                            "image/jpeg",
                            f"IMG_{mms}.jpg",
                            f"IMG_{mms}.jpg",
                            data=large_picture(mms),
                        ),
                        part_line("0", "text/plain", "null", "text_0.txt", text=f"look {mms}"),
                    ],
                    addrs=[("+447700900123", 137), ("+447700900999", 151)],
                ).encode()
            )
            mms += 1
    out.write(b"</smses>\n")
    return texts, mms


def large_backup(path: Path, texts: int = 100_000) -> tuple[int, int]:
    with path.open("wb") as out:
        return write_large_backup(out, texts)
