"""Android "SMS Backup & Restore" (SyncTech) backups: `sms-*.xml` (texts and MMS) and
`calls-*.xml` (the call log).

Read with expat directly rather than ElementTree's iterparse: the handlers run as each tag is
parsed, so no tree is built and nothing has to be cleared, and expat says the line each tag
starts on (iterparse only knows where the last chunk it was fed ended). The bytes pass through
MendedStream on the way: it joins the emoji the app writes as UTF-16 halves, and takes each MMS
part's base64 `data` (a picture, a film: megabytes) out of the stream as it passes, decoding it
into an unnamed temporary file that the Attachment reads back, so no picture is ever whole in
memory, and nor is anything else that grows with the file.
"""

import base64
import binascii
import io
import mimetypes
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import IO, Any
from xml.parsers import expat
from zoneinfo import ZoneInfo

from .base import (
    INCOMING,
    OUTGOING,
    PHONE_CALL,
    TEXT,
    UNKNOWN,
    Attachment,
    ImportProblem,
    Message,
)

CHUNK = 64 * 1024
# The temporary file attachments go to is started afresh past this size, so a reader whose
# messages are dropped as they are used holds at most this much on disk.
SPOOL_SEGMENT = 64 * 1024 * 1024

# SMS `type` and MMS `msg_box`: which way it went, and what became of one she wrote.
SMS_TYPES: dict[str, tuple[str, str | None]] = {
    "1": (INCOMING, None),
    "2": (OUTGOING, None),
    "3": (OUTGOING, "draft"),
    "4": (OUTGOING, "outbox"),
    "5": (OUTGOING, "failed"),
    "6": (OUTGOING, "queued"),
}
MMS_BOXES: dict[str, tuple[str, str | None]] = {
    "1": (INCOMING, None),
    "2": (OUTGOING, None),
    "3": (OUTGOING, "draft"),
    "4": (OUTGOING, "outbox"),
    "5": (OUTGOING, "failed"),
}
# Call `type` (Android's CallLog.Calls types; SMS Backup & Restore calls 6 "Refused List").
CALL_TYPES: dict[str, tuple[str, str]] = {
    "1": (INCOMING, "incoming"),
    "2": (OUTGOING, "outgoing"),
    "3": (INCOMING, "missed"),
    "4": (INCOMING, "voicemail"),
    "5": (INCOMING, "rejected"),
    "6": (INCOMING, "blocked"),
    "7": (INCOMING, "answered elsewhere"),
}
# Call `presentation`: whether the caller's number was shown.
PRESENTATIONS = {"2": "withheld", "3": "unknown", "4": "payphone"}
# MMS `addr` types (PDU header fields).
ADDR_FROM, ADDR_TO, ADDR_CC, ADDR_BCC = "137", "151", "130", "129"
OWN_NUMBER = "insert-address-token"
# Types phones send that the mimetypes table may not know.
MMS_EXTENSIONS = {
    "audio/amr": ".amr",
    "audio/3gpp": ".3gp",
    "video/3gpp": ".3gp",
    "image/jpg": ".jpg",
    "text/x-vcard": ".vcf",
    "text/vcard": ".vcf",
}

# SMS Backup & Restore writes a character outside the Basic Multilingual Plane (an emoji) as
# its two UTF-16 halves, each a character reference (`&#55357;&#56832;`), which XML forbids and
# expat refuses. The stream is mended before expat sees it: a pair becomes one reference to the
# real character, a half on its own (or a reference to a control character, which XML forbids
# too) becomes U+FFFD.
_REFERENCE = re.compile(rb"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")
_LAST_REFERENCE = re.compile(rb"&#(?:([0-9]{5})|[xX]([0-9a-fA-F]{4}));\Z")
_LONGEST_REFERENCE = 12  # "&#x10FFFF;" and "&#1114111;" with room to spare


