"""Telegram Desktop exports as it writes them (result.json, indented by one space, UTF-8
unescaped), made here so the tests know every message: a single chat, a whole account's
export, a zip of the export's folder with its photos and files, the bad inputs, and a
50,000-message chat streamed to a file (`write_big(path, 50_000)`)."""

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.imports.samples.whatsapp import JPEG

CHAT_ID = 4815162342
OWNER_ID = 777000111
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
START = datetime(2023, 12, 31, 20, 3, 15, tzinfo=UTC)


def _stamp(moment: datetime, key: str = "date") -> dict[str, str]:
    # "date" is the exporting computer's local time (here Berlin, UTC+1 in winter).
    local = (moment + timedelta(hours=1)).replace(tzinfo=None)
    return {key: local.isoformat(), f"{key}_unixtime": str(int(moment.timestamp()))}


def messages() -> list[dict]:
    bob = {"from": "Bob", "from_id": f"user{CHAT_ID}"}
    alice = {"from": "Alice", "from_id": f"user{OWNER_ID}"}
    at = [START + timedelta(minutes=i, seconds=7 * i) for i in range(12)]
    return [
        {
            "id": 1,
            "type": "service",
            **_stamp(at[0]),
            "actor": "Bob",
            "actor_id": f"user{CHAT_ID}",
            "action": "phone_call",
            "discard_reason": "missed",
            "text": "",
            "text_entities": [],
        },
        {
            "id": 2,
            "type": "message",
            **_stamp(at[1]),
            **bob,
            "text": "Pick up.",
            "text_entities": [],
        },
        {
            "id": 3,
            "type": "message",
            **_stamp(at[2]),
            **bob,
            "text": [
                "Look at ",
                {"type": "link", "text": "https://example.com/you"},
                " now ",
                {"type": "bold", "text": "please"},
                {"type": "mention_name", "text": "Alice", "user_id": OWNER_ID},
            ],
        },
        {
            "id": 4,
            "type": "message",
            **_stamp(at[3]),
            **bob,
            "photo": "photos/photo_1@31-12-2023_21-06-36.jpg",
            "width": 1,
            "height": 1,
            "text": "",
        },
        {
            "id": 5,
            "type": "message",
            **_stamp(at[4]),
            **bob,
            "file": "files/letter.pdf",
            "mime_type": "application/pdf",
            "text": "read this",
        },
        {
            "id": 6,
            "type": "message",
            **_stamp(at[5]),
            **bob,
            "photo": NOT_INCLUDED,
            "text": "",
        },
        {
            "id": 7,
            "type": "message",
            **_stamp(at[6]),
            **_stamp(at[7], "edited"),
            **bob,
            "text": "I changed my mind\nabout you",
        },
        {"id": 8, "type": "message", **_stamp(at[8]), **alice, "text": "Stop writing to me."},
        {
            "id": 9,
            "type": "service",
            **_stamp(at[9]),
            "actor": "Bob",
            "actor_id": f"user{CHAT_ID}",
            "action": "pin_message",
            "message_id": 8,
            "text": "",
        },
        {
            "id": 10,
            "type": "message",
            **_stamp(at[10]),
            **bob,
            "media_type": "voice_message",
            "file": "voice_messages/audio_1@31-12-2023_21-13-25.ogg",
            "duration_seconds": 4,
            "text": 'Happy new year 🎉 — ünïcödé "quoted" \\ back',
        },
        {
            "id": 11,
            "type": "message",
            **_stamp(at[11]),
            "from": None,
            "from_id": "user1",
            "text": "from an account since deleted",
        },
    ]


