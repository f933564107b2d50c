"""WhatsApp "Export chat" files as phones write them, made here so the tests know every
message they hold: each layout (Android, iPhone) in the date spellings phones write, as a
.txt or a .zip with media, the bad inputs, and a 50,000-message chat streamed to a file (for
the bench too: `write_big(path, 50_000)`)."""

import io
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

LRM = "\u200e"
NNBSP = "\u202f"
# Small real pictures, so an attachment's bytes can be compared.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@dataclass(frozen=True)
class Spelling:
    """How one phone language writes a message's date and time."""

    key: str
    iphone: bool
    day_first: bool | None  # None: year-first
    stamp: Callable[[datetime], str]


def _h12(when: datetime, suffix: tuple[str, str], sep: str = " ", seconds: bool = False) -> str:
    hour = when.hour % 12 or 12
    time = f"{hour}:{when:%M}" + (f":{when:%S}" if seconds else "")
    return time + sep + suffix[when.hour >= 12]


AMPM = ("AM", "PM")
ENCRYPTED = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them."
)
SPELLINGS = [
    Spelling("android-us", False, False, lambda w: f"{w.month}/{w.day}/{w:%y}, {_h12(w, AMPM)}"),
    Spelling(
        "android-us-nnbsp",
        False,
        False,
        lambda w: f"{w.month}/{w.day}/{w:%y}, {_h12(w, AMPM, NNBSP)}",
    ),
    Spelling("android-us-24", False, False, lambda w: f"{w:%m/%d/%Y}, {w:%H:%M}"),
    Spelling("android-gb", False, True, lambda w: f"{w:%d/%m/%Y}, {w:%H:%M}"),
    Spelling("android-de", False, True, lambda w: f"{w:%d.%m.%y}, {w:%H:%M}"),
    Spelling("android-nl", False, True, lambda w: f"{w:%d-%m-%Y} {w:%H:%M}"),
    Spelling("android-in", False, True, lambda w: f"{w:%d/%m/%y}, {_h12(w, ('am', 'pm'))}"),
    Spelling("android-au", False, True, lambda w: f"{w:%d/%m/%Y}, {_h12(w, ('a.m.', 'p.m.'))}"),
    Spelling("android-iso", False, None, lambda w: f"{w:%Y-%m-%d}, {w:%H:%M}"),
    Spelling("iphone-gb", True, True, lambda w: f"{w:%d/%m/%Y}, {w:%H:%M:%S}"),
    Spelling(
        "iphone-us",
        True,
        False,
        lambda w: f"{w.month}/{w.day}/{w:%y}, {_h12(w, AMPM, seconds=True)}",
    ),
    Spelling(
        "iphone-us-nnbsp",
        True,
        False,
        lambda w: f"{w.month}/{w.day}/{w:%y}, {_h12(w, AMPM, NNBSP, seconds=True)}",
    ),
    Spelling("iphone-de", True, True, lambda w: f"{w:%d.%m.%y}, {w:%H:%M:%S}"),
    Spelling("iphone-nl-24", True, True, lambda w: f"{w:%d-%m-%Y} {w:%H:%M:%S}"),
]
BY_KEY = {spelling.key: spelling for spelling in SPELLINGS}


@dataclass(frozen=True)
class Sample:
    """One line-started item of a chat and what a reader should make of it."""

    sender: str  # "" for WhatsApp's own notice (skipped)
    when: datetime
    text: str = ""
    file: str = ""  # an attachment's kind: "photo" or "document"
    omitted: bool = False
    deleted: bool = False
    notice: str = ""
    line: int = 0  # 1-based, filled in as written


@dataclass(frozen=True)
class Expected:
    sender: str
    when: datetime  # naive, as the phone wrote it (Android: to the minute)
    text: str
    line: int
    file_name: str  # "" when none is named
    file_bytes: bytes | None  # None when the file is not in the export
    omitted: bool
    deleted: bool


