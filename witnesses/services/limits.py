"""Limits a link lives by: guesses at links per address, and sends per link per hour."""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from witnesses.models import (
    WitnessLink,
)


# Submissions
def link_guess_allowed(ip: str | None) -> bool:
    """Whether this address may try another link this hour: links that do not work are
    counted per address, so guessing tokens stops long before it could ever succeed."""
    missed: int = cache.get(_guess_key(ip), 0)
    return missed < settings.WITNESS_LINK_GUESSES_PER_HOUR


def link_guess_missed(ip: str | None) -> None:
    key = _guess_key(ip)
    cache.add(key, 0, timeout=3_700)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3_700)


def _guess_key(ip: str | None) -> str:
    return f"witness-link-guesses:{ip or 'unknown'}:{timezone.now():%Y%m%d%H}"


def submission_rate_ok(link: WitnessLink) -> bool:
    """Count this send against the link's hourly allowance; False when it is used up."""
    # Keyed by the link's hash, not its id: unique even where databases share one cache.
    key = f"witness-sends:{link.token_sha256[:32]}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, timeout=3_700)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3_700)
        count = 1
    return count <= settings.WITNESS_SUBMISSIONS_PER_HOUR
