"""The one way to make a realistic diary: a story (by default the demo's, witnesses/demo/story.py)
written through the app's own services — diary.records, diary.evidence, diary.risk and
witnesses.services — so the diary is whatever the app makes and its ledger verifies like any
other. `manage.py seed_demo`, the benchmarks, the load test and the tests all use it.

    build_demo(owner=user)                            the story as told
    build_demo(owner=user, with_files=False)          the same without photos: quicker, no media
    build_demo(owner=user, size=10_000, contacts=20)  scaled up, for the benchmarks

Scaled up to `size` entries, the story stays the last few weeks, told as it is. Before it come
incidents like the story's (each one of its incidents again, on another day), about nine a day
as in a bad stretch and over at least a month before it; of those, one in ten is amended later,
one in a hundred withdrawn, one in twenty shared, one in five has a photo (one of the story's
drawings again) and one in fifty an item kept. Each contact beyond the story's opens their link
on a phone and sends five things like the story's sends, of which about three in ten are added
to the timeline and one in ten kept aside.

The same arguments make the same diary, but for what the app itself makes random or timely:
the links' tokens and the times the server records.
"""

import random
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.utils import timezone

from diary.core import filestore
from diary.evidence.services import evidence_attach
from diary.ledger.services import ledger_head
from diary.models import Diary, Entry, Evidence, Item, KeptFile, RiskChecklist, User
from diary.person.services import person_update
from diary.records import services
from diary.risk.selectors import risk_suggestions
from diary.risk.services import risk_checklist_complete
from witnesses.demo import bulk, drawings
from witnesses.demo.parts import Contact, Incident, Kept, Photo, Sent, Story, When
from witnesses.demo.story import (
    ADDED_LATER,
    ANDROID,
    IPHONE,
    MORE_NAMES,
    NOT_ABOUT_HIM,
    STORY,
    WRITTEN_TWICE,
)
from witnesses.models import (
    DEFAULT_SAFETY,
    Decision,
    FollowUp,
    Relationship,
    SharedEntry,
    Sharing,
    Submission,
    Witness,
    WitnessDevice,
)
from witnesses.services.brief import brief_update
from witnesses.services.links import device_open, witness_invite
from witnesses.services.sharing import entry_share
from witnesses.services.submissions import (
    follow_up_add,
    submission_accept,
    submission_create,
    submission_keep_aside,
)

SEED = 2026
INCIDENTS_A_DAY = 9
MONTH = 30  # days: the least time the incidents before the story spread over
SENDS_EACH = 5  # what each contact beyond the story's sends


@dataclass(frozen=True)
class DemoContact:
    witness: Witness
    token: str  # their link, as the owner sent it: shown once, stored nowhere but here
    device: WitnessDevice  # the phone that opened the link
    device_key: str  # that phone's witness session: the value of its cookie


@dataclass(frozen=True)
class Counts:
    entries: int
    withdrawn: int
    files: int
    items: int
    checklists: int
    contacts: int
    sent: int
    pending: int
    added: int
    kept_aside: int
    follow_ups: int
    shared: int
    ledger_records: int


@dataclass(frozen=True)
class DemoDiary:
    owner: User
    diary: Diary
    entries: dict[str, Entry]  # the story's incidents, by key
    contacts: dict[str, DemoContact]  # every contact, the story's first, by key
    sent: dict[str, Submission]  # what the story's contacts sent, by key
    added: dict[str, Entry]  # the entries the story's added sends became, by the send's key
    shown: DemoContact | None  # the contact whose link is for showing (the story's shown_link)
    counts: Counts


def build_demo(
    *,
    owner: User,
    story: Story = STORY,
    size: int | None = None,
    contacts: int | None = None,
    seed: int = SEED,
    with_files: bool = True,
    now: datetime | None = None,
    ledger_records: int | None = None,
) -> DemoDiary:
    """Write `story` into `owner`'s diary, made in the story's time zone if they have none.

    size: the entries the owner writes, the story's included (by default the story's own);
        entries made from contacts' sends come on top.
    contacts: contacts in all, the story's included (by default the story's own).
    seed: what every choice made in scaling up, and every drawing, follows from.
    with_files: False leaves out every photo, the owner's and the contacts'.
    now: the moment the story ends (by default, now).
    ledger_records: pad the diary's ledger to exactly this many records with entries written
        in bulk (witnesses/demo/bulk.py): the one part not written by the services, for a
        ledger far longer than they could write in good time.

    All or nothing: if anything fails, no row is left and no stored file either.
    """
    stored: list[str] = []
    try:
        with transaction.atomic():
            writer = _Writer(owner, story, seed, with_files, now or timezone.now(), stored)
            demo = writer.write(size=size, contacts=contacts)
            if ledger_records is not None:
                bulk.ledger_pad(
                    diary=demo.diary, owner=owner, records=ledger_records, content=writer.earlier
                )
                demo = replace(demo, counts=_counts(demo.diary))
    except BaseException:
        # Files are stored before their rows (evidence and contacts' files alike): a rollback
        # leaves them behind unless they are removed here.
        for name in stored:
            filestore.delete(name)
        raise
    return demo