def _allowed_in_xml(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def mend_references(data: bytes) -> bytes:
    """`data` with every surrogate pair written as two character references joined into one,
    and references XML refuses turned into U+FFFD. `data` must not end inside a reference or
    between the two halves of a pair (MendedStream keeps those back)."""
    if b"&#" not in data:
        return data
    out: list[bytes] = []
    last = 0
    high: int | None = None  # a high half just seen (its reference is not yet copied)
    for match in _REFERENCE.finditer(data):
        decimal, hexadecimal = match.groups()
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if high is not None:
            if match.start() == last and 0xDC00 <= code <= 0xDFFF:
                joined = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                out.append(b"&#%d;" % joined)
                last = match.end()
                high = None
                continue
            out.append(b"&#65533;")
            high = None
        if 0xD800 <= code <= 0xDBFF:
            out.append(data[last : match.start()])
            high, last = code, match.end()
            continue
        if not _allowed_in_xml(code):
            out.append(data[last : match.start()])
            out.append(b"&#65533;")
            last = match.end()
    if high is not None:
        out.append(b"&#65533;")
    out.append(data[last:])
    return b"".join(out)


def _ends_with_high_half(data: bytes, end: int) -> bool:
    last = _LAST_REFERENCE.search(data, max(0, end - _LONGEST_REFERENCE), end)
    if last is None:
        return False
    decimal, hexadecimal = last.groups()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    return 0xD800 <= code <= 0xDBFF


DATA_OPEN = b' data="'
_BASE64 = re.compile(rb"[A-Za-z0-9+/=]*")
_WHITESPACE = b" \t\r\n"


class _Decoder:
    """One `data` attribute's base64, decoded as it streams past into the spool."""

    def __init__(self, spool: "_Spool") -> None:
        self._spool = spool
        self._left = b""
        self._start = b""  # the first few characters, to tell "null" from base64
        self.damaged = False
        self.newlines = 0
        spool.begin()

    def feed(self, data: bytes) -> None:
        self.newlines += data.count(b"\n")
        if len(self._start) < 5:
            self._start += data[: 5 - len(self._start)]
        if self.damaged:
            return
        data = self._left + data.translate(None, _WHITESPACE)
        if not _BASE64.fullmatch(data):
            self.damaged = True
            return
        whole = len(data) - len(data) % 4
        self._left = data[whole:]
        try:
            self._spool.write(binascii.a2b_base64(data[:whole]))
        except binascii.Error:
            self.damaged = True

    def finish(self) -> "tuple[Callable[[], IO[bytes]], int] | None":
        opener, size = self._spool.end()
        if self._start == b"null":  # SMS Backup & Restore's "none"
            return opener, 0
        if self._left and not self.damaged:  # the padding left off, as some encoders do
            try:
                self._spool.write(binascii.a2b_base64(self._left + b"=" * (-len(self._left) % 4)))
            except binascii.Error:
                self.damaged = True
            opener, size = self._spool.end()
        return None if self.damaged else (opener, size)


class MendedStream:
    """The upload, read in chunks and mended (mend_references) before the parser sees it. A
    chunk's tail that may be the start of a reference, or a high half whose low half is still
    to come, waits for the next chunk.

    An MMS part's `data` attribute (a picture, a film: as many megabytes as the file) never
    reaches the parser: its base64 is decoded into the spool as it streams past, and the parser
    reads `@spool-<token>:<n>` (and the newlines, so the lines stay the file's) where it was. Double
    quotes cannot occur inside a double-quoted attribute, so ` data="` is the attribute's start.
    """

    def __init__(self, raw: IO[bytes], spool: "_Spool") -> None:
        self._raw = raw
        self._spool = spool
        self._held = b""
        self._ready: list[bytes] = []
        self._done = False
        self._decoder: _Decoder | None = None
        # Each diverted attribute's opener and size, or None when its base64 was damaged, by
        # number, until the parser's handler takes it.
        self.diverted: dict[int, tuple[Callable[[], IO[bytes]], int] | None] = {}
        self._count = 0
        # What a diverted attribute says instead: never base64 ('@'), and never in the file.
        self.token = f"@spool-{secrets.token_hex(8)}:"

    def read_chunk(self) -> bytes:
        # An empty chunk means the end of the file: read on until there is something to give.
        while not any(self._ready) and not self._done:
            data = self._raw.read(CHUNK)
            if not data:
                self._done = True
                if self._decoder is None:  # else the file ends inside a picture: cut off
                    self._ready.append(mend_references(self._held))
                self._held = b""
                break
            self._take(self._held + data)
        ready = b"".join(self._ready)
        self._ready.clear()
        return ready

    def _take(self, data: bytes) -> None:
        while True:
            if self._decoder is not None:
                end = data.find(b'"')
                if end == -1:
                    self._decoder.feed(data)
                    self._held = b""
                    return
                self._decoder.feed(data[:end])
                self.diverted[self._count] = self._decoder.finish()
                self._count += 1
                self._ready.append(
                    b"%s%d" % (self.token.encode(), self._count - 1)
                    + b"\n" * self._decoder.newlines
                )
                self._decoder = None
                data = data[end:]
                continue
            at = data.find(DATA_OPEN)
            if at != -1:
                self._ready.append(mend_references(data[: at + len(DATA_OPEN)]))
                self._decoder = _Decoder(self._spool)
                data = data[at + len(DATA_OPEN) :]
                continue
            cut = _safe_cut(data)
            self._held = data[cut:]
            self._ready.append(mend_references(data[:cut]))
            return


def _safe_cut(data: bytes) -> int:
    """Where `data` can be cut so that no reference, pair of halves or ` data="` is split."""
    cut = len(data)
    for length in range(len(DATA_OPEN) - 1, 0, -1):
        if data.endswith(DATA_OPEN[:length]):
            cut -= length
            break
    amp = data.rfind(b"&", max(0, cut - _LONGEST_REFERENCE), cut)
    if amp != -1 and b";" not in data[amp:cut]:
        cut = amp
    if _ends_with_high_half(data, cut):
        cut = data.rindex(b"&", 0, cut)
    return cut


class _Spool:
    """Where the attachments of one backup wait to be read: unnamed temporary files, one after
    another. Each Attachment keeps its own file open (and on disk) for as long as it lives.
    Written one attachment at a time: begin, write as often as need be, end."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._size = 0
        self._start = 0

    def begin(self) -> None:
        if self._file is None or self._size > SPOOL_SEGMENT:
            # Not closed here: it lives as long as the Attachments that read from it.
            self._file = tempfile.TemporaryFile()  # noqa: SIM115
            self._size = 0
        self._start = self._size

    def write(self, data: bytes) -> None:
        assert self._file is not None
        self._file.write(data)
        self._size += len(data)

    def end(self) -> tuple[Callable[[], IO[bytes]], int]:
        assert self._file is not None
        self._file.flush()
        size = self._size - self._start
        return partial(_open_slice, self._file, self._start, size), size

    def keep(self, data: bytes) -> Callable[[], IO[bytes]]:
        self.begin()
        self.write(data)
        return self.end()[0]


def _open_slice(file: IO[bytes], offset: int, size: int) -> IO[bytes]:
    return io.BufferedReader(_Slice(file, offset, size))


class _Slice(io.RawIOBase):
    """`size` bytes of `file` from `offset`, read with pread: several can be read at once."""

    def __init__(self, file: IO[bytes], offset: int, size: int) -> None:
        self._file = file  # kept so the file stays open while this is read
        self._offset = offset
        self._size = size
        self._at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: self._size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer: Any) -> int:  # any writable buffer (typeshed's WriteableBuffer)
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._size - self._at)
        if want <= 0:
            return 0
        data = os.pread(self._file.fileno(), want, self._offset + self._at)
        view[: len(data)] = data
        self._at += len(data)
        return len(data)


_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"\+?[0-9*#]+")


def normalise_address(address: str) -> str:
    """A number as one person's messages all spell it: without spaces, dashes, dots or
    parentheses, a leading + kept. Anything that is not a number (an e-mail address, a
    sender name such as "BANK") stays as written."""
    address = address.strip()
    bare = _PHONE_PUNCTUATION.sub("", address)
    return bare if _PHONE.fullmatch(bare) else address


def _value(attrs: dict[str, str], key: str) -> str:
    """An attribute as the owner would read it: SMS Backup & Restore writes "null" for none."""
    value = attrs.get(key, "")
    return "" if value == "null" else value


def _name(attrs: dict[str, str]) -> str:
    name = _value(attrs, "contact_name").strip()
    return "" if name == "(Unknown)" else name


class _Backup:
    """The parse of one backup: expat's handlers turn tags into Messages as they come."""

    def __init__(self, name: str, mended: MendedStream) -> None:
        self.name = name
        self.diverted = mended.diverted
        self.token = mended.token
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.EntityDeclHandler = self.entity
        self.ready: list[Message] = []
        self.root: str | None = None
        self.depth = 0
        self.counts = {"sms": 0, "mms": 0, "call": 0}
        self.spool = _Spool()
        self.mms: dict[str, str] | None = None
        self.mms_line = 0
        self.texts: list[str] = []
        self.attachments: list[Attachment] = []
        self.missing: list[str] = []
        self.addrs: list[tuple[str, str]] = []

    @property
    def line(self) -> int:
        return self.parser.CurrentLineNumber

    def refuse(self) -> ImportProblem:
        return ImportProblem(
            f"“{self.name}” declares a document type, which SMS Backup & Restore never"
            " writes; it is not read, to keep the diary safe.",
            line=self.line,
        )

    def doctype(self, *_: object) -> None:
        raise self.refuse()

    def entity(self, *_: object) -> None:
        raise self.refuse()

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1:
            if tag not in ("smses", "calls"):
                raise ImportProblem(
                    f"“{self.name}” is not an SMS Backup & Restore backup: it holds <{tag}>,"
                    " not the texts (<smses>) or calls (<calls>) that app writes.",
                    line=self.line,
                )
            self.root = tag
        elif self.depth == 2:
            if self.root == "smses" and tag == "sms":
                self.counts["sms"] += 1
                self.ready.append(self.sms(attrs))
            elif self.root == "smses" and tag == "mms":
                self.counts["mms"] += 1
                self.mms, self.mms_line = attrs, self.line
                self.texts, self.attachments, self.missing, self.addrs = [], [], [], []
            elif self.root == "calls" and tag == "call":
                self.counts["call"] += 1
                self.ready.append(self.call(attrs))
        elif self.mms is not None and self.depth == 4:
            if tag == "part":
                self.part(attrs)
            elif tag == "addr":
                self.addrs.append(
                    (attrs.get("type", ""), normalise_address(attrs.get("address", "")))
                )

    def end(self, tag: str) -> None:
        if self.depth == 2 and tag == "mms" and self.mms is not None:
            self.ready.append(self.finish_mms(self.mms))
            self.mms = None
        self.depth -= 1

    def when(self, attrs: dict[str, str], kind: str, key: str = "date") -> datetime:
        raw = attrs.get(key, "")
        try:
            stamp = int(raw)
        except ValueError:
            raise ImportProblem(
                f"{kind} {self.counts[kind]} has no time the diary can read ({key}=“{raw}”).",
                line=self.line if kind != "mms" else self.mms_line,
            ) from None
        # Milliseconds since 1970 in UTC; a count in seconds (some older MMS) is far smaller.
        if abs(stamp) < 100_000_000_000:
            stamp *= 1000
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=stamp)
        except OverflowError:
            raise ImportProblem(
                f"{kind} {self.counts[kind]} has a time no calendar reaches ({key}=“{raw}”).",
                line=self.line if kind != "mms" else self.mms_line,
            ) from None

    def common_details(self, attrs: dict[str, str], line: int) -> dict[str, object]:
        details: dict[str, object] = {"line": line}
        readable = _value(attrs, "readable_date")
        if readable:
            details["readable_date"] = readable
        return details

    def sms(self, attrs: dict[str, str]) -> Message:
        raw_type = attrs.get("type", "")
        direction, status = SMS_TYPES.get(raw_type, (UNKNOWN, f"type {raw_type}"))
        details = self.common_details(attrs, self.line)
        if status:
            details["status"] = status
        subject = _value(attrs, "subject")
        if subject:
            details["subject"] = subject
        # When the sender's phone sent it, by its own clock (0 when the network did not say).
        if direction == INCOMING and attrs.get("date_sent", "0") not in ("", "0", "null"):
            with suppress(ImportProblem):
                details["sent_by_sender_at"] = self.when(attrs, "sms", "date_sent").isoformat()
        return Message(
            channel=TEXT,
            direction=direction,
            party=normalise_address(attrs.get("address", "")),
            party_name=_name(attrs),
            sent_at=self.when(attrs, "sms"),
            text=attrs.get("body", ""),
            position=f"sms {self.counts['sms']}",
            details=details,
        )

    def part(self, attrs: dict[str, str]) -> None:
        content_type = attrs.get("ct", "").lower()
        if content_type == "application/smil":
            return
        name = self.part_name(attrs, content_type)
        raw = _value(attrs, "data")
        text = attrs.get("text")
        kept: tuple[Callable[[], IO[bytes]], int] | None = None
        if raw.startswith(self.token):
            diverted = self.diverted.pop(int(raw[len(self.token) :].split()[0]), None)
            if diverted is None:
                raise self.damaged(name)
            if diverted[1]:
                kept = diverted
        elif raw:
            # Written in a way the stream's diversion does not see (single quotes): read here.
            try:
                decoded = base64.b64decode(raw)
            except (binascii.Error, ValueError):
                raise self.damaged(name) from None
            kept = self.spool.keep(decoded), len(decoded)
        if content_type == "text/plain" and kept is None and text not in (None, "null"):
            self.texts.append(text or "")
            return
        if kept is None and text not in (None, "null"):  # a contact card, say, kept as text
            encoded = (text or "").encode()
            kept = self.spool.keep(encoded), len(encoded)
        if kept is None:
            self.missing.append(name)
            return
        opener, size = kept
        if content_type == "text/plain":
            with opener() as words:
                self.texts.append(words.read().decode("utf-8", errors="replace"))
            return
        self.attachments.append(
            Attachment(
                name=name,
                content_type=content_type or "application/octet-stream",
                size=size,
                open=opener,
            )
        )

    def damaged(self, name: str) -> ImportProblem:
        return ImportProblem(
            f"mms {self.counts['mms']}: its part “{name}” is damaged (its contents are not"
            " base64).",
            line=self.line,
        )

    def part_name(self, attrs: dict[str, str], content_type: str) -> str:
        for key in ("name", "fn", "cl"):
            value = _value(attrs, key).strip()
            if value:
                return os.path.basename(value.replace("\\", "/")) or value
        extension = (
            MMS_EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"
        )
        return f"part-{_value(attrs, 'seq') or len(self.attachments)}{extension}"

    def finish_mms(self, attrs: dict[str, str]) -> Message:
        direction, status = MMS_BOXES.get(
            attrs.get("msg_box", ""), (UNKNOWN, f"box {attrs.get('msg_box', '')}")
        )
        details = self.common_details(attrs, self.mms_line)
        if status:
            details["status"] = status
        subject = _value(attrs, "sub")
        if subject:
            details["subject"] = subject
        # A sent MMS names her as "insert-address-token": the phone fills in her number.
        senders = [a for kind, a in self.addrs if kind == ADDR_FROM and a and a != OWN_NUMBER]
        recipients = list(
            dict.fromkeys(a for kind, a in self.addrs if kind in (ADDR_TO, ADDR_CC, ADDR_BCC) and a)
        )
        if not self.addrs:  # older backups: only `address`, several joined with "~"
            listed = [normalise_address(a) for a in _value(attrs, "address").split("~") if a]
            senders, recipients = listed[:1], listed
        if direction == INCOMING:
            party = senders[0] if senders else ""
        else:
            party = ", ".join(sorted(recipients))
        if senders:
            details["from"] = senders[0]
        if recipients:
            details["to"] = recipients
        if self.missing:
            details["parts_not_in_backup"] = self.missing
        return Message(
            channel=TEXT,
            direction=direction,
            party=party,
            party_name=_name(attrs),
            sent_at=self.when(attrs, "mms"),
            text="\n".join(self.texts),
            position=f"mms {self.counts['mms']}",
            message_id=_value(attrs, "m_id"),
            attachments=tuple(self.attachments),
            details=details,
        )

    def call(self, attrs: dict[str, str]) -> Message:
        direction, kind = CALL_TYPES.get(attrs.get("type", ""), (UNKNOWN, "unknown"))
        details = self.common_details(attrs, self.line)
        details["call"] = kind
        try:
            details["duration_seconds"] = int(attrs.get("duration", "0") or "0")
        except ValueError:
            raise ImportProblem(
                f"call {self.counts['call']} has a length the diary cannot read"
                f" (duration=“{attrs.get('duration')}”).",
                line=self.line,
            ) from None
        presentation = PRESENTATIONS.get(attrs.get("presentation", ""))
        number = _value(attrs, "number")
        if number in ("-1", "-2", "-3", "-4"):  # older phones' way of saying there was none
            number = ""
        if presentation:
            details["presentation"] = presentation
        return Message(
            channel=PHONE_CALL,
            direction=direction,
            party=normalise_address(number),
            party_name=_name(attrs),
            sent_at=self.when(attrs, "call"),
            text="",
            position=f"call {self.counts['call']}",
            details=details,
        )


