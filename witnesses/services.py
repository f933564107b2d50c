"""Every write about witnesses, links, the brief and submissions, each with its ledger record."""

import hashlib
import io
import secrets
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps

from diary import messages as diary_messages
from diary.core import filestore
from diary.core.browsers import browser_family
from diary.core.filestore import Stored
from diary.evidence.intake import STORED_SUFFIX, StoredFile, evidence_check, stored_upload
from diary.evidence.services import evidence_adopt
from diary.ledger.services import ledger_append, lock_diary
from diary.models import AccessEvent, Account, Diary, Entry, User
from diary.models.choices import Behaviour, Channel
from diary.records.services import entry_create
from diary.safety.services import access_event_record
from witnesses import live, messages
from witnesses.models import (
    BriefVersion,
    Decision,
    FollowUp,
    SharedEntry,
    Sharing,
    Submission,
    SubmissionFile,
    SubmissionKind,
    Witness,
    WitnessDevice,
    WitnessEvent,
    WitnessLink,
)

WITNESS_INVITE = "witness.invite"
WITNESS_EXTEND = "witness.extend"
WITNESS_REVOKE = "witness.revoke"
WITNESS_REISSUE = "witness.reissue"
WITNESS_SHARE = "witness.share"
BRIEF_UPDATE = "brief.update"
SUBMISSION_SUBMIT = "submission.submit"
SUBMISSION_FILE = "submission.file"
SUBMISSION_FOLLOW_UP = "submission.follow_up"
SUBMISSION_ACCEPT = "submission.accept"
SUBMISSION_KEEP_ASIDE = "submission.keep_aside"
ENTRY_SHARE = "entry.share"
ENTRY_UNSHARE = "entry.unshare"

MAX_FILES = 10
LAST_SEEN_EVERY = timedelta(minutes=1)
VISIT_GAP = timedelta(minutes=30)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def witness_label(witness: Witness) -> str:
    return f"witness:{witness.pk}"


def _new_link(witness: Witness) -> tuple[WitnessLink, str]:
    token = secrets.token_urlsafe(32)  # 256 random bits
    link = WitnessLink.objects.create(
        witness=witness,
        token_sha256=token_sha256(token),
        expires_at=timezone.now() + timedelta(days=settings.WITNESS_LINK_DAYS),
    )
    return link, token


def _event(
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
) -> tuple[Witness, str]:
    """Add a witness and make their link. The token is returned once and never stored."""
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
    link, token = _new_link(witness)
    _event(
        witness,
        actor,
        WitnessEvent.Kind.INVITE,
        WITNESS_INVITE,
        link=link,
        detail=f"expires {link.expires_at:%Y-%m-%d}",
    )
    return witness, token


def _active_links(witness: Witness) -> Any:
    return WitnessLink.objects.filter(witness=witness, revoked_at__isnull=True)


@transaction.atomic
def link_extend(*, witness: Witness, actor: User, days: int | None = None) -> WitnessLink:
    """Push the current link's expiry out by `days` from now (the setting by default)."""
    lock_diary(witness.diary)
    link = _active_links(witness).order_by("-created_at").first()
    if link is None:
        raise ValidationError(messages.NO_ACTIVE_LINK, code="no_link")
    link.expires_at = timezone.now() + timedelta(days=days or settings.WITNESS_LINK_DAYS)
    link.save(update_fields=["expires_at"])
    _event(
        witness,
        actor,
        WitnessEvent.Kind.EXTEND,
        WITNESS_EXTEND,
        link=link,
        detail=f"expires {link.expires_at:%Y-%m-%d}",
    )
    return link


def _revoke_all(witness: Witness) -> list[WitnessLink]:
    links = list(_active_links(witness))
    _active_links(witness).update(revoked_at=timezone.now())
    live.links_ended(witness, [link.pk for link in links])
    return links


@transaction.atomic
def link_revoke(*, witness: Witness, actor: User) -> None:
    """End the link at once: every open session on it is refused from its next request."""
    lock_diary(witness.diary)
    links = _revoke_all(witness)
    if not links:
        raise ValidationError(messages.NO_ACTIVE_LINK, code="no_link")
    for link in links:
        _event(witness, actor, WitnessEvent.Kind.REVOKE, WITNESS_REVOKE, link=link)


@transaction.atomic
def link_reissue(*, witness: Witness, actor: User) -> str:
    """Replace the link: the old one stops working at once; the new token is returned once."""
    lock_diary(witness.diary)
    for link in _revoke_all(witness):
        _event(witness, actor, WitnessEvent.Kind.REVOKE, WITNESS_REVOKE, link=link)
    link, token = _new_link(witness)
    _event(
        witness,
        actor,
        WitnessEvent.Kind.REISSUE,
        WITNESS_REISSUE,
        link=link,
        detail=f"expires {link.expires_at:%Y-%m-%d}",
    )
    return token


