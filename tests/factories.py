"""Test data, made through the services so every row has its ledger record."""

import io
from datetime import timedelta
from typing import Any

import factory
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from diary.models import Entry, Item, Notice, User
from diary.records import services
from diary.safety.services import notice_dismiss


class OwnerFactory(factory.django.DjangoModelFactory):
    """A signed-up owner with their diary."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"owner{n}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def diary(user: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            services.diary_create(owner=user, time_zone=kwargs.get("time_zone"))

    @factory.post_generation
    def address(user: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Her address, confirmed when she signed up (sign-in needs a confirmed one)."""
        if create:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    @factory.post_generation
    def notices_seen(user: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        """An owner who has read the welcome and the quick exit's note, unless told not."""
        if create and extracted is not False:
            for kind in Notice.Kind.values:
                notice_dismiss(user=user, kind=kind)


def entry_content(**overrides: Any) -> dict[str, Any]:
    content: dict[str, Any] = {
        "what_happened": "A grey car parked across the road and the driver watched the house.",
        "occurred_start": timezone.now() - timedelta(hours=2),
    }
    content.update(overrides)
    return content


def make_entry(owner: User, **overrides: Any) -> Entry:
    return services.entry_create(diary=owner.diary, actor=owner, content=entry_content(**overrides))


def item_content(**overrides: Any) -> dict[str, Any]:
    content: dict[str, Any] = {
        "kind": "gift",
        "description": "Flowers left on the doorstep with an unsigned card.",
        "found_at": timezone.now() - timedelta(days=1),
    }
    content.update(overrides)
    return content


def make_item(owner: User, **overrides: Any) -> Item:
    return services.item_create(diary=owner.diary, actor=owner, content=item_content(**overrides))


def jpeg_bytes(*, exif_time: str | None = None, size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (90, 110, 120))
    buffer = io.BytesIO()
    if exif_time:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = exif_time
        exif[0x010F] = "PhoneMaker"  # camera make: must not survive into the preview
        image.save(buffer, "JPEG", exif=exif)
    else:
        image.save(buffer, "JPEG")
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_pages(*lines: str, catalog: bytes = b"") -> bytes:
    """A real PDF (poppler draws it) with one page per line of text, and `catalog` added to
    its catalog (an /OpenAction, say)."""
    count = len(lines)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{4 + 2 * i} 0 R".encode() for i in range(count))
        + f"] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, line in enumerate(lines):
        text = line.replace("\\", "").replace("(", "").replace(")", "").encode("latin-1")
        stream = b"BT /F1 24 Tf 72 700 Td (" + text + b") Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def upload(
    name: str = "IMG_0001.jpg", content: bytes | None = None, content_type: str = "image/jpeg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes() if content is None else content, content_type)


def screenshot_png(size: tuple[int, int] = (1080, 2340)) -> bytes:
    """A PNG the shape of a phone's screen, with no camera EXIF: what a screenshot is."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (245, 245, 245)).save(buffer, "PNG")
    return buffer.getvalue()


def mp3_bytes(length: int = 4_000) -> bytes:
    """An MP3 as filetype sniffs one (an ID3 tag, then frames of silence)."""
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    tag = b"ID3\x03\x00\x00\x00\x00\x00\x00"
    return tag + (frame * (length // len(frame) + 1))[:length]


def mp4_bytes(length: int = 4_000) -> bytes:
    """An MP4 video as filetype sniffs one (an `ftyp` box, then an `mdat` of counting bytes)."""
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    payload = bytes(i % 251 for i in range(length - len(ftyp) - 8))
    return ftyp + (len(payload) + 8).to_bytes(4, "big") + b"mdat" + payload
