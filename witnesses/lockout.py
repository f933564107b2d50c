"""Contacts' part of the owner's lockout check (diary.safety.lockout): their links that work
now, marked where another session made them or they are new, and stopping them."""

from datetime import timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from witnesses import messages, selectors
from witnesses.models import Witness, WitnessLink
from witnesses.services.links import link_revoke

STOP_FIELD = "stop_contact"


LATELY = timedelta(days=30)


def _made_elsewhere(link: WitnessLink, session_id: int | None) -> bool:
    # A link whose session is not known could be anyone's: it counts as made elsewhere.
    return link.made_in_session_id is None or link.made_in_session_id != session_id


def _that_session(link: WitnessLink) -> str:
    session = link.made_in_session
    if session is None:
        return ""
    browser = session.browser or messages.LOCKOUT_UNKNOWN_BROWSER
    return str(messages.LOCKOUT_THAT_SESSION % {"browser": browser})


def contacts_section(*, request: Any, actor: Any, session_id: int | None) -> SafeString:
    lately = timezone.now() - LATELY
    rows = [
        {
            "link": link,
            "witness": link.witness,
            "elsewhere": _made_elsewhere(link, session_id),
            "lately": link.created_at > lately,
            # device_count is the selector's annotation.
            "devices": messages.LOCKOUT_DEVICES % {"count": getattr(link, "device_count", 0)},
            "that_session": _that_session(link),
        }
        for link in selectors.live_links(actor=actor)
    ]
    html = render_to_string(
        "witnesses/lockout_section.html",
        {"rows": rows, "m": messages, "stop_field": STOP_FIELD},
        request=request,
    )
    return mark_safe(html)  # noqa: S308 - our own template, autoescaped


def contacts_stop(*, request: Any, actor: Any, session_id: int | None) -> str:
    """Stop every link made from another session, and those she ticked, through the same
    service as the contact's page (each stop is in the ledger)."""
    ticked = set(request.POST.getlist(STOP_FIELD))
    stopping: dict[int, Witness] = {}
    for link in selectors.live_links(actor=actor):
        if _made_elsewhere(link, session_id) or str(link.witness_id) in ticked:
            stopping[link.witness_id] = link.witness
    for witness in stopping.values():
        link_revoke(witness=witness, actor=actor)
    if not stopping:
        return ""
    names = ", ".join(sorted((w.name for w in stopping.values()), key=str.casefold))
    return str(messages.LOCKOUT_LINKS_DONE % {"names": names})
