"""The safe copy of a document: what the owner reads instead of opening a file that could call
home. A PDF's pages are drawn as PNG images here, on the server, by poppler's `pdftoppm`; a
document's or web page's words are given as plain text (diary.evidence.callhome.safe_text).
Nothing in the copy can fetch anything: an image has no links, and text is escaped as shown.

Nothing is stored. Each page is drawn when asked for (about 70 ms for a page of text), from a
decrypted copy written to a private temporary folder and removed at once, so there is never a
second lasting copy of the file, in clear or otherwise, and the original's bytes are only read.
Drawing is bounded: at most PAGE_LIMIT pages, each at most PAGE_PIXELS on its longer side, in
at most DRAW_SECONDS of wall time and DRAW_MEMORY of memory.
"""

import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image

from diary.core import filestore
from diary.evidence import callhome
from diary.models import KeptFile

PAGES = "pages"
TEXT = "text"

PAGE_LIMIT = 10
PAGE_PIXELS = 1400
DRAW_SECONDS = 10.0
DRAW_MEMORY = 1024 * 1024 * 1024
COPY_CHUNK = 1024 * 1024

TEXT_TYPES = callhome.ZIP_TYPES | callhome.MARKUP_TYPES
# Poppler needs nothing else: no locale, no home, no network settings.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


class CannotDraw(Exception):
    """The file could not be drawn within the limits (damaged, locked, or too complex)."""


@dataclass(frozen=True)
class Pages:
    count: int  # pages in the file
    shown: int  # pages that are drawn here, at most PAGE_LIMIT

    @property
    def cut(self) -> bool:
        return self.shown < self.count


def kind_of(kept: KeptFile) -> str:
    """PAGES, TEXT, or "" when no safe copy of this type is drawn (photos have their own
    re-encoded previews; recordings fetch nothing)."""
    if kept.mime_type in callhome.PDF_TYPES:
        return PAGES
    if kept.mime_type in TEXT_TYPES:
        return TEXT
    return ""


def offered(kept: KeptFile) -> bool:
    """Whether pages and the API offer this file's safe view: where one can be drawn, and for
    every file that could call home (its safe view then says why none can be drawn)."""
    return kept.could_call_home or bool(kind_of(kept))


@contextmanager
def _private_copy(kept: KeptFile) -> Iterator[str]:
    """The decrypted bytes in a file only this process's user can read, in a folder of its
    own, removed on leaving, whatever happens."""
    folder = tempfile.mkdtemp(prefix="safeview-")  # mode 0700
    try:
        path = os.path.join(folder, "file")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as copy, kept.original_file.open() as source:
            while block := source.read(COPY_CHUNK):
                copy.write(block)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str], folder: str) -> subprocess.CompletedProcess[bytes]:
    """Run a poppler tool with a time limit, and (where util-linux's prlimit is there) a cap
    on memory and CPU, with nothing from this process's environment."""
    limit = shutil.which("prlimit", path=CLEAN_ENV["PATH"])
    if limit:
        seconds = int(DRAW_SECONDS) + 1
        command = [limit, f"--as={DRAW_MEMORY}", f"--cpu={seconds}", "--", *command]
    try:
        return subprocess.run(  # noqa: S603 (a fixed command; the only input is our own path)
            command,
            cwd=folder,
            env=CLEAN_ENV,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=DRAW_SECONDS,
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError):
        raise CannotDraw from None


PAGES_LINE = re.compile(rb"^Pages:\s+(\d+)\s*$", re.MULTILINE)


def pages(kept: KeptFile) -> Pages:
    """How many pages a PDF has, and how many of them are drawn here."""
    with _private_copy(kept) as path:
        done = _run(["pdfinfo", path], os.path.dirname(path))
    match = PAGES_LINE.search(done.stdout)
    if done.returncode != 0 or match is None or int(match.group(1)) < 1:
        raise CannotDraw
    count = int(match.group(1))
    return Pages(count=count, shown=min(count, PAGE_LIMIT))


def page_png(kept: KeptFile, number: int) -> bytes:
    """One page of a PDF as a PNG image, at most PAGE_PIXELS on its longer side.

    Poppler draws a plain bitmap (PPM) and Pillow writes the PNG: poppler's own PNG output
    compresses hard and took seven times as long (0.37 s against 0.05 s for a page of text)."""
    if not 1 <= number <= PAGE_LIMIT:
        raise CannotDraw
    with _private_copy(kept) as path:
        folder = os.path.dirname(path)
        out = os.path.join(folder, "page")
        page = str(number)
        command = ["pdftoppm", "-q", "-f", page, "-l", page, "-singlefile"]
        done = _run([*command, "-scale-to", str(PAGE_PIXELS), path, out], folder)
        if done.returncode != 0:
            raise CannotDraw
        try:
            with Image.open(f"{out}.ppm", formats=["PPM"]) as drawn:
                if max(drawn.size) > PAGE_PIXELS:
                    raise CannotDraw
                image = io.BytesIO()
                drawn.save(image, "PNG", compress_level=3)
        except (OSError, ValueError, Image.DecompressionBombError):
            raise CannotDraw from None
    return image.getvalue()


def text(kept: KeptFile) -> str:
    """A document's words as plain text; "" when none could be read."""
    with filestore.decrypted_copy(kept.original.name or "", kept.original_key) as copy:
        return callhome.safe_text(copy, kept.mime_type)
