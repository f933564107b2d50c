"""Contacts' links: inviting someone, extending, stopping and replacing their link, and the
devices that open it. Only a token's SHA-256 is ever stored; the token is shown once.
"""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from diary.core.browsers import browser_family
from diary.ledger.services import ledger_append, lock_diary
from diary.models import AccessEvent, Diary, User
from diary.safety.services import access_event_record
from diary.safety.sessions import session_id_of
from witnesses import messages
from witnesses.live.events import device_left, links_ended
from witnesses.models import (
    Sharing,
    Witness,
    WitnessDevice,
    WitnessEvent,
    WitnessLink,
)
from witnesses.services import limits

WITNESS_INVITE = "witness.invite"


WITNESS_EXTEND = "witness.extend"


WITNESS_REVOKE = "witness.revoke"


WITNESS_REISSUE = "witness.reissue"


LAST_SEEN_EVERY = timedelta(minutes=1)


VISIT_GAP = timedelta(minutes=30)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def witness_label(witness: Witness) -> str:
    return f"witness:{witness.pk}"


def _new_link(witness: Witness, request: Any) -> tuple[WitnessLink, str]:
    token = secrets.token_urlsafe(32)  # 256 random bits
    link = WitnessLink.objects.create(
        witness=witness,
        token_sha256=token_sha256(token),
        expires_at=timezone.now() + timedelta(days=settings.WITNESS_LINK_DAYS),
        made_in_session_id=session_id_of(request),
    )
    return link, token


def witness_event_record(
    witness: Witness,
    actor: User,
    kind: str,
    ledger_kind: str,
    *,
    link: WitnessLink | None = None,
    detail: str = "",
) -> WitnessEvent:
    event = WitnessEvent.objects.create(
        witness=witness, link=link, kind=kind, detail=detail, by=actor
    )
    ledger_append(diary=witness.diary, kind=ledger_kind, obj=event, actor=actor)
    return event


def witness_access_record(witness: Witness, actor: User, kind: str, detail: str = "") -> None:
    """The owner's access log line for a change to a contact, in the change's transaction, with
    the session, browser and address of the request that made it."""
    access_event_record(
        user_id=actor.pk,
        kind=kind,
        detail=detail or witness.attribution,
        same=witness_label(witness),
    )


@transaction.atomic
def witness_invite(
    *,
    diary: Diary,
    actor: User,
    name: str,
    relationship: str,
    contact: str = "",
    sharing: str = Sharing.BRIEF,
    sees_photo: bool = False,
    request: Any = None,
) -> tuple[Witness, str]:
    """Add a witness and make their link. The token is returned once and never stored.
    `request` names the owner's session that made the link, for the lockout check."""
    lock_diary(diary)
    witness = Witness(
        diary=diary,
        name=name.strip(),
        relationship=relationship,
        contact=contact.strip(),
        sharing=sharing,
        sees_photo=sees_photo,
    )
    witness.full_clean()
    witness.save()
    link, token = _new_link(witness, request)
    witness_event_record(
        witness,
        actor,
        WitnessEvent.Kind.INVITE,
        WITNESS_INVITE,
        link=link,
        detail=f"expires {link.expires_at:%Y-%m-%d}",
    )
    witness_access_record(witness, actor, AccessEvent.Kind.WITNESS_INVITED)
    return witness, token


def _active_links(witness: Witness) -> QuerySet[WitnessLink]:
    return WitnessLink.objects.filter(witness=witness, revoked_at__isnull=True)


@transaction.atomic
def link_extend(
    *, witness: Witness, actor: User, days: int | None = None, request: Any = None
) -> WitnessLink:
    """Push the current link's expiry out by `days` from now (the setting by default). The
    link then counts as made in the session that extended it, for the lockout check."""
    lock_diary(witness.diary)
    link = _active_links(witness).order_by("-created_at").first()
    if link is None:
        raise ValidationError(messages.NO_ACTIVE_LINK, code="no_link")
    link.expires_at = timezone.now() + timedelta(days=days or settings.WITNESS_LINK_DAYS)
    link.made_in_session_id = session_id_of(request)
    link.save(update_fields=["expires_at", "made_in_session"])
    witness_event_record(
        witness,
        actor,
        WitnessEvent.Kind.EXTEND,
        WITNESS_EXTEND,
        link=link,
        detail=f"expires {link.expires_at:%Y-%m-%d}",
    )
    witness_access_record(witness, actor, AccessEvent.Kind.LINK_EXTENDED)
    return link


def _revoke_all(witness: Witness) -> list[WitnessLink]:
    links = list(_active_links(witness))
    _active_links(witness).update(revoked_at=timezone.now())
    links_ended(witness, [link.pk for link in links])
    return links


