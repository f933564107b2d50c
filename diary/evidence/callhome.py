"""Files that could call home: whether opening a file on the owner's device could tell whoever
made it when and where it was opened, and why.

A document that links to an outside image or template, a PDF that opens a web address or runs
a script, an SVG or HTML page that loads something from elsewhere: each fetches from its
author's server as it opens. This module reads a file's bytes and says so. It never fetches
anything, never expands XML entities (a document type declaration is refused outright), and is
bounded: at most INFLATE_LIMIT bytes are decompressed from a zip or a PDF's streams, at most
MEMBER_LIMIT zip members are looked at, and reading stops after TIME_LIMIT seconds. A file that
cannot be checked to the end is marked as "could not be checked", never as safe.

It also draws a plain-text copy of a document or HTML page (`safe_text`), with the same limits,
for the safe copy the owner reads instead of opening the original.
"""

import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import IO
from xml.parsers import expat

from diary.core.html_text import html_to_text

# The reasons a file could call home, as stored on its row (a comma-separated list).
OUTSIDE_LINK = "outside_link"
OPENS_ADDRESS = "opens_address"
SCRIPT = "script"
EMBEDDED_FILE = "embedded_file"
UNCHECKED = "unchecked"
REASONS = (OUTSIDE_LINK, OPENS_ADDRESS, SCRIPT, EMBEDDED_FILE, UNCHECKED)

INFLATE_LIMIT = 32 * 1024 * 1024
MEMBER_LIMIT = 2_000
RAW_LIMIT = 128 * 1024 * 1024
TIME_LIMIT = 5.0
TEXT_LIMIT = 200_000

ZIP_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
PDF_TYPES = {"application/pdf"}
MARKUP_TYPES = {"image/svg+xml", "text/html", "application/xhtml+xml", "message/rfc822"}
OLD_OFFICE_TYPES = {"application/msword"}


class _OutOfBudget(Exception):
    """The file needs more reading than the limits allow."""


@dataclass
class Budget:
    """What checking one file may cost. `inflated` counts every byte decompressed."""

    inflate_limit: int = INFLATE_LIMIT
    time_limit: float = TIME_LIMIT
    inflated: int = 0
    started: float = field(default_factory=time.monotonic)

    def take(self, size: int) -> int:
        """How many more bytes may be decompressed, at most `size`; raises when none may."""
        if time.monotonic() - self.started > self.time_limit:
            raise _OutOfBudget
        left = self.inflate_limit - self.inflated
        if left <= 0:
            raise _OutOfBudget
        return min(size, left)

    def spent(self, size: int) -> None:
        self.inflated += size


@dataclass(frozen=True)
class Verdict:
    reasons: tuple[str, ...]
    inflated: int = 0

    @property
    def could_call_home(self) -> bool:
        return bool(self.reasons)

    @property
    def stored(self) -> str:
        return ",".join(self.reasons)


def checked_type(mime_type: str) -> bool:
    """Whether files of this type are looked at here (images, video and audio never call home:
    photos are shown only as re-encoded previews, and recordings fetch nothing)."""
    return mime_type in ZIP_TYPES | PDF_TYPES | MARKUP_TYPES | OLD_OFFICE_TYPES


def check(source: IO[bytes], mime_type: str, budget: Budget | None = None) -> Verdict:
    """Whether a file (a seekable binary stream, read from its start) could call home."""
    budget = budget or Budget()
    found: set[str] = set()
    try:
        source.seek(0)
        if mime_type in ZIP_TYPES:
            _check_zip(source, found, budget)
        elif mime_type in PDF_TYPES:
            _check_pdf(_read_raw(source), found, budget)
        elif mime_type in MARKUP_TYPES:
            _check_markup(_read_raw(source), found)
        elif mime_type in OLD_OFFICE_TYPES:
            _check_old_office(_read_raw(source), found)
    except (_OutOfBudget, zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError):
        found.add(UNCHECKED)
    except (NotImplementedError, ValueError):  # an unknown zip compression, a damaged header
        found.add(UNCHECKED)
    finally:
        source.seek(0)
    return Verdict(tuple(r for r in REASONS if r in found), budget.inflated)


def _read_raw(source: IO[bytes]) -> bytes:
    data = source.read(RAW_LIMIT + 1)
    if len(data) > RAW_LIMIT:
        raise _OutOfBudget
    return data


# --- XML, without entities ---------------------------------------------------------------


class _NoDoctype(Exception):
    pass


def _parse_xml(
    data: bytes,
    start: Callable[[str, dict[str, str]], None],
    text: Callable[[str], None] | None = None,
) -> None:
    """Stream XML through expat with no DTD at all: a document type declaration (where entity
    bombs and outside entities live) stops the parse. Element names have their namespace URI
    cut off; attribute names keep only their local part."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_doctype(*_args: object) -> None:
        raise _NoDoctype

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    parser.ExternalEntityRefHandler = no_doctype  # type: ignore[assignment]

    def on_start(name: str, attrs: dict[str, str]) -> None:
        start(_local(name), {_local(k): v for k, v in attrs.items()})

    parser.StartElementHandler = on_start
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _NoDoctype:
        raise _OutOfBudget from None
    except expat.ExpatError:
        pass  # a damaged part: what was read before the damage still counts


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


_OUTSIDE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.IGNORECASE)


def _outside(target: str) -> bool:
    """A reference that leaves the file: any scheme (http:, file:, smb:, ...), a
    protocol-relative //host, or a Windows share \\\\host."""
    return bool(_OUTSIDE.match(target)) and not target.strip().lower().startswith("#")


