"""Taking in an evidence file: check what it really is, keep it byte-exact, hash it, preview it.

The order matters. The file is checked from its bytes (never its name) before anything is
stored; the original is encrypted, written, flushed to disk and hashed before its row is inserted;
if the row cannot be committed, the stored files are removed again, so a failed upload leaves
nothing behind. A crash between the write and the commit can leave a file no row names: it is
never shown as evidence (only rows are), and `manage.py sweep_orphans` removes it later.

Every stored byte goes through diary.core.filestore, which encrypts it and flushes it to disk.
"""

import io
import logging
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from diary import messages
from diary.core import filestore
from diary.core.filestore import Stored
from diary.evidence import callhome
from diary.models import KeptFile
from diary.models.choices import EvidenceKind

logger = logging.getLogger(__name__)


SNIFF_BYTES = 8_192


PREVIEW_PIXELS = 1_600


EXIF_IFD = 0x8769


EXIF_DATETIME_ORIGINAL = 36867


EXIF_OFFSET_TIME_ORIGINAL = 36881


TIFF_DATETIME = 306


# Stored files are ciphertext: their names say nothing of what kind of file they hold.
STORED_SUFFIX = ".enc"


@dataclass(frozen=True)
class Allowed:
    kind: str
    extensions: frozenset[str]
    label: str


def _allowed(kind: str, label: str, *extensions: str) -> Allowed:
    return Allowed(kind, frozenset(extensions), label)


