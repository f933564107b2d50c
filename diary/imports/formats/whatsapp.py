"""WhatsApp's "Export chat": a `.txt`, or a `.zip` holding it (`_chat.txt` from an iPhone,
`WhatsApp Chat with X.txt` from Android) with the media files.

Each message starts a line with its date and time; lines that do not are the message above
continuing. The two layouts:

    Android  12/31/23, 9:03 PM - Name: text        31/12/2023, 21:03 - Name: text
    iPhone   [31/12/2023, 21:03:15] Name: text     (often after U+200E, LEFT-TO-RIGHT MARK)

Dates are written as the phone's language writes them: day-first or month-first (or
year-first), with `/`, `.` or `-`, two- or four-digit years, 12-hour (AM, am, a.m., before
either a space or U+202F) or 24-hour, with or without seconds. A single line rarely says
which field is the day, so the file is read twice: once to decide for the whole file (a first
field over 12 means day-first, a second over 12 month-first, a date that is not real either
way is refused with its line), once to give the messages. Whether "03/04" is the 3rd of
April is asked of the owner when no line settles it (`NeedsDateOrder`; read again with
`day_first=`).

What becomes of each line:
- a message: party = the sender's name as written (direction UNKNOWN: the export does not
  say which name is the owner's), the exact text, continuation lines joined with "\\n";
- WhatsApp's own notices (encryption, subject and member changes, security codes) have no
  sender and are skipped, with any lines that continue them;
- "<Media omitted>" / "image omitted": a message with no text and no file,
  details["media_omitted"] = True;
- "IMG-….jpg (file attached)" / "<attached: 00000012-PHOTO-….jpg>": the file name is kept in
  details["files"] and, from a zip, the file itself as an Attachment read lazily from it; any
  caption is the text;
- "This message was deleted": kept as text, details["deleted"] = True.
WhatsApp's own marks (U+200E before a line or a text, U+202A/U+202C around a number) are
removed from names and the start of texts.

Times carry no zone: `zone` is required (NeedsTimeZone otherwise). A time the clock skipped
when summer time began (02:30 on that morning) is read with the offset before the change and
noted in details["zone_note"] = "skipped"; a time that happened twice when it ended is the
first of the two unless that would put it before the message above it in the file, and noted
"repeated"."""

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO
from zoneinfo import ZoneInfo

from diary.imports.formats import archives
from diary.imports.formats.base import (
    SOCIAL_MEDIA,
    UNKNOWN,
    Attachment,
    ImportProblem,
    Message,
    NeedsTimeZone,
)

MAX_MESSAGE_CHARS = 1024**2


Opener = Callable[[], AbstractContextManager[IO[bytes]]]


class NeedsDateOrder(ImportProblem):
    """No date in the chat says whether the day or the month comes first: ask the owner,
    then read again with `day_first`."""


_DATE = r"(?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2,4})"
_TIME = (
    r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2}))?"
    r"(?:[ \u202f\u00a0]?(?P<ampm>[AaPp]\.?[ \u202f\u00a0]?[Mm]\.?))?"
)
_ANDROID = re.compile(rf"{_DATE},? {_TIME} - (?P<rest>.*)", re.DOTALL)
_IPHONE = re.compile(rf"\u200e?\[{_DATE},? {_TIME}\] (?P<rest>.*)", re.DOTALL)
_LOOKS_DATED = re.compile(r"\u200e?\[?\d")