# --- zip-based office documents (OOXML and OpenDocument) ---------------------------------


HYPERLINK_TYPE = "/hyperlink"
OUTSIDE_FIELDS = re.compile(rb"INCLUDEPICTURE|INCLUDETEXT|\bLINK\s|\bDDEAUTO\b|\bDDE\b")
ODF_FETCHING = {"image", "object", "object-ole", "plugin", "applet", "frame", "fill-image"}


def _members(source: IO[bytes], budget: Budget) -> Iterator[tuple[str, bytes]]:
    """The XML-ish parts of a zip, each decompressed no further than the budget allows."""
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        if len(infos) > MEMBER_LIMIT:
            raise _OutOfBudget
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            lowered = name.lower()
            if lowered.endswith(("vbaproject.bin", ".bas")) or "/basic/" in lowered:
                yield name, b""
                continue
            if not lowered.endswith((".rels", ".xml")):
                continue
            with archive.open(info) as part:
                chunks = []
                while True:
                    chunk = part.read(budget.take(64 * 1024))
                    if not chunk:
                        break
                    budget.spent(len(chunk))
                    chunks.append(chunk)
            yield name, b"".join(chunks)


def _check_zip(source: IO[bytes], found: set[str], budget: Budget) -> None:
    for name, data in _members(source, budget):
        lowered = name.lower()
        if lowered.endswith(("vbaproject.bin", ".bas")) or "/basic/" in lowered:
            found.add(SCRIPT)
            continue
        if lowered.endswith(".rels"):
            _parse_xml(data, lambda tag, attrs: _relationship(tag, attrs, found))
            continue
        if OUTSIDE_FIELDS.search(data):
            found.add(OUTSIDE_LINK)
        _parse_xml(data, lambda tag, attrs: _odf_element(tag, attrs, found))


def _relationship(tag: str, attrs: dict[str, str], found: set[str]) -> None:
    if tag != "Relationship":
        return
    kind = attrs.get("Type", "")
    target = attrs.get("Target", "")
    external = attrs.get("TargetMode", "").lower() == "external" or _outside(target)
    if external and not kind.endswith(HYPERLINK_TYPE):
        found.add(OUTSIDE_LINK)


def _odf_element(tag: str, attrs: dict[str, str], found: set[str]) -> None:
    if tag in {"script", "event-listener", "scripts"} and (attrs or tag != "scripts"):
        found.add(SCRIPT)
    href = attrs.get("href", "")
    if href and tag in ODF_FETCHING and _outside(href):
        found.add(OUTSIDE_LINK)


# --- PDF ----------------------------------------------------------------------------------


PDF_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")
PDF_STREAM = re.compile(rb"stream\r?\n")
PDF_STREAM_LIMIT = 20_000
PDF_SCRIPT = {"JavaScript", "JS", "XFA", "RichMedia"}
PDF_FETCH = {"URI", "SubmitForm", "GoToR", "GoToE", "ImportData", "Launch"}
PDF_ON_OPEN = {"OpenAction", "AA"}
PDF_ALWAYS_FETCH = {"SubmitForm", "GoToR", "GoToE", "ImportData", "Launch"}
PDF_EMBEDDED = {"EmbeddedFile", "EmbeddedFiles"}


def _pdf_names(data: bytes) -> set[str]:
    """Every name in some PDF bytes, with #xx escapes undone (/J#61vaScript is /JavaScript)."""
    names = set()
    for match in PDF_NAME.finditer(data):
        raw = match.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        names.add(raw.decode("latin-1"))
    return names


def _pdf_streams(data: bytes, budget: Budget) -> Iterator[bytes]:
    """Each stream that inflates, inflated within the budget (object streams hide names)."""
    for count, match in enumerate(PDF_STREAM.finditer(data)):
        if count >= PDF_STREAM_LIMIT:
            raise _OutOfBudget
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[start:end], budget.take(INFLATE_LIMIT) + 1)
        except zlib.error:
            continue  # not Flate, or not a stream at all
        budget.spent(len(inflated))
        if inflater.unconsumed_tail:
            raise _OutOfBudget
        yield inflated


def _check_pdf(data: bytes, found: set[str], budget: Budget) -> None:
    names = _pdf_names(data)
    if "Encrypt" in names:
        found.add(UNCHECKED)  # its streams cannot be read without its key
    for inflated in _pdf_streams(data, budget):
        names |= _pdf_names(inflated)
    if names & PDF_SCRIPT:
        found.add(SCRIPT)
    if names & PDF_ALWAYS_FETCH or (names & PDF_ON_OPEN and names & PDF_FETCH):
        found.add(OPENS_ADDRESS)
    if names & PDF_EMBEDDED:
        found.add(EMBEDDED_FILE)