@transaction.atomic
def witness_sharing_set(
    *, witness: Witness, actor: User, sharing: str, sees_photo: bool
) -> Witness:
    lock_diary(witness.diary)
    if sharing not in Sharing.values:
        raise ValidationError({"sharing": diary_messages.UNKNOWN_CHOICE})
    if sharing != witness.sharing:
        witness.sharing = sharing
        witness.save(update_fields=["sharing"])
        _event(witness, actor, WitnessEvent.Kind.SHARE, WITNESS_SHARE, detail=sharing)
        live.sharing_changed(witness)
    if sees_photo != witness.sees_photo:
        witness.sees_photo = sees_photo
        witness.save(update_fields=["sees_photo"])
        _event(
            witness,
            actor,
            WitnessEvent.Kind.PHOTO,
            WITNESS_SHARE,
            detail="photo shown" if sees_photo else "photo hidden",
        )
    return witness


# The brief


def _brief_photo(upload: UploadedFile, diary: Diary) -> Stored:
    """A re-encoded copy of the photo (no EXIF, no location): the only one ever stored."""
    sniffed = evidence_check(upload, field="photo")
    if not sniffed.mime_type.startswith("image/"):
        raise ValidationError({"photo": messages.BRIEF_PHOTO_NOT_IMAGE})
    try:
        with Image.open(upload) as image:
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((1200, 1200))
            buffer = io.BytesIO()
            upright.convert("RGB").save(buffer, format="JPEG", quality=85)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError({"photo": messages.BRIEF_PHOTO_NOT_IMAGE}) from None
    buffer.seek(0)
    return filestore.save(f"brief/{diary.pk}/{secrets.token_hex(16)}{STORED_SUFFIX}", buffer)


def brief_update(
    *,
    diary: Diary,
    actor: User,
    content: Mapping[str, Any],
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> BriefVersion:
    """Write a new version of the brief. The photo carries over unless replaced or removed."""
    stored: Stored | None = None
    try:
        with transaction.atomic():
            lock_diary(diary)
            previous = BriefVersion.objects.filter(diary=diary).order_by("-number").first()
            number = previous.number + 1 if previous else 1
            version = BriefVersion(diary=diary, number=number, recorded_by=actor, **content)
            if previous is not None and not remove_photo:
                version.photo, version.photo_sha256 = previous.photo.name, previous.photo_sha256
                version.photo_key = previous.photo_key
            version.full_clean(exclude=["diary", "photo"])
            if photo is not None:
                stored = _brief_photo(photo, diary)
                version.photo.name, version.photo_key = stored.name, stored.key
                version.photo_sha256 = stored.sha256
            elif remove_photo:
                version.photo.name, version.photo_key, version.photo_sha256 = "", "", ""
            version.save()
            ledger_append(diary=diary, kind=BRIEF_UPDATE, obj=version, actor=actor)
    except BaseException:
        if stored is not None:
            filestore.delete(stored.name)
        raise
    return version


# Witness sessions


def device_open(*, token: str, user_agent: str) -> tuple[WitnessDevice, str] | None:
    """Exchange a link's token for a new witness session, or None if the link is not active."""
    link = (
        WitnessLink.objects.filter(token_sha256=token_sha256(token))
        .select_related("witness__diary")
        .first()
    )
    if link is None or not link.is_active:
        return None
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = WitnessDevice.objects.create(
            link=link, key_sha256=token_sha256(key), browser=browser_family(user_agent)
        )
        access_event_record(
            user_id=link.witness.diary.owner_id,
            kind=AccessEvent.Kind.WITNESS_DEVICE,
            browser=device.browser,
            detail=link.witness.attribution,
        )
    return device, key


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
                )
        device.last_seen = now


# Submissions


def link_guess_allowed(ip: str | None) -> bool:
    """Whether this address may try another link this hour: links that do not work are
    counted per address, so guessing tokens stops long before it could ever succeed."""
    return cache.get(_guess_key(ip), 0) < settings.WITNESS_LINK_GUESSES_PER_HOUR


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


def _link_still_active(device: WitnessDevice) -> WitnessLink:
    link = WitnessLink.objects.select_for_update().get(pk=device.link_id)
    if not link.is_active:
        raise LinkInactive
    return link


class LinkInactive(Exception):
    """The witness's link was revoked or expired: nothing is stored."""


def submission_create(
    *,
    device: WitnessDevice,
    content: Mapping[str, Any],
    uploads: Sequence[UploadedFile] = (),
) -> Submission:
    """Keep what a witness sent, exactly as sent, with its files. Raises ValidationError (and
    stores nothing) for bad input, LinkInactive if the link ended while they were writing."""
    witness = device.link.witness
    diary = witness.diary
    if len(uploads) > MAX_FILES:
        raise ValidationError({"files": messages.TOO_MANY_FILES % {"limit": MAX_FILES}})
    submission = Submission(diary=diary, witness=witness, link=device.link, **content)
    submission.full_clean(exclude=["diary", "witness", "link", "reference"])
    for upload in uploads:
        evidence_check(upload, field="files")
    with ExitStack() as stack:
        stored = [
            stack.enter_context(
                stored_upload(upload, folder=f"witness/{diary.pk}", zone=diary.zone, field="files")
            )
            for upload in uploads
        ]
        with transaction.atomic():
            lock_diary(diary)
            _link_still_active(device)
            submission.save()
            actor = witness_label(witness)
            # Every submission to a diary queues for its lock: hold it no longer than needed.
            ledger_append(
                diary=diary, kind=SUBMISSION_SUBMIT, obj=submission, actor=actor, diary_locked=True
            )
            for file in stored:
                row = file.keep(SubmissionFile(submission=submission))
                row.save()
                ledger_append(
                    diary=diary, kind=SUBMISSION_FILE, obj=row, actor=actor, diary_locked=True
                )
            live.submission_received(submission)
    return submission