class _Writer:
    def __init__(
        self,
        owner: User,
        story: Story,
        seed: int,
        with_files: bool,
        now: datetime,
        stored: list[str],
    ) -> None:
        self.owner, self.story, self.with_files, self.now = owner, story, with_files, now
        self.stored = stored
        self.rng = random.Random(seed)  # what scaling up chooses
        self.pictures = random.Random(seed)  # the drawings: the same whatever the size
        self.diary = Diary.objects.filter(owner=owner).first() or services.diary_create(
            owner=owner, time_zone=story.time_zone
        )
        self.zone = self.diary.zone
        self.days = max(incident.days_ago for incident in story.incidents)

    def write(self, *, size: int | None, contacts: int | None) -> DemoDiary:
        story, rng = self.story, self.rng
        told = len(story.incidents)
        if size is not None and size < told:
            raise ValueError(f"size={size}: the story alone has {told} entries")
        if contacts is not None and contacts < len(story.contacts):
            raise ValueError(f"contacts={contacts}: the story alone has {len(story.contacts)}")
        more = (size or told) - told
        self.span = self._span(more)
        earlier = [self._entry(content) for content in self.earlier(more)]
        entries = {i.key: self._entry(self._when(i, self._start(i))) for i in story.incidents}
        standing = self._changed_later(entries, earlier)
        self._photos(entries, rng.sample(standing, k=len(earlier) // 5))
        self._items(entries, rng.sample(earlier, k=len(earlier) // 50))

        if story.brief or story.brief_photo:
            self._brief()
        if story.person:
            person_update(diary=self.diary, actor=self.owner, content=story.person)
        invited = self._invite(story.contacts, contacts)
        sent, added = self._story_sends(invited)
        self._more_sends([invited[key] for key in list(invited)[len(story.contacts) :]])
        shared = [entries[i.key] for i in story.incidents if i.shared]
        for entry in shared + rng.sample(standing, k=len(earlier) // 20):
            entry_share(entry=entry, actor=self.owner)
        if story.checklist:
            self._checklist()
        return DemoDiary(
            owner=self.owner,
            diary=self.diary,
            entries=entries,
            contacts=invited,
            sent=sent,
            added=added,
            shown=invited.get(story.shown_link),
            counts=_counts(self.diary),
        )

    # Times: relative to `now`, in the diary's zone, never later than now.

    def _local(self, days_ago: int, at: str) -> datetime:
        hour, minute = (int(part) for part in at.split(":"))
        day = timezone.localtime(self.now, self.zone).date() - timedelta(days=days_ago)
        return min(datetime.combine(day, time(hour, minute), tzinfo=self.zone), self.now)

    def _start(self, told: When) -> datetime:
        if told.minutes_ago is not None:
            return (self.now - timedelta(minutes=told.minutes_ago)).replace(second=0, microsecond=0)
        return self._local(told.days_ago, told.at)

    def _when(self, incident: Incident, start: datetime) -> dict[str, Any]:
        """The incident's content, beginning at `start`: a range keeps its length, and a police
        report gets the reference of the day unless the story gives one."""
        content: dict[str, Any] = {**incident.content, "occurred_start": start}
        if incident.hours is not None:
            content["occurred_end"] = min(start + timedelta(hours=incident.hours), self.now)
        if content.get("police_reported") and not content.get("police_reference"):
            content["police_reference"] = f"CAD 4471 {timezone.localtime(start, self.zone):%d/%m}"
        return content

    def _span(self, count: int) -> int:
        """The days back to the first of `count` incidents before the story."""
        return max(self.days + 1 + MONTH, count // INCIDENTS_A_DAY)

    def earlier(self, count: int) -> list[dict[str, Any]]:
        """`count` incidents like the story's before it began, oldest first."""
        if count <= 0:
            return []
        again = [incident for incident in self.story.incidents if not incident.withdrawn]
        first, last = self.days + 1, self._span(count)
        minutes = sorted(
            (self.rng.randint(first * 24 * 60, last * 24 * 60) for _ in range(count)),
            reverse=True,
        )
        return [
            self._when(
                self.rng.choice(again),
                (self.now - timedelta(minutes=ago)).replace(second=0, microsecond=0),
            )
            for ago in minutes
        ]

    # The owner's side.

    def _entry(self, content: dict[str, Any]) -> Entry:
        return services.entry_create(diary=self.diary, actor=self.owner, content=content)

    def _amend(self, entry: Entry, **changed: str) -> None:
        assert entry.current is not None
        content = {**entry.current.content_values(), **changed}
        services.entry_amend(entry=entry, actor=self.owner, content=content)

    def _changed_later(self, entries: dict[str, Entry], earlier: list[Entry]) -> list[Entry]:
        """The story's corrections and withdrawals, and their like among the earlier entries;
        the earlier entries still in the timeline."""
        for incident in self.story.incidents:
            if incident.corrected:
                self._amend(entries[incident.key], what_happened=incident.corrected)
        for entry in self.rng.sample(earlier, k=len(earlier) // 10):
            self._amend(entry, impact=ADDED_LATER)
        withdrawn = [(entries[i.key], i.withdrawn) for i in self.story.incidents if i.withdrawn]
        gone = self.rng.sample(earlier, k=len(earlier) // 100)
        for entry, reason in withdrawn + [(entry, WRITTEN_TWICE) for entry in gone]:
            services.entry_withdraw(entry=entry, actor=self.owner, reason=reason)
        left_out = {entry.pk for entry in gone}
        return [entry for entry in earlier if entry.pk not in left_out]

    def _photos(self, entries: dict[str, Entry], more: list[Entry]) -> None:
        """The story's photos, then one of them again on each of `more`."""
        told = [(entries[i.key], photo) for i in self.story.incidents for photo in i.photos]
        again = [
            (entry, replace(told[n % len(told)][1], name=f"IMG_{n:04d}.jpg", description=""))
            for n, entry in enumerate(more if told else [])
        ]
        for entry, photo in told + again:
            self._attach(entry, photo)

    def _items(self, entries: dict[str, Entry], more: list[Entry]) -> None:
        """The story's kept items, then one of them again (not handed over) on each of `more`;
        last, the story's handovers."""
        told = [(entries[i.key], item) for i in self.story.incidents for item in i.kept]
        again = [
            (entry, replace(told[n % len(told)][1], handed_over=None))
            for n, entry in enumerate(more if told else [])
        ]
        made = [(item, self._item(entry, item)) for entry, item in told + again]
        for item, row in made:
            if item.handed_over is not None:
                self._hand_over(row, item)

    def _upload(self, photo: Photo, taken: datetime) -> UploadedFile:
        taken = min(taken, self.now)
        data = photo.data or drawings.photo(
            photo.scene, photo.caption, taken, self.zone, self.pictures
        )
        return SimpleUploadedFile(photo.name, data, content_type=photo.content_type)

    def _keep(self, files: list[KeptFile]) -> None:
        self.stored.extend(
            name for file in files for name in (file.original.name, file.preview.name) if name
        )

    def _attach(self, entry: Entry, photo: Photo) -> None:
        if not self.with_files:
            return
        assert entry.current is not None
        upload = self._upload(
            photo, entry.current.occurred_start + timedelta(minutes=photo.minutes)
        )
        evidence = evidence_attach(
            entry=entry, actor=self.owner, upload=upload, description=photo.description
        )
        self._keep([evidence])

    def _item(self, entry: Entry, item: Kept) -> Item:
        assert entry.current is not None
        found_at = min(entry.current.occurred_start + timedelta(minutes=item.minutes), self.now)
        return services.item_create(
            diary=self.diary,
            actor=self.owner,
            content={**item.content, "entry": entry, "found_at": found_at},
        )

    def _hand_over(self, made: Item, item: Kept) -> None:
        handover = item.handed_over
        assert made.current is not None and handover is not None
        services.item_amend(
            item=made,
            actor=self.owner,
            content={
                **made.current.content_values(),
                "police_handed_at": self._start(handover),
                "police_handed_to": handover.police_handed_to,
                "exhibit_reference": handover.exhibit_reference,
                "current_location": handover.current_location,
            },
        )

    def _checklist(self) -> None:
        """The story's answers; where the diary already shows one, its suggestion, as an owner
        confirming it would."""
        suggested = risk_suggestions(actor=self.owner)
        answers = {
            code: {**given, "answer": suggested[code].answer} if code in suggested else given
            for code, given in self.story.checklist.items()
        }
        risk_checklist_complete(diary=self.diary, actor=self.owner, answers=answers)

    # The contacts' side.

    def _brief(self) -> None:
        photo = self.story.brief_photo
        version = brief_update(
            diary=self.diary,
            actor=self.owner,
            content={"safety": str(DEFAULT_SAFETY), **self.story.brief},
            photo=self._upload(photo, self.now) if photo and self.with_files else None,
        )
        if version.photo.name:
            self.stored.append(version.photo.name)

    def _invite(self, told: tuple[Contact, ...], count: int | None) -> dict[str, DemoContact]:
        more = [
            Contact(
                key=f"contact_{n + 1}",
                name=MORE_NAMES[n % len(MORE_NAMES)],
                relationship=Relationship.values[n % len(Relationship.values)],
                phone=(IPHONE, ANDROID)[n % 2],
                sharing=self.rng.choice(Sharing.values),
            )
            for n in range((count or len(told)) - len(told))
        ]
        invited = {}
        for contact in (*told, *more):
            witness, token = witness_invite(
                diary=self.diary,
                actor=self.owner,
                name=contact.name,
                relationship=contact.relationship,
                contact=contact.contact,
                sharing=contact.sharing,
                sees_photo=contact.sees_photo,
            )
            opened = device_open(token=token, user_agent=contact.phone)
            if opened is None:
                raise RuntimeError(f"{witness.name}'s new link would not open.")
            device, key = opened
            invited[contact.key] = DemoContact(witness, token, device, key)
        return invited

    def _send(self, device: WitnessDevice, sent: Sent, start: datetime) -> Submission:
        uploads: list[UploadedFile] = []
        if sent.photo is not None and self.with_files:
            uploads.append(self._upload(sent.photo, start + timedelta(minutes=sent.photo.minutes)))
        submission = submission_create(
            device=device, content={**sent.content, "occurred_start": start}, uploads=uploads
        )
        self._keep(list(submission.files.all()))
        return submission

    def _add(self, submission: Submission) -> Entry:
        entry = submission_accept(submission=submission, actor=self.owner)
        self._keep(list(entry.evidence.all()))
        return entry

    def _story_sends(
        self, invited: dict[str, DemoContact]
    ) -> tuple[dict[str, Submission], dict[str, Entry]]:
        sent = {
            told.key: self._send(invited[told.by].device, told, self._start(told))
            for told in self.story.sent
        }
        added = {}
        for told in self.story.sent:
            submission = sent[told.key]
            if told.follow_up:
                device = invited[told.by].device
                follow_up_add(device=device, submission=submission, text=told.follow_up)
            if told.added:
                added[told.key] = self._add(submission)
            elif told.kept_aside:
                submission_keep_aside(
                    submission=submission, actor=self.owner, reason=told.kept_aside
                )
        return sent, added

    def _more_sends(self, contacts: list[DemoContact]) -> None:
        told = self.story.sent
        for contact in contacts:
            for n in range(SENDS_EACH if told else 0):
                again = told[n % len(told)]
                again = replace(again, content=_without(again.content, "statement_contact"))
                start = self.now - timedelta(hours=self.rng.randint(2, self.span * 24))
                submission = self._send(contact.device, again, start)
                outcome = self.rng.random()
                if outcome < 0.3:
                    self._add(submission)
                elif outcome < 0.4:
                    reason = again.kept_aside or NOT_ABOUT_HIM
                    submission_keep_aside(submission=submission, actor=self.owner, reason=reason)


def _without(content: Any, name: str) -> dict[str, Any]:
    return {key: value for key, value in content.items() if key != name}


def _counts(diary: Diary) -> Counts:
    entries = Entry.objects.filter(diary=diary)
    sent = Submission.objects.filter(diary=diary)
    decisions = Decision.objects.filter(submission__diary=diary)
    return Counts(
        entries=entries.count(),
        withdrawn=entries.filter(withdrawal__isnull=False).count(),
        files=Evidence.objects.filter(diary=diary).count(),
        items=Item.objects.filter(diary=diary).count(),
        checklists=RiskChecklist.objects.filter(diary=diary).count(),
        contacts=Witness.objects.filter(diary=diary).count(),
        sent=sent.count(),
        pending=sent.filter(decision__isnull=True).count(),
        added=decisions.filter(outcome=Decision.Outcome.ACCEPTED).count(),
        kept_aside=decisions.filter(outcome=Decision.Outcome.KEPT_ASIDE).count(),
        follow_ups=FollowUp.objects.filter(submission__diary=diary).count(),
        shared=SharedEntry.objects.filter(entry__diary=diary, unshared_at__isnull=True).count(),
        ledger_records=head.seq if (head := ledger_head(diary)) else 0,
    )
