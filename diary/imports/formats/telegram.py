"""Telegram Desktop's export: `result.json` (a single chat's, or a whole account's with every
chat under "chats" → "list"), or a zip of the export's folder with its photos and files.

The JSON is read as a stream: the reader walks the objects it needs key by key and decodes
one message at a time (json.JSONDecoder.raw_decode over a sliding buffer), skipping whatever
else the export holds the same way, so a 50,000-message chat is never in memory whole. One
JSON value (a message) may be at most MAX_VALUE_CHARS.

What becomes of each entry of "messages":
- "type": "message": one message; party = "from_id" ("user123…", one per person whatever name
  they use), party_name = "from"; the time from "date_unixtime" (UTC seconds, so no zone is
  needed; given in `zone` when one is), or from "date" in `zone` for old exports that lack it;
  "text" (a string, or a list of strings and {"type", "text"} pieces) joined to its plain
  words; "photo" and "file" are paths in the export's folder: details["files"], and from a
  zip the files themselves;
- "type": "service" with "action": "phone_call": a call (PHONE_CALL), its "duration_seconds"
  and "discard_reason" (missed, busy, hangup) in details; other service entries (pins, group
  changes) are skipped.
Direction: a whole-account export names its owner ("personal_information" → "user_id"), so a
message from her is OUTGOING (in a personal chat, to the chat's other person, whose user id is
the chat's id) and the rest INCOMING; a single chat's export does not, so UNKNOWN."""

import codecs
import json
import posixpath
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO
from zoneinfo import ZoneInfo

from diary.imports.formats import archives
from diary.imports.formats.base import (
    INCOMING,
    OUTGOING,
    PHONE_CALL,
    SOCIAL_MEDIA,
    UNKNOWN,
    Attachment,
    ImportProblem,
    Message,
    NeedsTimeZone,
)

CHUNK = 64 * 1024
MAX_VALUE_CHARS = 16 * 1024**2
NOT_INCLUDED = "(File not included"
_SPACE = " \t\r\n"


