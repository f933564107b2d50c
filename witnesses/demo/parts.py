"""The parts a demo story is told in (witnesses/demo/story.py tells one).

Times are relative (`When`), so a story is always the last few weeks: an incident or a send
happened `days_ago` days before today at the local time `at` ("HH:MM", in the diary's time
zone), or `minutes_ago` minutes ago; never later than now. Content is what the owner or the
contact wrote, by the names of the fields of the app's own forms.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from witnesses.models import Sharing


@dataclass(frozen=True, kw_only=True)
class When:
    """When something happened: `days_ago` days before today at the local time `at`, or
    `minutes_ago` minutes ago."""

    days_ago: int = 0
    at: str = ""
    minutes_ago: int | None = None


@dataclass(frozen=True, kw_only=True)
class Photo:
    """A picture taken on a phone: a drawing (witnesses/demo/drawings.py, by scene) that carries
    the time it was taken, or, where `data` is given, exactly those bytes."""

    name: str
    minutes: int = 0  # taken this many minutes after the incident (or what was seen) began
    scene: str = ""
    caption: str = ""
    description: str = ""
    data: bytes = b""
    content_type: str = "image/jpeg"


@dataclass(frozen=True, kw_only=True)
class Handover(When):
    """A kept item handed to the police later: a second version of the item."""

    police_handed_to: str
    exhibit_reference: str
    current_location: str


@dataclass(frozen=True, kw_only=True)
class Kept:
    """A physical item kept from an incident, found `minutes` after it began."""

    content: Mapping[str, Any]
    minutes: int = 0
    handed_over: Handover | None = None


@dataclass(frozen=True, kw_only=True)
class Incident(When):
    """One entry in the owner's timeline, with what was photographed and kept, and what
    happened to the entry afterwards."""

    key: str
    content: Mapping[str, Any]
    hours: float | None = None  # how long it went on, for an entry told as a range of times
    corrected: str = ""  # what happened, as the owner corrected it later (a second version)
    withdrawn: str = ""  # withdrawn from the timeline, for this reason
    shared: bool = False  # marked as shared, for the contacts who see marked entries
    photos: tuple[Photo, ...] = ()
    kept: tuple[Kept, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Contact:
    """Someone the owner invited, who opened their link on their phone (`phone`: its browser)."""

    key: str
    name: str
    relationship: str
    phone: str
    contact: str = ""  # their number or address, for the owner
    sharing: str = Sharing.BRIEF
    sees_photo: bool = False


@dataclass(frozen=True, kw_only=True)
class Sent(When):
    """Something a contact sent, and what the owner did with it (nothing yet, by default)."""

    key: str
    by: str  # the contact's key
    content: Mapping[str, Any]
    photo: Photo | None = None
    follow_up: str = ""  # what the contact added to it afterwards
    added: bool = False  # the owner added it to the timeline
    kept_aside: str = ""  # or kept it aside, for this reason


@dataclass(frozen=True, kw_only=True)
class Story:
    """A whole diary: the incidents in the order the owner wrote them, the brief, the contacts
    and what they sent, and the owner's answers to the risk checklist (by question code)."""

    time_zone: str
    incidents: tuple[Incident, ...]
    brief: Mapping[str, str] = field(default_factory=dict)
    brief_photo: Photo | None = None
    person: Mapping[str, str] = field(default_factory=dict)  # About the person, as she wrote it
    contacts: tuple[Contact, ...] = ()
    sent: tuple[Sent, ...] = ()
    checklist: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    shown_link: str = ""  # the contact whose link is shown to whoever asked for the diary
