from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from diary.models.choices import Behaviour, Channel, Precision

register = template.Library()

DAY_AND_TIME = "D j M Y, H:i"


def _local(value: Any) -> str:
    return date_filter(timezone.localtime(value), DAY_AND_TIME)


@register.simple_tag
def when(version: Any) -> str:
    """When it happened, in the owner's zone, with its precision in words."""
    start = _local(version.occurred_start)
    if version.precision == Precision.RANGE and version.occurred_end:
        first = timezone.localtime(version.occurred_start)
        last = timezone.localtime(version.occurred_end)
        # On one day, the date is said once: "between Fri 20 Nov 2026, 12:00 and 15:00".
        end = date_filter(last, "H:i") if first.date() == last.date() else _local(last)
        return _("between %(start)s and %(end)s") % {"start": start, "end": end}
    if version.precision == Precision.APPROXIMATE:
        return _("around %(start)s") % {"start": start}
    return start


@register.simple_tag
def moment(value: Any) -> str:
    """A server time in the owner's zone, machine-readable too."""
    if value is None:
        return ""
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), _local(value))


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