class _Json:
    """A JSON document read a piece at a time."""

    def __init__(self, stream: IO[bytes], *, name: str) -> None:
        self._stream = stream
        self._name = name
        self._decode = codecs.getincrementaldecoder("utf-8-sig")()
        self._decoder = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._eof = False

    def _damaged(self) -> ImportProblem:
        return ImportProblem(
            f"{self._name} is damaged or cut short, so it is not Telegram's export as it was "
            "written: export the chat again."
        )

    def _fill(self) -> None:
        if self._eof:
            raise self._damaged()
        raw = self._stream.read(CHUNK)
        try:
            text = self._decode.decode(raw, final=not raw)
        except UnicodeDecodeError:
            raise ImportProblem(f"{self._name} is not UTF-8 text, as Telegram writes.") from None
        self._eof = not raw
        self._buf = self._buf[self._pos :] + text
        self._pos = 0
        if len(self._buf) > MAX_VALUE_CHARS:
            raise ImportProblem(
                f"{self._name} holds one entry bigger than any Telegram message can be."
            )

    def peek(self) -> str:
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _SPACE:
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if self._eof:
                return ""
            self._fill()

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise self._damaged()
        self._pos += 1

    def value(self) -> object:
        self.peek()
        while True:
            try:
                found, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as error:
                # Cut off by the buffer's end (or inside a string, which may go on), or wrong.
                if error.pos < len(self._buf) - 8 and not error.msg.startswith("Unterminated"):
                    raise self._damaged() from None
                self._fill()
                continue
            # A number at the buffer's end may go on in the next chunk.
            if end == len(self._buf) and not self._eof:
                self._fill()
                continue
            self._pos = end
            return found

    def fields(self) -> Iterator[str]:
        """Each key of the object here; the caller reads or skips its value."""
        self.take("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise self._damaged()
            self.take(":")
            yield key
            if self.peek() == ",":
                self._pos += 1
                continue
            self.take("}")
            return

    def items(self) -> Iterator[None]:
        """Stops at each item of the array here; the caller reads or skips it."""
        self.take("[")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield
            if self.peek() == ",":
                self._pos += 1
                continue
            self.take("]")
            return

    def skip(self) -> None:
        char = self.peek()
        if char == "{":
            for _ in self.fields():
                self.skip()
        elif char == "[":
            for _ in self.items():
                self.skip()
        else:
            self.value()


Files = Callable[[str], Attachment | None]


def read(stream: IO[bytes], *, name: str, zone: ZoneInfo | None) -> Iterator[Message]:
    """Every message and call of every chat in the export, in the file's order."""
    try:
        yield from _read(stream, name=name, zone=zone)
    except RecursionError:
        raise ImportProblem(
            f"{name} nests deeper than Telegram's export does: it is not Telegram's export."
        ) from None


def _read(stream: IO[bytes], *, name: str, zone: ZoneInfo | None) -> Iterator[Message]:
    opened, files = _open(stream, name=name)
    with opened:
        document = _Json(opened, name=name)
        if document.peek() != "{":
            raise ImportProblem(f"{name} is not Telegram's export (result.json).")
        chat: dict[str, object] = {}
        owner = ""
        found = False
        for key in document.fields():
            if key in ("name", "type", "id"):
                chat[key] = document.value()
            elif key == "personal_information":
                about = document.value()
                if isinstance(about, dict) and about.get("user_id") is not None:
                    owner = f"user{about['user_id']}"
            elif key == "messages":
                found = True
                yield from _chat_messages(document, chat, owner, zone, files, name)
            elif key in ("chats", "left_chats") and document.peek() == "{":
                for inner in document.fields():
                    if inner != "list":
                        document.skip()
                        continue
                    found = True
                    for _ in document.items():
                        yield from _one_chat(document, owner, zone, files, name)
            else:
                document.skip()
        if document.peek() != "":
            raise ImportProblem(f"{name} goes on after its end: it is not Telegram's export.")
        if not found:
            raise ImportProblem(f"{name} holds no Telegram chat: it is not Telegram's export.")


def _one_chat(
    document: _Json, owner: str, zone: ZoneInfo | None, files: Files, name: str
) -> Iterator[Message]:
    chat: dict[str, object] = {}
    for key in document.fields():
        if key in ("name", "type", "id"):
            chat[key] = document.value()
        elif key == "messages":
            yield from _chat_messages(document, chat, owner, zone, files, name)
        else:
            document.skip()


def _chat_messages(
    document: _Json,
    chat: dict[str, object],
    owner: str,
    zone: ZoneInfo | None,
    files: Files,
    name: str,
) -> Iterator[Message]:
    if "id" not in chat:
        raise ImportProblem(f"{name} gives a chat's messages before saying which chat it is.")
    for _ in document.items():
        raw = document.value()
        if not isinstance(raw, dict):
            raise ImportProblem(f"{name} holds a message that is not one: export it again.")
        message = _message(raw, chat, owner, zone, files)
        if message is not None:
            yield message


def plain_text(text: object) -> str:
    """Telegram's "text": a string, or a list of strings and {"type", "text"} pieces."""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        parts = []
        for part in text:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return ""


def _when(raw: dict[str, object], key: str, zone: ZoneInfo | None, position: str) -> datetime:
    unix = raw.get(f"{key}_unixtime")
    try:
        if unix is not None:
            moment = datetime.fromtimestamp(int(str(unix)), UTC)
            return moment.astimezone(zone) if zone is not None else moment
        local = datetime.fromisoformat(str(raw[key]))
    except (KeyError, ValueError, OverflowError, OSError):
        raise ImportProblem(f"The time of {position} is missing or not a time.") from None
    if zone is None:
        raise NeedsTimeZone(
            "This Telegram export is old enough not to say which time zone its times are in: "
            "say where the phone was."
        )
    return local.replace(tzinfo=zone)


def _message(
    raw: dict[str, object],
    chat: dict[str, object],
    owner: str,
    zone: ZoneInfo | None,
    files: Files,
) -> Message | None:
    kind = raw.get("type")
    call = kind == "service" and raw.get("action") == "phone_call"
    if kind != "message" and not call:
        return None
    position = f"message {raw.get('id')}"
    sender_id = str(raw.get("actor_id" if call else "from_id") or "")
    sender_name = raw.get("actor" if call else "from")
    sender = sender_name if isinstance(sender_name, str) else ""
    details: dict[str, object] = {"app": "Telegram"}
    if isinstance(chat.get("name"), str):
        details["chat"] = chat["name"]
    if isinstance(chat.get("type"), str):
        details["chat_type"] = chat["type"]
    if owner and sender_id == owner:
        direction = OUTGOING
        if chat.get("type") == "personal_chat":
            party, party_name = f"user{chat['id']}", str(chat.get("name") or "")
        else:
            party, party_name = f"chat{chat['id']}", str(chat.get("name") or "")
    else:
        direction = INCOMING if owner else UNKNOWN
        party, party_name = sender_id or sender, sender or sender_id
    attachments: list[Attachment] = []
    if call:
        details["duration"] = raw.get("duration_seconds", 0)
        if raw.get("discard_reason"):
            details["kind"] = raw["discard_reason"]
    else:
        names: list[str] = []
        for key in ("photo", "file"):
            path = raw.get(key)
            if not isinstance(path, str):
                continue
            if path.startswith(NOT_INCLUDED):
                details["file_not_included"] = True
                continue
            names.append(path)
            found = files(path)
            if found is not None:
                attachments.append(found)
        if names:
            details["files"] = names
        for key in ("media_type", "mime_type", "forwarded_from", "reply_to_message_id"):
            if raw.get(key) is not None:
                details[key] = raw[key]
        if raw.get("edited") is not None:
            details["edited"] = _when(raw, "edited", zone, position).isoformat()
    return Message(
        channel=PHONE_CALL if call else SOCIAL_MEDIA,
        direction=direction,
        party=party,
        party_name=party_name,
        sent_at=_when(raw, "date", zone, position),
        text="" if call else plain_text(raw.get("text", "")),
        position=position,
        message_id=f"telegram:{chat.get('id')}:{raw.get('id')}",
        attachments=tuple(attachments),
        details=details,
    )


class _Unclosed:
    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        stream.seek(0)

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def __enter__(self) -> "_Unclosed":
        return self

    def __exit__(self, *_: object) -> None:
        return None


def _open(stream: IO[bytes], *, name: str) -> tuple[IO[bytes], Files]:
    head = archives.head_of(stream, 16)
    if not head:
        raise ImportProblem(f"{name} is empty (0 bytes): export the chat again.")
    if not head.startswith(b"PK") and not name.lower().endswith(".zip"):
        kind = archives.sniff(head)
        if kind is not None:
            raise ImportProblem(f"{name} is {kind}, not Telegram's export (result.json).")
        return _Unclosed(stream), lambda _path: None  # type: ignore[return-value]
    archive = archives.SafeZip(stream, name=name)
    found = [m for m in archive.names if archives.basename(m) == "result.json"]
    if len(found) != 1:
        raise ImportProblem(
            f"{name} holds no Telegram export: it should have result.json in it."
            if not found
            else f"{name} holds more than one Telegram export."
        )
    folder = posixpath.dirname(found[0])
    members = set(archive.names)

    def attachment(path: str) -> Attachment | None:
        member = posixpath.normpath(posixpath.join(folder, path))
        if member not in members:
            return None
        return Attachment(
            name=archives.basename(member),
            content_type=archives.content_type(member),
            size=archive.size(member),
            open=lambda: archive.open(member),
        )

    return archive.open(found[0]), attachment