# --- SVG, HTML, e-mail, old Word ----------------------------------------------------------


MARKUP_SCRIPT = re.compile(rb"<\s*script|\son[a-z]+\s*=|javascript:", re.IGNORECASE)
MARKUP_OUTSIDE = re.compile(
    rb"""(?:href|src|srcset|background|poster|data|action|formaction)\s*=\s*["']?\s*"""
    rb"""(?:[a-z][a-z0-9+.-]*:|//|\\\\)|url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)|@import""",
    re.IGNORECASE,
)
MARKUP_HARMLESS_SCHEMES = re.compile(rb"(?:href|src)\s*=\s*[\"']?\s*(?:mailto|tel|cid|data):", re.I)


def _check_markup(data: bytes, found: set[str]) -> None:
    if MARKUP_SCRIPT.search(data):
        found.add(SCRIPT)
    for match in MARKUP_OUTSIDE.finditer(data):
        if not MARKUP_HARMLESS_SCHEMES.match(data, match.start()):
            found.add(OUTSIDE_LINK)
            break


def _check_old_office(data: bytes, found: set[str]) -> None:
    """An old .doc keeps its field codes as text (8-bit or UTF-16): INCLUDEPICTURE and the
    like fetch from outside as it opens, and macros are scripts."""
    for word in (b"INCLUDEPICTURE", b"INCLUDETEXT"):
        if word in data or word.decode().encode("utf-16-le") in data:
            found.add(OUTSIDE_LINK)
    if "Macros".encode("utf-16-le") in data or b"_VBA_PROJECT" in data:
        found.add(SCRIPT)


# --- the safe copy: text only ---------------------------------------------------------------


TEXT_PARTS = re.compile(
    r"^(word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml|xl/sharedStrings\.xml|"
    r"ppt/slides/slide\d+\.xml|content\.xml)$"
)
BREAKS = {"p", "br", "tab", "tr", "h", "si", "table-row", "cr"}
SKIPPED = {"instrText", "delText", "script", "annotation"}


def safe_text(source: IO[bytes], mime_type: str, budget: Budget | None = None) -> str:
    """The words of a document or HTML page as plain text (no links, no pictures, nothing
    fetched), cut at TEXT_LIMIT characters; "" for a type with no text drawn here."""
    budget = budget or Budget()
    pieces: list[str] = []
    try:
        source.seek(0)
        if mime_type in ZIP_TYPES:
            _zip_text(source, pieces, budget)
        elif mime_type == "message/rfc822":
            pieces.extend(_mail_text(_read_raw(source)))
        elif mime_type in MARKUP_TYPES:
            pieces.append(_markup_text(_read_raw(source)))
    except (_OutOfBudget, zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError):
        pass
    except (NotImplementedError, ValueError):
        pass
    finally:
        source.seek(0)
    text = "".join(pieces)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()[:TEXT_LIMIT]


def _zip_text(source: IO[bytes], pieces: list[str], budget: Budget) -> None:
    parts = [(n, d) for n, d in _members(source, budget) if TEXT_PARTS.match(n)]
    parts.sort(key=lambda p: (not p[0].startswith("word/document"), _natural(p[0])))
    for _name, data in parts:
        depth = {"skip": 0}

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag in BREAKS:
                pieces.append("\t" if tag == "tab" else "\n")

        def text(chunk: str, depth: dict[str, int] = depth) -> None:
            if not depth["skip"]:
                pieces.append(chunk)

        _parse_skipping(data, start, text, depth)
        pieces.append("\n\n")


def _parse_skipping(
    data: bytes,
    start: Callable[[str, dict[str, str]], None],
    text: Callable[[str], None],
    depth: dict[str, int],
) -> None:
    """Like _parse_xml, but leaves out the text of field codes and deleted text."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_doctype(*_args: object) -> None:
        raise _NoDoctype

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype

    def on_start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag in SKIPPED:
            depth["skip"] += 1
        start(tag, attrs)

    def on_end(name: str) -> None:
        if _local(name) in SKIPPED:
            depth["skip"] -= 1

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _NoDoctype:
        raise _OutOfBudget from None
    except expat.ExpatError:
        pass


def _natural(name: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _mail_text(data: bytes) -> Iterator[str]:
    """An e-mail's sender, subject and date, then each text part, with HTML parts' tags left
    out (so no picture in them is ever fetched)."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    for header in ("From", "To", "Date", "Subject"):
        if message[header]:
            yield f"{header}: {message[header]}\n"
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind not in {"text/plain", "text/html"}:
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            continue
        if not isinstance(content, str):
            continue
        yield "\n"
        yield _markup_text(content.encode()) if kind == "text/html" else content


def _markup_text(data: bytes) -> str:
    return html_to_text(data.decode("utf-8", errors="replace")[: TEXT_LIMIT * 4])