@transaction.atomic
def follow_up_add(*, device: WitnessDevice, submission: Submission, text: str) -> FollowUp:
    if submission.witness_id != device.link.witness_id:
        raise PermissionDenied  # only the witness who sent it may add to it
    lock_diary(submission.diary)
    _link_still_active(device)
    follow_up = FollowUp(submission=submission, text=text.strip())
    follow_up.full_clean(exclude=["submission"])
    follow_up.save()
    ledger_append(
        diary=submission.diary,
        kind=SUBMISSION_FOLLOW_UP,
        obj=follow_up,
        actor=witness_label(submission.witness),
    )
    live.submission_received(submission, change="follow_up")
    return follow_up


KIND_TO_ENTRY: dict[str, tuple[list[str], str]] = {
    SubmissionKind.SAW: ([Behaviour.WATCHING], ""),
    SubmissionKind.APPROACHED: ([Behaviour.APPROACHING_OTHERS], Channel.IN_PERSON),
    SubmissionKind.CONTACTED: ([Behaviour.APPROACHING_OTHERS], ""),
    SubmissionKind.FOUND: ([Behaviour.ITEMS], Channel.ITEM_LEFT),
    SubmissionKind.OTHER: ([], ""),
}
CARRIED_OVER = Account.ACCOUNT_FIELDS


def _undecided(submission: Submission) -> None:
    if Decision.objects.filter(submission=submission).exists():
        raise ValidationError(messages.ALREADY_DECIDED, code="decided")


@transaction.atomic
def submission_accept(*, submission: Submission, actor: User) -> Entry:
    """Put a submission into the timeline as an entry attributed to its witness, with its
    times and files. The submission itself stays exactly as sent."""
    diary = submission.diary
    lock_diary(diary)
    _undecided(submission)
    behaviours, channel = KIND_TO_ENTRY[submission.kind]
    content = {name: getattr(submission, name) for name in CARRIED_OVER}
    content.update(behaviours=behaviours, channel=channel)
    entry = entry_create(
        diary=diary,
        actor=actor,
        content=content,
        source=Entry.Source.WITNESS,
        reported_by=submission.witness.attribution,
        origin=f"witnesses.submission:{submission.pk}",
        received_at=submission.received_at,
    )
    for file in submission.files.all():
        evidence_adopt(
            entry=entry, actor=actor, stored=StoredFile.of(file), received_at=file.received_at
        )
    decision = Decision.objects.create(
        submission=submission, outcome=Decision.Outcome.ACCEPTED, entry=entry, decided_by=actor
    )
    ledger_append(diary=diary, kind=SUBMISSION_ACCEPT, obj=decision, actor=actor)
    live.submission_decided(submission, Decision.Outcome.ACCEPTED)
    return entry


@transaction.atomic
def submission_keep_aside(*, submission: Submission, actor: User, reason: str) -> Decision:
    """Keep a submission out of the timeline. It stays, counted, with a private reason."""
    lock_diary(submission.diary)
    _undecided(submission)
    decision = Decision(
        submission=submission,
        outcome=Decision.Outcome.KEPT_ASIDE,
        reason=reason.strip(),
        decided_by=actor,
    )
    decision.full_clean(exclude=["submission", "entry"])
    if not decision.reason:
        raise ValidationError({"reason": messages.REASON_NEEDED})
    decision.save()
    ledger_append(diary=submission.diary, kind=SUBMISSION_KEEP_ASIDE, obj=decision, actor=actor)
    live.submission_decided(submission, Decision.Outcome.KEPT_ASIDE)
    return decision


# Sharing entries with witnesses who see marked ones


@transaction.atomic
def entry_share(*, entry: Entry, actor: User) -> SharedEntry:
    lock_diary(entry.diary)
    current = SharedEntry.objects.filter(entry=entry, unshared_at__isnull=True).first()
    if current is not None:
        return current
    shared = SharedEntry.objects.create(entry=entry, shared_by=actor)
    ledger_append(diary=entry.diary, kind=ENTRY_SHARE, obj=shared, actor=actor)
    live.entry_shared(entry)
    return shared


@transaction.atomic
def entry_unshare(*, entry: Entry, actor: User) -> None:
    lock_diary(entry.diary)
    for shared in SharedEntry.objects.filter(entry=entry, unshared_at__isnull=True):
        shared.unshared_at = timezone.now()
        shared.save(update_fields=["unshared_at"])
        ledger_append(diary=entry.diary, kind=ENTRY_UNSHARE, obj=shared, actor=actor)
        live.entry_unshared(entry)
