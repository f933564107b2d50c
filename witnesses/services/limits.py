"""Limits a link lives by, each counted in the hour it falls in: guesses at links per address;
sends per link; new devices per link and per address; follow-ups per device and per link.

Whoever holds a link (a forwarded one included) could otherwise open it hundreds of times a
minute, each a new device and a line in the owner's access log, or add follow-ups without end.
Every limit is checked before anything is written, and refuses with the seconds until the hour
turns (`retry_after`), so a page or the API can say when to try again.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from witnesses.models import (
    WitnessDevice,
    WitnessLink,
)

# A window's counter lives a little past its hour, then the cache forgets it.
WINDOW_SECONDS = 3_700


class TooMany(Exception):
    """A limit for this hour is used up; nothing was written."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def retry_after() -> int:
    """Seconds until the current hour's counts start again."""
    now = timezone.now()
    return 3_600 - (now.minute * 60 + now.second)


def _hour() -> str:
    return f"{timezone.now():%Y%m%d%H}"


def _count(key: str) -> int:
    """Add one to this hour's counter and return the new count (atomic on Redis and locmem)."""
    key = f"{key}:{_hour()}"
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        return int(cache.incr(key))
    except ValueError:
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        return 1


# Keyed by the link's hash, not its id: unique even where databases share one cache.
def _link(link: WitnessLink) -> str:
    return link.token_sha256[:32]


def _device(device: WitnessDevice) -> str:
    return device.key_sha256[:32]


# Guessing links
def link_guess_allowed(ip: str | None) -> bool:
    """Whether this address may try another link this hour: links that do not work are
    counted per address, so guessing tokens stops long before it could ever succeed."""
    missed: int = cache.get(_guess_key(ip), 0)
    return missed < settings.WITNESS_LINK_GUESSES_PER_HOUR


def link_guess_missed(ip: str | None) -> None:
    key = _guess_key(ip)
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=WINDOW_SECONDS)


def _guess_key(ip: str | None) -> str:
    return f"witness-link-guesses:{ip or 'unknown'}:{_hour()}"


# Sends
def submission_rate_ok(link: WitnessLink) -> bool:
    """Count this send against the link's hourly allowance; False when it is used up."""
    return _count(f"witness-sends:{_link(link)}") <= settings.WITNESS_SUBMISSIONS_PER_HOUR


# Landings: each one that works makes a device and a line in the owner's access log.
def landing_count(*, link: WitnessLink, ip: str | None) -> None:
    """Count a landing on a working link against the link's and the address's hourly
    allowance of new devices; raises TooMany when either is used up."""
    per_link = _count(f"witness-landings:{_link(link)}")
    per_address = _count(f"witness-landings-from:{ip}") if ip else 0
    if (
        per_link > settings.WITNESS_DEVICES_PER_LINK_PER_HOUR
        or per_address > settings.WITNESS_DEVICES_PER_ADDRESS_PER_HOUR
    ):
        raise TooMany(retry_after())


# Follow-ups
def follow_up_count(*, device: WitnessDevice) -> None:
    """Count a follow-up against its device's and its link's hourly allowance; raises TooMany
    when either is used up."""
    per_device = _count(f"witness-follow-ups:{_device(device)}")
    per_link = _count(f"witness-follow-ups-link:{_link(device.link)}")
    if (
        per_device > settings.WITNESS_FOLLOW_UPS_PER_DEVICE_PER_HOUR
        or per_link > settings.WITNESS_FOLLOW_UPS_PER_LINK_PER_HOUR
    ):
        raise TooMany(retry_after())