def conversation() -> list[Sample]:
    day = datetime(2023, 12, 31, 21, 3, 15)
    return [
        Sample("", day, notice="encryption"),
        Sample("Bob", day, "Hi, it's me again"),
        Sample(
            "Bob",
            day + timedelta(seconds=25),
            "Why won't you answer?\nI know you're home.\n10/10/2023 was when it started",
        ),
        Sample("Alice", day + timedelta(minutes=2), "Please stop contacting me."),
        Sample("Bob", day + timedelta(minutes=3), omitted=True),
        Sample("Bob", day + timedelta(minutes=4, seconds=11), "Look who I saw", file="photo"),
        Sample("Bob", day + timedelta(minutes=5), file="document"),
        Sample("", day + timedelta(minutes=6), notice="subject"),
        Sample("Bob", day + timedelta(minutes=7), "This message was deleted", deleted=True),
        Sample("+44 7700 900123", datetime(2024, 1, 1, 0, 0, 5), "Happy new year 🎉 — ünïcödé"),
        Sample("Bob", datetime(2024, 1, 1, 12, 30), "12:30 lunch? I'll be outside: waiting"),
        Sample("Bob", datetime(2024, 1, 1, 23, 59, 59), "line one\u2028same line, a separator"),
    ]


def _file_name(sample: Sample, spelling: Spelling, index: int) -> str:
    w = sample.when
    if spelling.iphone:
        kind = "PHOTO" if sample.file == "photo" else "DOCUMENT"
        ext = "jpg" if sample.file == "photo" else "pdf"
        return f"{index:08d}-{kind}-{w:%Y-%m-%d-%H-%M-%S}.{ext}"
    return (
        f"IMG-{w:%Y%m%d}-WA{index:04d}.jpg"
        if sample.file == "photo"
        else f"DOC-{w:%Y%m%d}-WA{index:04d}.pdf"
    )


def _file_bytes(sample: Sample) -> bytes:
    return (
        JPEG
        if sample.file == "photo"
        else b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    )


def _shown(sample: Sample, spelling: Spelling) -> str:
    # What the sender's name looks like in the file: an iPhone wraps a number in marks.
    if spelling.iphone and sample.sender.startswith("+"):
        return f"\u202a{sample.sender}\u202c"
    return sample.sender


def render(sample: Sample, spelling: Spelling, *, media: bool, index: int) -> tuple[str, str]:
    """The lines of one item (joined with "\\n") and the attached file's name ("" for none)."""
    stamp = spelling.stamp(sample.when)
    head = f"{LRM}[{stamp}] " if spelling.iphone else f"{stamp} - "
    if not spelling.iphone and sample.notice == "encryption":
        return f"{head}{ENCRYPTED} Tap to learn more.", ""
    if sample.notice == "encryption":
        return f"{head}Bob: {LRM}{ENCRYPTED}", ""
    if sample.notice == "subject":
        if spelling.iphone:
            return f"{head}Bob: {LRM}Bob changed the subject to “Us: forever”", ""
        return f'{head}Bob changed the subject from "Us: then" to "Us: forever"', ""
    name = _shown(sample, spelling)
    if sample.omitted or (sample.file and not media):
        marker = f"{LRM}image omitted" if spelling.iphone else "<Media omitted>"
        return f"{head}{name}: {marker}", ""
    if sample.file:
        file_name = _file_name(sample, spelling, index)
        marker = (
            f"{LRM}<attached: {file_name}>" if spelling.iphone else f"{file_name} (file attached)"
        )
        caption = f"\n{sample.text}" if sample.text else ""
        return f"{head}{name}: {marker}{caption}", file_name
    text = sample.text
    if sample.deleted and spelling.iphone:
        text = f"{LRM}{text}."
    return f"{head}{name}: {text}", ""


def expected_for(
    sample: Sample, spelling: Spelling, *, media: bool, line: int, file_name: str, in_zip: bool
) -> Expected | None:
    if not sample.sender or sample.notice:
        return None
    when = sample.when if spelling.iphone else sample.when.replace(second=0)
    omitted = sample.omitted or bool(sample.file and not media)
    text = "" if omitted else sample.text
    if sample.deleted and spelling.iphone:
        text += "."
    return Expected(
        sender=sample.sender,
        when=when,
        text=text,
        line=line,
        file_name=file_name,
        file_bytes=_file_bytes(sample) if (file_name and in_zip) else None,
        omitted=omitted,
        deleted=sample.deleted,
    )