# Sniffed type -> what it is to the owner, and the extensions an honest file of it may carry.
ALLOWED: dict[str, Allowed] = {
    "image/jpeg": _allowed(EvidenceKind.PHOTO, "a JPEG photo", ".jpg", ".jpeg", ".jfif"),
    "image/png": _allowed(EvidenceKind.PHOTO, "a PNG image", ".png"),
    "image/gif": _allowed(EvidenceKind.PHOTO, "a GIF image", ".gif"),
    "image/webp": _allowed(EvidenceKind.PHOTO, "a WebP image", ".webp"),
    "image/heic": _allowed(EvidenceKind.PHOTO, "a HEIC photo", ".heic", ".heif"),
    "video/mp4": _allowed(EvidenceKind.VIDEO, "an MP4 video", ".mp4", ".m4v"),
    "video/x-m4v": _allowed(EvidenceKind.VIDEO, "an MP4 video", ".mp4", ".m4v"),
    "video/quicktime": _allowed(EvidenceKind.VIDEO, "a QuickTime video", ".mov", ".qt"),
    "video/webm": _allowed(EvidenceKind.VIDEO, "a WebM video", ".webm"),
    "video/3gpp": _allowed(EvidenceKind.VIDEO, "a 3GP video", ".3gp", ".3gpp"),
    "audio/mpeg": _allowed(EvidenceKind.AUDIO, "an MP3 recording", ".mp3"),
    "audio/mp4": _allowed(EvidenceKind.AUDIO, "an M4A recording", ".m4a", ".mp4", ".aac"),
    "audio/aac": _allowed(EvidenceKind.AUDIO, "an AAC recording", ".aac"),
    "audio/ogg": _allowed(EvidenceKind.AUDIO, "an Ogg recording", ".ogg", ".oga", ".opus"),
    "audio/x-wav": _allowed(EvidenceKind.AUDIO, "a WAV recording", ".wav"),
    "audio/amr": _allowed(EvidenceKind.AUDIO, "an AMR recording", ".amr"),
    "application/pdf": _allowed(EvidenceKind.DOCUMENT, "a PDF", ".pdf"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _allowed(
        EvidenceKind.DOCUMENT, "a Word document", ".docx"
    ),
    "application/msword": _allowed(EvidenceKind.DOCUMENT, "a Word document", ".doc"),
}


# Canonical extension for the stored copy, whatever the upload was called.
STORED_EXTENSION = {
    "image/jpeg": ".jpg",
    "image/heic": ".heic",
    "video/x-m4v": ".m4v",
    "video/quicktime": ".mov",
    "audio/mp4": ".m4a",
    "audio/x-wav": ".wav",
}


# What the owner may call a file, given what its content is.
KINDS_FOR: dict[str, set[str]] = {
    EvidenceKind.PHOTO: {EvidenceKind.PHOTO, EvidenceKind.SCREENSHOT, EvidenceKind.DOCUMENT},
    EvidenceKind.SCREENSHOT: {EvidenceKind.PHOTO, EvidenceKind.SCREENSHOT, EvidenceKind.DOCUMENT},
    EvidenceKind.VIDEO: {EvidenceKind.VIDEO, EvidenceKind.SCREENSHOT},
    EvidenceKind.AUDIO: {EvidenceKind.AUDIO},
    EvidenceKind.DOCUMENT: {EvidenceKind.DOCUMENT, EvidenceKind.SCREENSHOT},
}


A_KIND: dict[str, Promise] = {
    EvidenceKind.PHOTO: _("a photo"),
    EvidenceKind.VIDEO: _("a video"),
    EvidenceKind.AUDIO: _("audio"),
    EvidenceKind.SCREENSHOT: _("a screenshot"),
    EvidenceKind.DOCUMENT: _("a document"),
}


@dataclass(frozen=True)
class Sniffed:
    mime_type: str
    allowed: Allowed

    @property
    def extension(self) -> str:
        return STORED_EXTENSION.get(self.mime_type) or sorted(self.allowed.extensions)[0]


def _describe(guess: filetype.Type | None) -> str:
    if guess is None:
        return str(_("something that cannot be recognised"))
    known = ALLOWED.get(guess.mime)
    return known.label if known else guess.mime


def evidence_check(upload: UploadedFile, *, field: str = "file") -> Sniffed:
    """Raise a ValidationError (on `field`, the form's name for the upload) unless the upload
    is a file Sightline keeps."""
    limit = settings.EVIDENCE_MAX_BYTES
    if not upload.size:
        raise ValidationError({field: messages.FILE_EMPTY}, code="empty")
    if upload.size > limit:
        raise ValidationError(
            {field: messages.FILE_TOO_LARGE % {"limit": filesizeformat(limit)}}, code="too_large"
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    guess = filetype.guess(head)
    allowed = ALLOWED.get(guess.mime) if guess else None
    if allowed is None:
        raise ValidationError({field: messages.FILE_TYPE_NOT_ALLOWED}, code="type")
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension and extension not in allowed.extensions:
        raise ValidationError(
            {
                field: messages.FILE_EXTENSION_LIES
                % {"extension": extension, "actual": _describe(guess)}
            },
            code="extension",
        )
    if guess.mime.startswith("image/"):
        _check_image(upload, field)
    return Sniffed(mime_type=guess.mime, allowed=allowed)


# What a camera writes into a photo and a screenshot never carries: its maker, its model and
# the exposure (Make, Model in the image's own tags; ExposureTime in the Exif IFD).
EXIF_MAKE, EXIF_MODEL, EXIF_EXPOSURE_TIME = 0x010F, 0x0110, 0x829A


# Screenshots are saved losslessly; cameras write JPEG or HEIC.
SCREENSHOT_FORMATS = frozenset({"image/png", "image/webp"})


# A phone screen stands taller than any camera's frame (4:3 or 16:9 is 1.33 or 1.78 held
# upright, 19.5:9 is 2.17); 1.7 keeps a 3:2 or 4:3 picture out.
SCREEN_RATIO = 1.7


# Common screen sizes, either way up: laptops and desktops, which are wide, not tall.
SCREEN_SIZES = frozenset(
    {
        (1280, 720),
        (1280, 800),
        (1366, 768),
        (1440, 900),
        (1536, 864),
        (1600, 900),
        (1680, 1050),
        (1920, 1080),
        (1920, 1200),
        (2560, 1440),
        (2560, 1600),
        (2880, 1800),
        (3024, 1964),
        (3840, 2160),
    }
)


# How phones and computers name screenshots: "Screenshot_20261203-101500.png",
# "Screen Shot 2026-12-03 at 10.15.00.png", "Capture d'écran…", and an iPhone's "IMG_1234.PNG"
# (an iPhone's photos are HEIC or JPEG, its screenshots PNG).
SCREENSHOT_NAME = re.compile(r"^(screen[ _-]?shot|screen[ _-]?capture|capture|img_\d+\.png$)", re.I)


def _camera_exif(image: Image.Image) -> bool:
    exif = image.getexif()
    if exif.get(EXIF_MAKE) or exif.get(EXIF_MODEL):
        return True
    return bool(exif.get_ifd(EXIF_IFD).get(EXIF_EXPOSURE_TIME))


def looks_like_screenshot(upload: UploadedFile, mime_type: str) -> bool:
    """Whether an image is a screenshot rather than a photo: no camera wrote it (no maker,
    model or exposure in its EXIF), and it is named like one, or it is a PNG or WebP the shape
    of a phone's screen or the size of a computer's. A camera's photo stays a photo."""
    if not mime_type.startswith("image/"):
        return False
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if _camera_exif(image):
                return False
            width, height = image.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False
    finally:
        upload.seek(0)
    if SCREENSHOT_NAME.match(os.path.basename(upload.name or "")):
        return True
    if mime_type not in SCREENSHOT_FORMATS or not width or not height:
        return False
    tall = max(width, height) / min(width, height) >= SCREEN_RATIO and height > width
    return tall or (max(width, height), min(width, height)) in SCREEN_SIZES


# The most pixels an image may have. A phone photo at full resolution is at most about 50
# megapixels (a 48 MP iPhone: 8064 x 6048 = 48.8 MP; a 50 MP Android sensor: 8160 x 6144 =
# 50.1 MP), so this takes those with room to spare. Beyond it an image is a decompression bomb
# (a few kilobytes that decode to gigabytes) or costs seconds of CPU each: at Pillow's own 89 MP
# an image took 2.4 s to check and preview. The 64, 108 and 200 MP modes a few phones offer
# are refused with a message asking for a smaller copy. Pillow's ceiling is lowered to it too,
# so every image this process opens (the brief's photo, the PDF's previews) holds to it.
MAX_PIXELS = 52_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class _RunsOut:
    """Reads through to a file, noting when a read finds nothing left. Pillow pads a cut-off
    image instead of failing once anything in the process (WeasyPrint does) has set
    ImageFile.LOAD_TRUNCATED_IMAGES, so running out while decoding is how a cut is seen."""

    def __init__(self, source: UploadedFile) -> None:
        self.source, self.ran_out = source, False

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.source.read(size)
        if size != 0 and not data:
            self.ran_out = True
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)


def _check_image(upload: UploadedFile, field: str) -> None:
    """Refuse an image too large to decode safely, or one that does not decode (cut short,
    damaged): a photo that cannot be looked at is not kept as if it could."""
    upload.seek(0)
    watched = _RunsOut(upload)
    try:
        with Image.open(watched) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError({field: messages.IMAGE_TOO_LARGE}, code="too_many_pixels")
            image.draft("RGB", (PREVIEW_PIXELS, PREVIEW_PIXELS))  # JPEG: decode small
            watched.ran_out = False
            image.load()
            if watched.ran_out:
                raise OSError("image file is truncated")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError({field: messages.IMAGE_TOO_LARGE}, code="too_many_pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, AttributeError):
        raise ValidationError({field: messages.IMAGE_DAMAGED}, code="damaged") from None
    finally:
        upload.seek(0)


def _exif_time(image: Image.Image, zone: ZoneInfo) -> datetime | None:
    """The capture time the file claims. Anyone can edit EXIF, so callers mark it untrusted."""
    try:
        exif = image.getexif()
        sub = exif.get_ifd(EXIF_IFD)
        raw = sub.get(EXIF_DATETIME_ORIGINAL) or exif.get(TIFF_DATETIME)
        if not raw:
            return None
        claimed = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        offset = sub.get(EXIF_OFFSET_TIME_ORIGINAL)
        if offset:
            return datetime.strptime(
                f"{claimed:%Y-%m-%d %H:%M:%S}{str(offset).strip()}", "%Y-%m-%d %H:%M:%S%z"
            ).astimezone(UTC)
        return claimed.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, TypeError, KeyError, OSError):
        return None


def _preview(
    upload: UploadedFile, folder: str, zone: ZoneInfo
) -> tuple[Stored | None, datetime | None]:
    """A re-encoded JPEG without any metadata, and the time the original claims. Made from the
    upload itself, so the stored original is never decrypted for it."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            claimed = _exif_time(image, zone)
            image.draft("RGB", (PREVIEW_PIXELS, PREVIEW_PIXELS))  # JPEG: decode at a smaller scale
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((PREVIEW_PIXELS, PREVIEW_PIXELS))
            buffer = io.BytesIO()
            # A fresh RGB image carries no EXIF, GPS or trailing bytes from the original.
            upright.convert("RGB").save(buffer, format="JPEG", quality=82, optimize=True)
    except (
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        logger.info("no preview for an upload: %s", error)
        return None, None
    buffer.seek(0)
    return filestore.save(f"{folder}/previews/{uuid.uuid4().hex}{STORED_SUFFIX}", buffer), claimed


KeptT = TypeVar("KeptT", bound=KeptFile)


@dataclass
class StoredFile:
    """An accepted upload, already on storage (encrypted): the original with its wrapped key,
    its hash, and any preview."""

    name: str
    key: str
    preview: str
    preview_key: str
    original_name: str
    mime_type: str
    extension: str
    kind: str
    size: int
    sha256: str
    device_time: datetime | None
    call_home: str = ""
    call_home_checked_at: datetime | None = None
    preview_sha256: str = ""

    FIELDS = (
        "original_name",
        "mime_type",
        "extension",
        "kind",
        "size",
        "sha256",
        "device_time",
        "call_home",
        "call_home_checked_at",
        "preview_sha256",
    )

    @classmethod
    def of(cls, kept: KeptFile) -> "StoredFile":
        """The stored file behind a kept one (to keep it again, elsewhere)."""
        return cls(
            name=kept.original.name or "",
            key=kept.original_key,
            preview=kept.preview.name or "",
            preview_key=kept.preview_key,
            **{name: getattr(kept, name) for name in cls.FIELDS},
        )

    def keep(self, kept: KeptT) -> KeptT:
        """Fill in a new row's file fields from this stored file."""
        for name in self.FIELDS:
            setattr(kept, name, getattr(self, name))
        kept.original.name, kept.original_key = self.name, self.key
        kept.preview.name, kept.preview_key = self.preview, self.preview_key
        return kept

    def discard(self) -> None:
        filestore.delete(self.name)
        filestore.delete(self.preview)


@contextmanager
def stored_upload(
    upload: UploadedFile, *, folder: str, zone: ZoneInfo, field: str = "file"
) -> Iterator[StoredFile]:
    """Check an upload, store it encrypted under a server-made name, hashing the very bytes
    that were encrypted.

    If the `with` block raises (its database rows did not commit), the stored files are
    removed again, so a failed upload never leaves a file behind."""
    sniffed = evidence_check(upload, field=field)
    upload.seek(0)
    original = filestore.save(f"{folder}/{uuid.uuid4().hex}{STORED_SUFFIX}", upload)
    stored = StoredFile(
        name=original.name,
        key=original.key,
        preview="",
        preview_key="",
        original_name=os.path.basename(upload.name or "")[:255],
        mime_type=sniffed.mime_type,
        extension=sniffed.extension,
        kind=(
            EvidenceKind.SCREENSHOT
            if looks_like_screenshot(upload, sniffed.mime_type)
            else sniffed.allowed.kind
        ),
        size=original.size,
        sha256=original.sha256,
        device_time=None,
    )
    try:
        if callhome.checked_type(sniffed.mime_type):
            stored.call_home = callhome.check(upload, sniffed.mime_type).stored
        stored.call_home_checked_at = timezone.now()
        if sniffed.mime_type.startswith("image/"):
            preview, stored.device_time = _preview(upload, folder, zone)
            if preview is not None:
                stored.preview, stored.preview_key = preview.name, preview.key
                stored.preview_sha256 = preview.sha256
        yield stored
    except BaseException:
        stored.discard()
        raise


def photo_reencoded(upload: UploadedFile, *, folder: str, not_image: Promise | str) -> Stored:
    """A photo she gives of someone (the brief's, About the person's), kept only as a re-encoded
    JPEG at most 1200 pixels a side: no EXIF, no location. `not_image` is the field's error."""
    sniffed = evidence_check(upload, field="photo")
    if not sniffed.mime_type.startswith("image/"):
        raise ValidationError({"photo": not_image})
    try:
        with Image.open(upload) as image:
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((1200, 1200))
            buffer = io.BytesIO()
            upright.convert("RGB").save(buffer, format="JPEG", quality=85)
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError({"photo": not_image}) from None
    buffer.seek(0)
    return filestore.save(f"{folder}/{uuid.uuid4().hex}{STORED_SUFFIX}", buffer)