_MAGIC = [
    (b"\xff\xd8\xff", "a JPEG picture"),
    (b"\x89PNG", "a PNG picture"),
    (b"PK\x03\x04", "a zip file (unzip it and choose the .xml inside)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
]


def _not_xml(name: str, start: bytes) -> ImportProblem | None:
    if not start:
        return ImportProblem(f"“{name}” is empty: there is nothing in it to read.")
    for magic, what in _MAGIC:
        if start.startswith(magic):
            return ImportProblem(
                f"“{name}” is not an SMS Backup & Restore backup: it is {what}, not XML."
            )
    stripped = start.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped and not stripped.startswith(b"<"):
        return ImportProblem(
            f"“{name}” is not an SMS Backup & Restore backup: it is not an XML file."
        )
    return None


_CUT_OFF = {
    expat.errors.codes[message]
    for message in (
        expat.errors.XML_ERROR_NO_ELEMENTS,
        expat.errors.XML_ERROR_UNCLOSED_TOKEN,
        expat.errors.XML_ERROR_PARTIAL_CHAR,
        expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
    )
}


def _broken(name: str, backup: _Backup, error: expat.ExpatError, *, at_end: bool) -> ImportProblem:
    if backup.root is None:
        return ImportProblem(
            f"“{name}” is not an SMS Backup & Restore backup: it is not XML that app writes."
        )
    if at_end and error.code in _CUT_OFF:
        return ImportProblem(
            f"“{name}” stops part-way: it was probably cut off while it was copied."
            " Make the backup again, or copy it again from the phone.",
            line=error.lineno,
        )
    return ImportProblem(
        f"“{name}” is damaged here ({expat.errors.messages[error.code]}).", line=error.lineno
    )


def read(stream: IO[bytes], *, name: str, zone: ZoneInfo | None) -> Iterator[Message]:
    """Every text, MMS and call in an SMS Backup & Restore backup, in the file's order. The
    times are UTC milliseconds, so `zone` is not needed."""
    del zone
    spool = _Spool()
    mended = MendedStream(stream, spool)
    backup = _Backup(name, mended)
    first = True
    while True:
        try:
            chunk = mended.read_chunk()
        except OSError as error:
            raise ImportProblem(f"“{name}” could not be read ({error.strerror}).") from None
        if first:
            problem = _not_xml(name, chunk)
            if problem is not None:
                raise problem
            first = False
        problem = None
        try:
            backup.parser.Parse(chunk, not chunk)
        except expat.ExpatError as error:
            problem = _broken(name, backup, error, at_end=not chunk)
        except ImportProblem as raised:
            problem = raised
        # What came before the problem first, in the file's order, as with any other chunk.
        yield from backup.ready
        backup.ready.clear()
        if problem is not None:
            raise problem.with_traceback(None)
        if not chunk:
            return
