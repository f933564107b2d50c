"""Zip archives and text files from an upload, opened without trusting them.

A zip is read through its central directory only after every member's name and declared
size has been checked, and every member is read through a counter that stops at its declared
size (and the declared sizes' sum is limited), whatever the headers claim (a zip bomb lies in them).
`sniff` says what a file really is from its first bytes, so a picture named .txt is named as a
picture in the message the owner sees."""

import io
import mimetypes
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

from diary.imports.formats.base import ImportProblem

MAX_MEMBERS = 100_000
MAX_TOTAL_BYTES = 4 * 1024**3  # everything in one archive, uncompressed
# Chat text compresses about 10:1 and photos hardly at all; a bomb is near 1000:1. Only
# members big enough to matter are held to it.
MAX_RATIO = 200
RATIO_FLOOR = 1024**2
MAX_LINE_BYTES = 1024**2  # a WhatsApp message is at most 65,536 characters

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG picture"),
    (b"\xff\xd8\xff", "a JPEG picture"),
    (b"GIF8", "a GIF picture"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "a zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3\x00", "a database file"),
    (b"\xd0\xcf\x11\xe0", "an Office document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file say it is ("a PNG picture"), or None for no known kind."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[4:8] == b"ftyp":
        return "a photo or video (HEIC, MP4 or MOV)"
    return None


def head_of(stream: IO[bytes], size: int = 16) -> bytes:
    """The first bytes of a seekable stream, leaving it at the start."""
    stream.seek(0)
    head = stream.read(size)
    stream.seek(0)
    return head


def check_text(stream: IO[bytes], *, name: str, what: str) -> None:
    """Refuse an empty file or one whose first bytes say it is not text."""
    head = head_of(stream, 512)
    if not head:
        raise ImportProblem(f"{name} is empty (0 bytes): export the {what} again.")
    kind = sniff(head)
    if kind is not None:
        raise ImportProblem(f"{name} is {kind}, not the {what} its name says.")
    if b"\x00" in head:
        raise ImportProblem(f"{name} is not a text file, so it cannot be the {what}.")


def text_lines(stream: IO[bytes], *, name: str) -> Iterator[tuple[int, str]]:
    """(line number, line without its ending) for each line of UTF-8 text (a BOM is allowed),
    one at a time. Only "\\n" ends a line: U+2028 inside a message stays in it."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ImportProblem(
                f"this line of {name} is longer than any message can be.", line=number
            )
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ImportProblem(
                f"{name} is not UTF-8 text here, so it was not written by the app as it is; "
                "export it again without converting it.",
                line=number,
            ) from None
        yield number, line.rstrip("\r\n")


def _safe_member_name(member: str) -> bool:
    if not member or "\\" in member or "\x00" in member:
        return False
    if member.startswith("/") or re.match(r"^[A-Za-z]:", member):
        return False
    return ".." not in member.split("/")


class _Counted(io.RawIOBase):
    """A member's bytes, counted as they come: never more than it declared (whose sum
    the archive checked), whatever the compressed stream would give. zipfile itself stops at
    the declared size and then finds the CRC wrong (a lying bomb reads as damaged); this
    count holds even if it did not."""

    def __init__(self, archive: "SafeZip", info: zipfile.ZipInfo) -> None:
        self._archive = archive
        self._info = info
        self._inner = archive.zip.open(info)
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise ImportProblem(
                f"{self._archive.name} is damaged or cut short ({self._info.filename} "
                "cannot be read): make the export again and upload the whole file."
            ) from error
        self._read += len(data)
        if self._read > self._info.file_size:
            raise ImportProblem(
                f"{self._archive.name} holds more in {self._info.filename} than it says: "
                "it is not a real export."
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


class SafeZip:
    """A checked zip archive: `names` are its files, `open(name)` reads one through the
    counter, `size(name)` is what it declares."""

    def __init__(self, stream: IO[bytes], *, name: str) -> None:
        self.name = name
        head = head_of(stream, 16)
        if not head:
            raise ImportProblem(f"{name} is empty (0 bytes): make the export again.")
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            kind = sniff(head)
            raise ImportProblem(
                f"{name} is {kind}, not a zip archive." if kind else f"{name} is not a zip archive."
            )
        try:
            self.zip = zipfile.ZipFile(stream)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
            raise ImportProblem(
                f"{name} is damaged or cut short: make the export again and upload the whole file."
            ) from error
        if len(infos) > MAX_MEMBERS:
            raise ImportProblem(
                f"{name} holds {len(infos):,} files, more than an export has "
                f"(at most {MAX_MEMBERS:,})."
            )
        total = 0
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if not _safe_member_name(info.filename):
                raise ImportProblem(
                    f"{name} holds a file named {info.filename!r}, which points outside the "
                    "archive: it is not a real export, so nothing was read from it."
                )
            total += info.file_size
            if info.file_size >= RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise ImportProblem(
                    f"{name} would grow far larger than it is when opened ({info.filename}): "
                    "it is not a real export."
                )
            if not info.is_dir():
                self._infos[info.filename] = info
        if total > MAX_TOTAL_BYTES:
            raise ImportProblem(
                f"{name} would be {total / 1024**3:.1f} GB opened, more than an export "
                f"can be here (at most {MAX_TOTAL_BYTES / 1024**3:.0f} GB)."
            )

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def size(self, member: str) -> int:
        return self._infos[member].file_size

    def open(self, member: str) -> IO[bytes]:
        """The member's bytes, buffered (so lines can be read), counted as they come."""
        return io.BufferedReader(_Counted(self, self._infos[member]), 64 * 1024)


def content_type(file_name: str) -> str:
    guessed, _ = mimetypes.guess_type(file_name)
    return guessed or "application/octet-stream"


def basename(member: str) -> str:
    return posixpath.basename(member)
