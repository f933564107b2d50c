"""The demo's photos: simple drawn scenes (the car in the street and in the work car park, the
flowers on the doorstep, the scratched door), each a JPEG carrying the capture time a phone
would write, so the app reads the photo's own time as it would a real one's.
"""

import io
import random
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from diary.evidence.intake import EXIF_DATETIME_ORIGINAL, EXIF_IFD, EXIF_OFFSET_TIME_ORIGINAL

PHOTO_SIZE = (800, 600)

Draw = ImageDraw.ImageDraw
Scene = Callable[[Draw, random.Random], None]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


# The car's roof and windows, as (across from its left, up from the ground).
ROOF = ((80, 118), (140, 190), (300, 190), (370, 118))
FRONT_WINDOW = ((100, 120), (148, 178), (215, 178), (215, 120))
BACK_WINDOW = ((228, 120), (228, 178), (292, 178), (348, 120))


def _car(draw: Draw, left: int, bottom: int, registration: str | None) -> None:
    """A grey hatchback seen side-on, with the number plate shown if there is one."""
    body = (90, 94, 100)
    glass = (160, 185, 200)
    draw.rounded_rectangle((left, bottom - 120, left + 420, bottom - 30), radius=28, fill=body)
    for outline, fill in ((ROOF, body), (FRONT_WINDOW, glass), (BACK_WINDOW, glass)):
        draw.polygon([(left + across, bottom - up) for across, up in outline], fill=fill)
    for centre in (left + 95, left + 325):
        draw.ellipse((centre - 42, bottom - 72, centre + 42, bottom + 12), fill=(25, 25, 28))
        draw.ellipse((centre - 20, bottom - 50, centre + 20, bottom - 10), fill=(150, 150, 155))
    draw.rectangle((left + 395, bottom - 100, left + 420, bottom - 80), fill=(230, 200, 90))
    if registration:
        plate = (left + 290, bottom - 250, left + 470, bottom - 205)
        draw.rectangle(plate, fill=(245, 205, 40), outline=(20, 20, 20), width=3)
        draw.text(
            ((plate[0] + plate[2]) / 2, (plate[1] + plate[3]) / 2),
            registration,
            fill=(10, 10, 10),
            font=_font(30),
            anchor="mm",
        )
        draw.line((left + 380, bottom - 205, left + 405, bottom - 95), fill=(10, 10, 10), width=2)


def _street(draw: Draw, rng: random.Random) -> None:
    width, height = PHOTO_SIZE
    draw.rectangle((0, 0, width, 250), fill=(186, 196, 206))
    for left in range(0, width, 200):
        brick = (140 + rng.randint(-12, 12), 80 + rng.randint(-8, 8), 60)
        draw.rectangle((left, 60, left + 196, 330), fill=brick)
        for window in (left + 30, left + 120):
            draw.rectangle((window, 110, window + 50, 180), fill=(70, 80, 95))
    draw.rectangle((0, 330, width, 380), fill=(170, 170, 165))
    draw.rectangle((0, 380, width, height), fill=(60, 62, 66))
    for left in range(20, width, 140):
        draw.rectangle((left, 520, left + 70, 530), fill=(235, 235, 235))
    _car(draw, 180, 500, "KX19 ABC")


def _car_park(draw: Draw, rng: random.Random) -> None:
    width, height = PHOTO_SIZE
    draw.rectangle((0, 0, width, 200), fill=(176, 184, 194))
    draw.rectangle((0, 200, width, height), fill=(72, 74, 78))
    for left in range(0, width + 1, 160):
        draw.line((left, 260, left - 60, height), fill=(230, 230, 230), width=5)
    for _ in range(40):
        x, y = rng.randint(0, width), rng.randint(210, height)
        draw.ellipse((x, y, x + 6, y + 3), fill=(58, 60, 64))
    draw.rectangle((600, 60, 780, 140), fill=(20, 70, 140))
    draw.text((690, 100), "STAFF PARKING", fill=(255, 255, 255), font=_font(20), anchor="mm")
    draw.rectangle((686, 140, 694, 230), fill=(120, 120, 120))
    _car(draw, 120, 500, "KX19 ABC")


def _doorstep(draw: Draw, rng: random.Random) -> None:
    width, height = PHOTO_SIZE
    for row, top in enumerate(range(0, 460, 30)):
        offset = 0 if row % 2 else 45
        for left in range(-offset, width, 90):
            shade = rng.randint(-15, 15)
            draw.rectangle(
                (left + 2, top + 2, left + 88, top + 28), fill=(150 + shade, 75 + shade, 55)
            )
    draw.rectangle((270, 40, 530, 460), fill=(30, 70, 50))
    draw.rectangle((355, 250, 445, 270), fill=(200, 170, 80))
    draw.ellipse((490, 240, 510, 260), fill=(200, 170, 80))
    draw.rectangle((220, 460, 580, 500), fill=(175, 172, 165))
    draw.rectangle((0, 500, width, height), fill=(120, 118, 112))
    draw.polygon([(300, 470), (380, 350), (400, 470)], fill=(160, 120, 80))
    for _ in range(9):
        x, y = 320 + rng.randint(0, 70), 330 + rng.randint(-40, 30)
        draw.line((350, 460, x + 10, y + 10), fill=(50, 110, 50), width=3)
        draw.ellipse((x, y, x + 22, y + 22), fill=(245, 245, 240))
    draw.rectangle((410, 440, 450, 466), fill=(250, 250, 245), outline=(160, 160, 160))


def _scratch(draw: Draw, rng: random.Random) -> None:
    width, height = PHOTO_SIZE
    draw.rectangle((0, 0, width, height), fill=(98, 102, 108))
    draw.line((0, 120, width, 120), fill=(70, 72, 78), width=6)
    draw.rounded_rectangle((560, 200, 700, 240), radius=12, fill=(60, 62, 66))
    points = [(60 + step * 30, 330 + rng.randint(-14, 14)) for step in range(23)]
    draw.line(points, fill=(215, 215, 210), width=4)
    draw.line([(x, y + 3) for x, y in points], fill=(150, 152, 150), width=2)


SCENES: dict[str, Scene] = {
    "street": _street,
    "car_park": _car_park,
    "doorstep": _doorstep,
    "scratch": _scratch,
}


def photo(scene: str, caption: str, taken: datetime, zone: ZoneInfo, rng: random.Random) -> bytes:
    """A JPEG of the scene whose EXIF says it was taken at `taken`, in the diary's zone."""
    image = Image.new("RGB", PHOTO_SIZE)
    draw = ImageDraw.Draw(image)
    SCENES[scene](draw, rng)
    width, height = PHOTO_SIZE
    draw.rectangle((0, height - 56, width, height), fill=(0, 0, 0))
    draw.text((20, height - 28), caption, fill=(255, 255, 255), font=_font(26), anchor="lm")

    local = timezone.localtime(taken, zone)
    exif = Image.Exif()
    exif_ifd = exif.get_ifd(EXIF_IFD)
    exif_ifd[EXIF_DATETIME_ORIGINAL] = f"{local:%Y:%m:%d %H:%M:%S}"
    offset = f"{local:%z}"
    exif_ifd[EXIF_OFFSET_TIME_ORIGINAL] = f"{offset[:3]}:{offset[3:]}"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()
