"""What every reader of an export gives back, and how it says the file is wrong."""

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Protocol
from zoneinfo import ZoneInfo

# The channel of a message, as the diary's Channel choices spell it (diary.models.choices).
TEXT = "text"
EMAIL = "email"
PHONE_CALL = "phone_call"
SOCIAL_MEDIA = "social_media"  # chat apps: WhatsApp, Telegram

# Which way it went, from the owner's side of the export.
INCOMING = "incoming"  # from the other person to her
OUTGOING = "outgoing"  # from her
UNKNOWN = "unknown"  # the format does not say (a group chat export, say)


class ImportProblem(Exception):
    """The file cannot be read as the export it should be. The message is for the owner:
    plain words naming the problem ("line 214: …" for a text export), never a traceback."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"Line {line}: {message}" if line is not None else message)


class NeedsTimeZone(ImportProblem):
    """The export's times carry no zone (WhatsApp's never do): ask which zone the phone was
    in, then read again with `zone`."""


@dataclass(frozen=True)
class Attachment:
    """A file that came with a message (a photo in a WhatsApp zip, an MMS part, an e-mail's
    attachment). `open()` gives its bytes as a stream; it may be called more than once."""

    name: str
    content_type: str
    size: int
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True)
class Message:
    """One message or call, exactly as the export gives it."""

    channel: str  # TEXT, EMAIL, PHONE_CALL or SOCIAL_MEDIA
    direction: str  # INCOMING, OUTGOING or UNKNOWN
    # Who sent it (incoming) or to whom it went (outgoing), as the export spells them: a
    # number, an address, a name. `party` is what the owner picks from (one per person).
    party: str
    party_name: str
    sent_at: datetime  # always aware: the export's zone, or the one the owner gave
    text: str  # the exact words ("" for a call, or a message that is only a file)
    # Where in the file it came from, so the bundle can show the original beside the entry:
    # "line 214", "offset 1048576", "message <id@host>", "sms 12".
    position: str
    message_id: str = ""  # the export's own id, when it has one (e-mail's Message-ID)
    attachments: tuple[Attachment, ...] = ()
    # Anything else worth keeping as it was: a call's duration in seconds and its kind
    # (incoming, missed, rejected), an e-mail's subject and Received chain, a chat's name.
    details: dict[str, object] = field(default_factory=dict)
    # Only who, when and its id were read, as the caller asked of a party it will not add
    # (diary.imports.formats.mail's `skim`): no words, files or details.
    skimmed: bool = False

    @property
    def identity(self) -> str:
        """What makes two imports of the same message one: its id when the export has one,
        else a hash of who, when (to the second, in UTC) and what."""
        if self.message_id:
            return "id:" + self.message_id
        key = "\x1f".join(
            [self.channel, self.direction, self.party, self.sent_at.isoformat(), self.text]
        )
        return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class Reader(Protocol):
    """`read(stream, name=..., zone=...)`: every message and call in the file, in the file's
    order. `stream` is the file as uploaded (binary, seekable); `name` is its file name (for
    messages); `zone` is the time zone to read zone-less times in (None: raise NeedsTimeZone
    if the format has none). Raises ImportProblem, never anything else, for a bad file."""

    def __call__(
        self, stream: IO[bytes], *, name: str, zone: ZoneInfo | None
    ) -> Iterator[Message]: ...
