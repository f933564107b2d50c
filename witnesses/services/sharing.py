"""What a contact may see: their sharing level, and the entries marked as shared."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from diary import messages as diary_messages
from diary.ledger.services import ledger_append, lock_diary
from diary.models import AccessEvent, Entry, User
from witnesses.live.events import device_left, entry_shared, entry_unshared, sharing_changed
from witnesses.models import (
    SharedEntry,
    Sharing,
    Witness,
    WitnessDevice,
    WitnessEvent,
)
from witnesses.services.links import witness_access_record, witness_event_record

WITNESS_SHARE = "witness.share"


ENTRY_SHARE = "entry.share"


ENTRY_UNSHARE = "entry.unshare"


@transaction.atomic
def witness_sharing_set(
    *,
    witness: Witness,
    actor: User,
    sharing: str,
    sees_photo: bool,
    one_device: bool | None = None,
) -> Witness:
    lock_diary(witness.diary)
    if sharing not in Sharing.values:
        raise ValidationError({"sharing": diary_messages.UNKNOWN_CHOICE})
    if sharing != witness.sharing:
        witness.sharing = sharing
        witness.save(update_fields=["sharing"])
        witness_event_record(witness, actor, WitnessEvent.Kind.SHARE, WITNESS_SHARE, detail=sharing)
        sharing_changed(witness)
        witness_access_record(
            witness,
            actor,
            AccessEvent.Kind.WITNESS_SHARING,
            detail=f"{witness.attribution}: {witness.get_sharing_display()}",
        )
    if sees_photo != witness.sees_photo:
        witness.sees_photo = sees_photo
        witness.save(update_fields=["sees_photo"])
        witness_event_record(
            witness,
            actor,
            WitnessEvent.Kind.PHOTO,
            WITNESS_SHARE,
            detail="photo shown" if sees_photo else "photo hidden",
        )
        photo = _("photo shown") if sees_photo else _("photo hidden")
        witness_access_record(
            witness,
            actor,
            AccessEvent.Kind.WITNESS_SHARING,
            detail=f"{witness.attribution}: {photo}",
        )
    if one_device is not None and one_device != witness.one_device:
        witness.one_device = one_device
        witness.save(update_fields=["one_device"])
        if one_device:
            _devices_but_first_end(witness)
        witness_event_record(
            witness,
            actor,
            WitnessEvent.Kind.ONE_DEVICE,
            WITNESS_SHARE,
            detail="one device only" if one_device else "any device",
        )
        devices = _("one device only") if one_device else _("any device")
        witness_access_record(
            witness,
            actor,
            AccessEvent.Kind.WITNESS_SHARING,
            detail=f"{witness.attribution}: {devices}",
        )
    return witness


def _devices_but_first_end(witness: Witness) -> None:
    """One device only, from now: a phone already on the link besides the first to open it
    (a forwarded link, most likely) is signed out, as if it had left."""
    devices = WitnessDevice.objects.filter(
        link__witness=witness,
        link__revoked_at__isnull=True,
        link__expires_at__gt=timezone.now(),
        left_at__isnull=True,
    )
    ids = list(devices.order_by("first_seen", "pk").values_list("pk", flat=True))
    others = ids[1:]
    WitnessDevice.objects.filter(pk__in=others).update(left_at=timezone.now())
    for device_id in others:
        device_left(witness.pk, device_id)


# Sharing entries with witnesses who see marked ones
@transaction.atomic
def entry_share(*, entry: Entry, actor: User) -> SharedEntry:
    lock_diary(entry.diary)
    current = SharedEntry.objects.filter(entry=entry, unshared_at__isnull=True).first()
    if current is not None:
        return current
    shared = SharedEntry.objects.create(entry=entry, shared_by=actor)
    ledger_append(diary=entry.diary, kind=ENTRY_SHARE, obj=shared, actor=actor)
    entry_shared(entry)
    return shared


@transaction.atomic
def entry_unshare(*, entry: Entry, actor: User) -> None:
    lock_diary(entry.diary)
    for shared in SharedEntry.objects.filter(entry=entry, unshared_at__isnull=True):
        shared.unshared_at = timezone.now()
        shared.save(update_fields=["unshared_at"])
        ledger_append(diary=entry.diary, kind=ENTRY_UNSHARE, obj=shared, actor=actor)
        entry_unshared(entry)