def chat_text(
    spelling: Spelling,
    samples: list[Sample] | None = None,
    *,
    media: bool = True,
    in_zip: bool = False,
) -> tuple[str, list[Expected], dict[str, bytes]]:
    """The chat's text, what a reader should give, and the files a zip would hold."""
    lines: list[str] = []
    expected: list[Expected] = []
    files: dict[str, bytes] = {}
    for index, sample in enumerate(samples or conversation(), start=1):
        text, file_name = render(sample, spelling, media=media, index=index)
        found = expected_for(
            sample, spelling, media=media, line=len(lines) + 1, file_name=file_name, in_zip=in_zip
        )
        if found is not None:
            expected.append(found)
        if file_name:
            files[file_name] = _file_bytes(sample)
        lines.extend(text.split("\n"))
    return "".join(line + "\n" for line in lines), expected, files


def chat_name(spelling: Spelling) -> str:
    return "_chat.txt" if spelling.iphone else "WhatsApp Chat with Bob.txt"


def write_txt(
    path: Path, spelling: Spelling, *, crlf: bool = False, bom: bool = False
) -> list[Expected]:
    text, expected, _ = chat_text(spelling, in_zip=False)
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return expected


def write_zip(
    path: Path, spelling: Spelling, *, media: bool = True, samples: list[Sample] | None = None
) -> list[Expected]:
    text, expected, files = chat_text(spelling, samples, media=media, in_zip=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(chat_name(spelling), text)
        if media:
            for file_name, data in files.items():
                archive.writestr(file_name, data)
    return expected


def zip_name(spelling: Spelling) -> str:
    return "WhatsApp Chat - Bob.zip" if spelling.iphone else "WhatsApp Chat with Bob.zip"


# The 50,000-message chat: a deterministic stream, so a test checks every message without
# keeping them.
WORDS = [
    "please",
    "stop",
    "I",
    "know",
    "where",
    "you",
    "are",
    "answer",
    "me",
    "why",
    "are",
    "you",
    "ignoring",
    "me",
    "tonight",
    "outside",
]


def big_samples(count: int) -> Iterator[Sample]:
    start = datetime(2023, 1, 1, 8, 0, 0)
    yield Sample("", start, notice="encryption")
    for i in range(count):
        when = start + timedelta(minutes=7 * i, seconds=i % 60)
        sender = "Bob" if i % 5 else "Alice"
        words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(3 + i % 12))
        text = f"{words} #{i}" if i % 9 else f"{words} #{i}\nand more on a second line"
        yield Sample(sender, when, text, omitted=(i % 97 == 0))


def big_expected(spelling: Spelling, count: int) -> Iterator[Expected]:
    line = 1
    for index, sample in enumerate(big_samples(count), start=1):
        text, _ = render(sample, spelling, media=False, index=index)
        found = expected_for(sample, spelling, media=False, line=line, file_name="", in_zip=False)
        if found is not None:
            yield found
        line += text.count("\n") + 1


def _big_lines(spelling: Spelling, count: int) -> Iterator[bytes]:
    for index, sample in enumerate(big_samples(count), start=1):
        text, _ = render(sample, spelling, media=False, index=index)
        yield (text + "\n").encode()


def write_big(
    path: Path, count: int = 50_000, *, spelling: str = "iphone-gb", as_zip: bool = False
) -> Path:
    """A chat of `count` messages, written a line at a time (as .txt, or a .zip holding it)."""
    chosen = BY_KEY[spelling]
    if not as_zip:
        with path.open("wb") as out:
            out.writelines(_big_lines(chosen, count))
        return path
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(chat_name(chosen), "w", force_zip64=True) as out,
    ):
        out.writelines(_big_lines(chosen, count))
    return path


# Bad inputs.


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for member, data in members.items():
            archive.writestr(zipfile.ZipInfo(member, (2023, 12, 31, 21, 3, 0)), data, compression)
    return buffer.getvalue()


