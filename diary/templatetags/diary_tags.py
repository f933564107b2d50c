from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from diary.models.choices import Behaviour, Channel, Precision

register = template.Library()

DAY_AND_TIME = "D j M Y, H:i"


def _local(value: Any, offset: bool = False) -> str:
    local = timezone.localtime(value)
    return date_filter(local, DAY_AND_TIME) + (_offset(local) if offset else "")


def _offset(local: datetime) -> str:
    """ " +01:00": the UTC offset a local time was read with, which tells apart the two 01:30s
    of the night the clocks go back."""
    sign = "-" if (local.utcoffset() or timedelta()) < timedelta() else "+"
    minutes = abs(int((local.utcoffset() or timedelta()).total_seconds())) // 60
    return f" {sign}{minutes // 60:02d}:{minutes % 60:02d}"


# Inside `offsets_shown()` (the chronology PDF), every time `when` writes says its UTC offset.
_OFFSETS_SHOWN: ContextVar[bool] = ContextVar("offsets_shown", default=False)


@contextmanager
def offsets_shown() -> Iterator[None]:
    token = _OFFSETS_SHOWN.set(True)
    try:
        yield
    finally:
        _OFFSETS_SHOWN.reset(token)


@register.simple_tag
def when(version: Any) -> str:
    """When it happened, in the owner's zone, with its precision in words (and each time's UTC
    offset, inside `offsets_shown()`)."""
    offset = _OFFSETS_SHOWN.get()
    start = _local(version.occurred_start, offset)
    if version.precision == Precision.RANGE and version.occurred_end:
        first = timezone.localtime(version.occurred_start)
        last = timezone.localtime(version.occurred_end)
        # On one day, the date is said once: "between Fri 20 Nov 2026, 12:00 and 15:00".
        if first.date() == last.date():
            end = date_filter(last, "H:i") + (_offset(last) if offset else "")
        else:
            end = _local(last, offset)
        return _("between %(start)s and %(end)s") % {"start": start, "end": end}
    if version.precision == Precision.APPROXIMATE:
        return _("around %(start)s") % {"start": start}
    return start


@register.simple_tag
def between(start: Any, end: Any) -> str:
    """A stretch of time in the owner's zone: "between Fri 20 Nov 2026, 21:03 and 21:40"."""
    first, last = timezone.localtime(start), timezone.localtime(end)
    same_day = first.date() == last.date()
    end_text = date_filter(last, "H:i") if same_day else _local(last, False)
    return _("between %(start)s and %(end)s") % {"start": _local(start, False), "end": end_text}


@register.simple_tag
def moment(value: Any) -> str:
    """A server time in the owner's zone, machine-readable too."""
    if value is None:
        return ""
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), _local(value))


@register.filter
def stamp(value: Any, day_format: str = "j M Y") -> str:
    """A time in the active zone with its UTC offset, as the chronology PDF prints every time:
    "25 Oct 2026, 01:30 +01:00"."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{date_filter(local, day_format)}, {date_filter(local, 'H:i')}{_offset(local)}"


@register.filter
def behaviour_labels(codes: list[str]) -> list[str]:
    labels = dict(Behaviour.choices)
    return [str(labels.get(code, code)) for code in codes]


@register.filter
def channel_label(code: str) -> str:
    return str(dict(Channel.choices).get(code, code))


@register.inclusion_tag("diary/_call_home.html")
def call_home_warning(kept: Any, original: bool = False) -> dict[str, Any]:
    """The plain-words warning on a file that could call home, and why; `original` on the safe
    view itself, where it is about opening the original."""
    from diary import messages

    return {
        "kept": kept,
        "warning": messages.CALL_HOME_ORIGINAL if original else messages.CALL_HOME_WARNING,
        "reasons": [messages.CALL_HOME_REASONS.get(r, r) for r in kept.call_home_reasons],
    }


@register.simple_tag
def safe_view_link(kept: Any, url: str) -> str:
    """A link to a file's safe view, where one can be drawn or the file could call home."""
    from diary import messages
    from diary.evidence import safeview

    if not safeview.offered(kept):
        return ""
    return format_html('<a class="button" href="{}">{}</a>', url, messages.SAFE_VIEW_LINK)


@register.filter
def amendments(versions: Any) -> list[Any]:
    """Each version, oldest first, with what it changed from the one before it."""
    from diary.records.differences import amendments as of

    return of(versions)


@register.inclusion_tag("diary/_media_player.html", takes_context=True)
def media_player(context: Any, kept: Any, url: str) -> dict[str, Any]:
    """A player for a recording, streamed from `url`: the original's bytes, so only once she
    has confirmed it is her recently, as a download asks; until then, a link to confirm."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from diary import messages
    from diary.safety.accounts import recently_confirmed
    from diary.web.downloads import playable

    request = context["request"]
    if not playable(kept):
        return {"shown": False}
    return {
        "shown": True,
        "audio": kept.mime_type.startswith("audio/"),
        "media_url": url,
        "confirmed": recently_confirmed(request),
        "confirm_url": reverse("account_reauthenticate")
        + "?"
        + urlencode({"next": request.get_full_path()}),
        "m": messages,
    }


@register.filter
def import_source(imported: Any) -> str:
    """Where an imported message came from: the export in the bundle, and where in it."""
    from diary.imports.bundle import source_of

    return source_of(imported)


@register.filter
def import_signature(imported: Any) -> str:
    """An imported e-mail's DKIM verdict, in words, as it was when it was brought in."""
    from diary.imports.bundle import signature_of

    return signature_of(imported)


# Unicode's own line and paragraph separators, which a phone may keep in a message's words and
# shows as new lines; a browser draws them as nothing, running two words together.
SEPARATORS = str.maketrans({"\u2028": "\n", "\u2029": "\n"})


@register.filter
def separators_as_breaks(text: Any) -> str:
    """Words as the phone showed them: each line separator a line break (the words kept, and
    every export, are unchanged)."""
    return str(text).translate(SEPARATORS)