_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_OMITTED = re.compile(
    r"<Media omitted>|(?:image|video|audio|sticker|GIF|document|Contact card) omitted"
)
_IPHONE_FILE = re.compile(r"<attached: (?P<file>[^>]+)>\s?")
_ANDROID_FILE = re.compile(r"(?P<file>\S.*?) \(file attached\)")
_DELETED = re.compile(r"(?:This message was deleted|You deleted this message)\.?")
# A notice's words. Android writes notices with no "Name: " (so any line without one is a
# notice) unless the notice quotes a colon, as a new subject can; an iPhone writes them as the
# chat's own message after U+200E.
_NOTICE = re.compile(
    r"Messages and calls are end-to-end encrypted|Messages to this (?:group|chat) are now"
    r"|created (?:the )?group|changed the subject|changed this group's icon"
    r"|deleted this group's icon|changed the group description|changed (?:the )?group settings"
    r"|\badded\b|\bremoved\b|\bleft$|joined using this group's invite link"
    r"|security code (?:with .+ )?changed|changed their phone number|changed to \+"
    r"|now an admin|disappearing messages|This chat is with a business account"
)
_QUOTING_NOTICE = re.compile(r" changed the (?:subject|group description)| changed this group's")


@dataclass(frozen=True)
class _Stamp:
    line: int
    fields: tuple[str, str, str]
    hour: int
    minute: int
    second: int
    written: str

    def naive(self, day_first: bool) -> datetime | None:
        a, b, c = self.fields
        try:
            if len(a) == 4:
                year, month, day = int(a), int(b), int(c)
                if len(c) > 2:
                    return None
            else:
                if len(c) == 3:
                    return None
                year = int(c) + (2000 if len(c) == 2 else 0)
                day, month = (int(a), int(b)) if day_first else (int(b), int(a))
            return datetime(year, month, day, self.hour, self.minute, self.second)
        except ValueError:
            return None