def good_zip_bytes(spelling: Spelling | None = None) -> bytes:
    chosen = spelling or BY_KEY["android-gb"]
    text, _, files = chat_text(chosen, in_zip=True)
    return zip_bytes({chat_name(chosen): text.encode(), **files})


def truncated_zip() -> bytes:
    data = good_zip_bytes()
    return data[: len(data) // 2]


def corrupt_member_zip() -> bytes:
    """The directory is whole but the chat's compressed bytes are damaged."""
    chosen = BY_KEY["android-gb"]
    text, _, _ = chat_text(chosen)
    data = bytearray(zip_bytes({chat_name(chosen): text.encode() * 20}))
    start = 30 + len(chat_name(chosen).encode())
    for i in range(start + 10, start + 60):
        data[i] ^= 0x5A
    return bytes(data)


def bomb_zip(size: int = 16 * 1024**2) -> bytes:
    """One member of zeros: a few kilobytes that open to `size` bytes."""
    return zip_bytes({"_chat.txt": b"\x00" * size})


def lying_bomb_zip(real: int = 4 * 1024**2, declared: int = 1000) -> bytes:
    """A member whose headers say `declared` bytes but whose data opens to `real`: only
    counting what comes out catches it."""
    line = "[31/12/2023, 21:03:15] Bob: " + "a" * 50 + "\n"
    payload = (line * (real // len(line) + 1)).encode()[:real]
    data = bytearray(zip_bytes({"_chat.txt": payload}))
    # The size fields: the local header's at 22, the central directory's at 24 past its start.
    struct.pack_into("<I", data, 22, declared)
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def climbing_zip(member: str) -> bytes:
    chosen = BY_KEY["android-gb"]
    text, _, _ = chat_text(chosen)
    return zip_bytes({chat_name(chosen): text.encode(), member: JPEG})


def many_members_zip(count: int) -> bytes:
    chosen = BY_KEY["android-gb"]
    text, _, _ = chat_text(chosen)
    members = {chat_name(chosen): text.encode()}
    members.update({f"IMG-{i}.jpg": b"" for i in range(count)})
    return zip_bytes(members, zipfile.ZIP_STORED)


def latin1_chat() -> tuple[bytes, int]:
    """A chat saved as Latin-1 by some other program, and the line where that shows."""
    text = "31/12/2023, 21:03 - Bob: hello\n31/12/2023, 21:04 - Bob: café tonight\n"
    return text.encode("latin-1"), 2


def with_line(spelling: Spelling, line_text: str) -> tuple[bytes, int]:
    """The sample chat with one more line at its end, and that line's number."""
    text, _, _ = chat_text(spelling, media=False)
    return (text + line_text + "\n").encode(), text.count("\n") + 1


def ambiguous_chat() -> tuple[bytes, list[tuple[str, datetime, str]]]:
    """Dates that could be day-first or month-first (no field over 12)."""
    text = "03/04/2023, 09:15 - Bob: are you there\n05/04/2023, 10:00 - Bob: answer me\n"
    return text.encode(), [
        ("Bob", datetime(2023, 4, 3, 9, 15), "are you there"),
        ("Bob", datetime(2023, 4, 5, 10, 0), "answer me"),
    ]


def conflicting_chat() -> tuple[bytes, int]:
    text = (
        "31/12/2023, 21:03 - Bob: day first here\n"
        "01/01/2024, 08:00 - Bob: either way\n"
        "01/13/2024, 08:00 - Bob: month first here\n"
    )
    return text.encode(), 3


def dst_chat() -> bytes:
    """London: 01:30 on 31 March 2024 never happened; 01:30 on 27 October 2024 happened twice."""
    return (
        b"31/03/2024, 00:59 - Bob: before the change\n"
        b"31/03/2024, 01:30 - Bob: in the gap\n"
        b"27/10/2024, 01:10 - Bob: first 01:10\n"
        b"27/10/2024, 01:50 - Bob: first 01:50\n"
        b"27/10/2024, 01:20 - Bob: second 01:20\n"
    )