# What the reader gives for each: id, party, party_name, text, files, call kind.
EXPECTED = [
    (1, f"user{CHAT_ID}", "Bob", "", [], "missed"),
    (2, f"user{CHAT_ID}", "Bob", "Pick up.", [], ""),
    (3, f"user{CHAT_ID}", "Bob", "Look at https://example.com/you now pleaseAlice", [], ""),
    (4, f"user{CHAT_ID}", "Bob", "", ["photos/photo_1@31-12-2023_21-06-36.jpg"], ""),
    (5, f"user{CHAT_ID}", "Bob", "read this", ["files/letter.pdf"], ""),
    (6, f"user{CHAT_ID}", "Bob", "", [], ""),
    (7, f"user{CHAT_ID}", "Bob", "I changed my mind\nabout you", [], ""),
    (8, f"user{OWNER_ID}", "Alice", "Stop writing to me.", [], ""),
    (
        10,
        f"user{CHAT_ID}",
        "Bob",
        'Happy new year 🎉 — ünïcödé "quoted" \\ back',
        ["voice_messages/audio_1@31-12-2023_21-13-25.ogg"],
        "",
    ),
    (11, "user1", "user1", "from an account since deleted", [], ""),
]
FILES = {
    "photos/photo_1@31-12-2023_21-06-36.jpg": JPEG,
    "files/letter.pdf": PDF,
    "voice_messages/audio_1@31-12-2023_21-13-25.ogg": b"OggS\x00\x02" + b"\x00" * 20,
}


def single_chat() -> dict:
    return {"name": "Bob", "type": "personal_chat", "id": CHAT_ID, "messages": messages()}


def full_export() -> dict:
    group = {
        "name": "Neighbours",
        "type": "private_group",
        "id": 99,
        "messages": [
            {
                "id": 1,
                "type": "message",
                **_stamp(START),
                "from": "Bob",
                "from_id": f"user{CHAT_ID}",
                "text": "in the group",
            },
        ],
    }
    return {
        "about": "Here is the data you requested.",
        "personal_information": {
            "user_id": OWNER_ID,
            "first_name": "Alice",
            "phone_number": "+44 7700 900000",
        },
        "contacts": {
            "about": "…",
            "list": [{"first_name": "Bob", "phone_number": "+44 7700 900123"}],
        },
        "chats": {"about": "…", "list": [single_chat(), group]},
        "left_chats": {"about": "…", "list": []},
    }


def dumps(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def write_json(path: Path, document: dict | None = None) -> Path:
    path.write_bytes(dumps(document or single_chat()))
    return path


def zip_bytes(document: dict | None = None, folder: str = "ChatExport_2023-12-31/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(folder + "result.json", dumps(document or single_chat()))
        for member, data in FILES.items():
            archive.writestr(folder + member, data)
    return buffer.getvalue()


def big_message(i: int) -> dict:
    moment = START + timedelta(minutes=3 * i, seconds=i % 60)
    sender = (
        {"from": "Bob", "from_id": f"user{CHAT_ID}"}
        if i % 4
        else {"from": "Alice", "from_id": f"user{OWNER_ID}"}
    )
    text: object = (
        f"message number {i}: please answer"
        if i % 6
        else ["see ", {"type": "link", "text": f"https://x.example/{i}"}]
    )
    return {"id": i + 1, "type": "message", **_stamp(moment), **sender, "text": text}


def big_expected(count: int) -> Iterator[tuple[str, str, datetime, str]]:
    """(position, party, sent_at, text) of each message in the big chat."""
    for i in range(count):
        moment = START + timedelta(minutes=3 * i, seconds=i % 60)
        party = f"user{CHAT_ID}" if i % 4 else f"user{OWNER_ID}"
        text = f"message number {i}: please answer" if i % 6 else f"see https://x.example/{i}"
        yield f"message {i + 1}", party, moment, text


def write_big(path: Path, count: int = 50_000) -> Path:
    """A single chat of `count` messages, written one message at a time."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n "name": "Bob",\n "type": "personal_chat",\n')
        out.write(f' "id": {CHAT_ID},\n "messages": [\n')
        for i in range(count):
            out.write(
                (",\n" if i else "") + json.dumps(big_message(i), ensure_ascii=False, indent=1)
            )
        out.write("\n ]\n}\n")
    return path


def truncated() -> bytes:
    data = dumps(single_chat())
    return data[: len(data) * 2 // 3]