@transaction.atomic
def link_revoke(*, witness: Witness, actor: User) -> None:
    """End the link at once: every open session on it is refused from its next request."""
    lock_diary(witness.diary)
    links = _revoke_all(witness)
    if not links:
        raise ValidationError(messages.NO_ACTIVE_LINK, code="no_link")
    for link in links:
        witness_event_record(witness, actor, WitnessEvent.Kind.REVOKE, WITNESS_REVOKE, link=link)
    witness_access_record(witness, actor, AccessEvent.Kind.LINK_STOPPED)


@transaction.atomic
def link_reissue(*, witness: Witness, actor: User, request: Any = None) -> str:
    """Replace the link: the old one stops working at once; the new token is returned once."""
    lock_diary(witness.diary)
    for link in _revoke_all(witness):
        witness_event_record(witness, actor, WitnessEvent.Kind.REVOKE, WITNESS_REVOKE, link=link)
    link, token = _new_link(witness, request)
    witness_event_record(
        witness,
        actor,
        WitnessEvent.Kind.REISSUE,
        WITNESS_REISSUE,
        link=link,
        detail=f"expires {link.expires_at:%Y-%m-%d}",
    )
    witness_access_record(witness, actor, AccessEvent.Kind.LINK_REPLACED)
    return token


# Witness sessions
class OneDeviceOnly(Exception):
    """The owner chose one device only for this contact, and another device is open on it."""


def _device_refused(link: WitnessLink, user_agent: str) -> bool:
    witness = link.witness
    if not witness.one_device:
        return False
    open_elsewhere = WitnessDevice.objects.filter(
        link__witness=witness,
        link__revoked_at__isnull=True,
        link__expires_at__gt=timezone.now(),
        left_at__isnull=True,
    ).exists()
    if open_elsewhere:
        access_event_record(
            user_id=witness.diary.owner_id,
            kind=AccessEvent.Kind.WITNESS_REFUSED,
            browser=browser_family(user_agent),
            detail=witness.attribution,
        )
    return open_elsewhere


def device_open(
    *, token: str, user_agent: str, ip: str | None = None
) -> tuple[WitnessDevice, str] | None:
    """Exchange a link's token for a new witness session, or None if the link is not active.
    Raises limits.TooMany (and writes nothing) once the link, or the address `ip`, has made
    its hour's new devices; raises OneDeviceOnly (and logs it for the owner) if the contact may
    use one device only and another is still open on their link."""
    link = (
        WitnessLink.objects.filter(token_sha256=token_sha256(token))
        .select_related("witness__diary")
        .first()
    )
    if link is None or not link.is_active:
        return None
    limits.landing_count(link=link, ip=ip)
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        lock_diary(link.witness.diary)  # two phones tapping at once still make one device
        if _device_refused(link, user_agent):
            refused = True
        else:
            refused = False
            device = WitnessDevice.objects.create(
                link=link, key_sha256=token_sha256(key), browser=browser_family(user_agent)
            )
            access_event_record(
                user_id=link.witness.diary.owner_id,
                kind=AccessEvent.Kind.WITNESS_DEVICE,
                browser=device.browser,
                detail=link.witness.attribution,
                # However many devices of one kind open one link, one line (with the count).
                device=f"link:{link.pk}",
            )
    if refused:
        raise OneDeviceOnly
    return device, key


@transaction.atomic
def device_leave(*, device: WitnessDevice) -> None:
    """Leave this site: this device's session ends, so its cookie (or a copy of it) opens
    nothing more, and its open sockets close. The link itself still works; opening it again
    makes a new device."""
    WitnessDevice.objects.filter(pk=device.pk, left_at__isnull=True).update(left_at=timezone.now())
    device_left(device.link.witness_id, device.pk)


@transaction.atomic
def device_keep(*, device: WitnessDevice, keep: bool) -> WitnessDevice:
    """Keep me on this phone: whether the cookie outlives the browser session."""
    if device.kept != keep:
        device.kept = keep
        WitnessDevice.objects.filter(pk=device.pk).update(kept=keep)
    return device


def device_seen(device: WitnessDevice) -> None:
    """Note that a device is in use: last seen at most once a minute, and in the owner's access
    log once per visit (the first request after half an hour of quiet)."""
    now = timezone.now()
    if now - device.last_seen > LAST_SEEN_EVERY:
        with transaction.atomic():
            WitnessDevice.objects.filter(pk=device.pk).update(last_seen=now)
            if now - device.last_seen > VISIT_GAP:
                witness = device.link.witness
                access_event_record(
                    user_id=witness.diary.owner_id,
                    kind=AccessEvent.Kind.WITNESS_VISIT,
                    browser=device.browser,
                    detail=witness.attribution,
                    device=f"device:{device.pk}",
                )
        device.last_seen = now