def _stamp(line: int, match: re.Match[str]) -> _Stamp:
    hour, minute = int(match["h"]), int(match["m"])
    second = int(match["s"] or 0)
    written = match.group(0)[: match.start("rest")].strip(" -[]\u200e")
    ampm = match["ampm"]
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise ImportProblem(f"{written!r} is not a real time.", line=line)
        hour = hour % 12 + (12 if ampm[0] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ImportProblem(f"{written!r} is not a real time.", line=line)
    return _Stamp(line, (match["a"], match["b"], match["c"]), hour, minute, second, written)


def _header(text: str) -> tuple[re.Match[str], bool] | None:
    """The line's date, time and rest, and whether it is the iPhone layout."""
    match = _IPHONE.fullmatch(text)
    if match:
        return match, True
    match = _ANDROID.fullmatch(text)
    return (match, False) if match else None


def _first_line_problem(name: str, text: str, line: int) -> ImportProblem:
    if _LOOKS_DATED.match(text):
        return ImportProblem(
            f"the date and time at the start ({text[:24]!r}) are not written in any way "
            "WhatsApp writes them, so this chat cannot be read.",
            line=line,
        )
    return ImportProblem(
        f"{name} is not a WhatsApp chat: its lines should start with a date and time, "
        "as WhatsApp's Export chat writes them.",
        line=line,
    )


def _decide_order(lines: Iterator[tuple[int, str]], *, name: str, day_first: bool | None) -> bool:
    """Read every line once: each date must be real in the order the file uses, and the file
    must use one order. Returns True for day-first."""
    possible = {True, False} if day_first is None else {day_first}
    settled_by: _Stamp | None = None
    seen_any = False
    year_first_only = True
    for number, text in lines:
        found = _header(text)
        if found is None:
            if not seen_any and text.strip():
                raise _first_line_problem(name, text, number)
            continue
        seen_any = True
        stamp = _stamp(number, found[0])
        year_first_only = year_first_only and len(stamp.fields[0]) == 4
        fits = {order for order in possible if stamp.naive(order) is not None}
        if not fits:
            if stamp.naive(not next(iter(possible))) is None or len(possible) == 2:
                raise ImportProblem(f"{stamp.written!r} is not a real date.", line=number)
            if day_first is not None:
                said = "the day" if day_first else "the month"
                raise ImportProblem(
                    f"{stamp.written!r} is not a date if {said} comes first, as you said.",
                    line=number,
                )
            assert settled_by is not None
            raise ImportProblem(
                f"{stamp.written!r} puts the day and month the other way round from "
                f"line {settled_by.line} ({settled_by.written!r}): this chat is not one export.",
                line=number,
            )
        if fits != possible:
            possible = fits
            settled_by = stamp
    if not seen_any:
        raise ImportProblem(f"{name} holds no messages.")
    if len(possible) == 2 and not year_first_only:
        raise NeedsDateOrder(
            "Every date in this chat could be read two ways (03/04 could be 3 April or "
            "March 4): say whether the day or the month comes first."
        )
    return min(possible, key=lambda order: not order)  # year-first: either will do


def _aware(naive: datetime, zone: ZoneInfo, after: datetime | None) -> tuple[datetime, str]:
    first = naive.replace(tzinfo=zone)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return first, "skipped"
    if first.utcoffset() == second.utcoffset():
        return first, ""
    # Compared in UTC: datetimes in one zone compare as wall times, fold ignored.
    if after is not None and first.astimezone(UTC) < after <= second.astimezone(UTC):
        return second, "repeated"
    return first, "repeated"


@dataclass
class _Pending:
    stamp: _Stamp
    iphone: bool
    sender: str
    lines: list[str]
    size: int


def _chat_name(name: str) -> str:
    base = re.sub(r"\.(txt|zip)$", "", archives.basename(name), flags=re.IGNORECASE)
    match = re.match(r"WhatsApp Chat (?:with|-) (.+)", base)
    return match[1].strip() if match else ""


def read(
    stream: IO[bytes],
    *,
    name: str,
    zone: ZoneInfo | None,
    day_first: bool | None = None,
) -> Iterator[Message]:
    """Every message in the chat, in the file's order (see the module's docstring). The
    whole file is checked before the first message is given."""
    opener, files = _open(stream, name=name)
    with opener() as chat:
        order = _decide_order(archives.text_lines(chat, name=name), name=name, day_first=day_first)
    if zone is None:
        raise NeedsTimeZone(
            "WhatsApp does not say which time zone its times are in: say where the phone was."
        )
    details: dict[str, str] = {"app": "WhatsApp"}
    chat_name = _chat_name(name)
    if chat_name:
        details["chat"] = chat_name
    yield from _messages(opener, name=name, zone=zone, day_first=order, files=files, base=details)


def _messages(
    opener: Opener,
    *,
    name: str,
    zone: ZoneInfo,
    day_first: bool,
    files: Callable[[str], Attachment | None],
    base: dict[str, str],
) -> Iterator[Message]:
    pending: _Pending | None = None
    last: datetime | None = None
    with opener() as chat:
        for number, text in archives.text_lines(chat, name=name):
            found = _header(text)
            if found is None:
                if pending is not None:
                    pending.size += len(text) + 1
                    if pending.size > MAX_MESSAGE_CHARS:
                        raise ImportProblem(
                            "the message that starts here is longer than any WhatsApp "
                            "message can be.",
                            line=pending.stamp.line,
                        )
                    pending.lines.append(text)
                continue
            if pending is not None:
                message, last = _message(pending, zone, day_first, files, base, last)
                if message is not None:
                    yield message
            pending = _start(number, found)
        if pending is not None:
            message, last = _message(pending, zone, day_first, files, base, last)
            if message is not None:
                yield message


def _start(number: int, found: tuple[re.Match[str], bool]) -> _Pending:
    match, iphone = found
    stamp = _stamp(number, match)
    rest = match["rest"]
    sender, colon, first = rest.partition(": ")
    notice = not colon
    if not notice and not iphone and _QUOTING_NOTICE.search(sender):
        notice = True
    if not notice and iphone and first.startswith("\u200e"):
        stripped = first.lstrip("\u200e")
        if not _OMITTED.fullmatch(stripped) and not _IPHONE_FILE.match(stripped):
            notice = _NOTICE.search(stripped) is not None and not _DELETED.fullmatch(stripped)
    if notice:
        return _Pending(stamp, iphone, "", [], 0)
    if iphone:
        first = first.removeprefix("\u200e")
    return _Pending(stamp, iphone, _MARKS.sub("", sender).strip(), [first], len(first))


def _message(
    pending: _Pending,
    zone: ZoneInfo,
    day_first: bool,
    files: Callable[[str], Attachment | None],
    base: dict[str, str],
    last: datetime | None,
) -> tuple[Message | None, datetime | None]:
    if not pending.sender:
        return None, last
    naive = pending.stamp.naive(day_first)
    assert naive is not None  # every date was checked in the first reading
    sent_at, note = _aware(naive, zone, last)
    details: dict[str, object] = dict(base)
    if note:
        details["zone_note"] = note
    lines = pending.lines
    first = lines[0]
    attachments: tuple[Attachment, ...] = ()
    if _OMITTED.fullmatch(first) and len(lines) == 1:
        details["media_omitted"] = True
        lines = []
    else:
        marker = (_IPHONE_FILE if pending.iphone else _ANDROID_FILE).match(first)
        if marker is not None and (pending.iphone or marker.end() == len(first)):
            file_name = marker["file"].strip()
            details["files"] = [file_name]
            found = files(file_name)
            if found is not None:
                attachments = (found,)
            caption = first[marker.end() :]
            lines = [caption, *lines[1:]] if caption else lines[1:]
    text = "\n".join(lines)
    if _DELETED.fullmatch(text):
        details["deleted"] = True
    message = Message(
        channel=SOCIAL_MEDIA,
        direction=UNKNOWN,
        party=pending.sender,
        party_name=pending.sender,
        sent_at=sent_at,
        text=text,
        position=f"line {pending.stamp.line}",
        attachments=attachments,
        details=details,
    )
    utc = sent_at.astimezone(UTC)
    return message, utc if last is None else max(last, utc)


class _Unclosed:
    """The uploaded stream, from its start, left open when a reading ends."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def __enter__(self) -> IO[bytes]:
        self.stream.seek(0)
        return self.stream

    def __exit__(self, *_: object) -> None:
        return None


_CHAT_NAMES = re.compile(r"(?:_chat|WhatsApp Chat (?:with|-) .+)\.txt", re.IGNORECASE)


def _open(stream: IO[bytes], *, name: str) -> tuple[Opener, Callable[[str], Attachment | None]]:
    """How to open the chat's text (once per reading) and find a file it names."""
    if not name.lower().endswith(".zip") and not archives.head_of(stream, 4).startswith(b"PK"):
        archives.check_text(stream, name=name, what="WhatsApp chat")
        return (lambda: _Unclosed(stream)), (lambda _file: None)
    archive = archives.SafeZip(stream, name=name)
    # A zip made again on a Mac may put it all in a folder, with "__MACOSX/" beside it.
    texts = [
        m for m in archive.names if m.lower().endswith(".txt") and not m.startswith("__MACOSX/")
    ]
    chats = [m for m in texts if _CHAT_NAMES.fullmatch(archives.basename(m))] or texts
    if not chats:
        raise ImportProblem(
            f"{name} holds no WhatsApp chat: it should have _chat.txt (iPhone) or "
            "'WhatsApp Chat with ….txt' (Android) in it."
        )
    if len(chats) > 1:
        raise ImportProblem(f"{name} holds more than one chat ({', '.join(chats[:3])}).")
    member = chats[0]
    if archive.size(member) == 0:
        raise ImportProblem(f"The chat in {name} ({member}) is empty (0 bytes).")
    with archive.open(member) as head:
        kind = archives.sniff(head.read(16))
    if kind is not None:
        raise ImportProblem(f"{member} in {name} is {kind}, not a WhatsApp chat.")
    by_name = {archives.basename(m): m for m in archive.names if m != member}

    def attachment(file_name: str) -> Attachment | None:
        found = by_name.get(file_name)
        if found is None:
            return None
        return Attachment(
            name=file_name,
            content_type=archives.content_type(file_name),
            size=archive.size(found),
            open=lambda: archive.open(found),
        )

    return (lambda: archive.open(member)), attachment
