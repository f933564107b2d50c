"""A QR code drawn as SVG (no Pillow), to show on a page or print."""

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str) -> SafeString:
    """`text` as a QR code: low error correction, so a receipt of some 700 characters stays
    few enough squares for a phone's camera to read off a screen or a printed page."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_L,
        box_size=6,
        border=4,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image()
    return mark_safe(svg.to_string(encoding="unicode"))  # noqa: S308 - our own SVG
