"""Mail a server process wrote with Django's file backend (`EMAIL_URL=filemail://<folder>`):
the browser journeys and the stack read her confirmation link from it, as she would from her
inbox."""

import email
import re
from email.message import Message
from pathlib import Path

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/\S+)")


def _text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    texts = []
    for part in parts:
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(texts)


def confirm_path(folder: Path, address: str) -> str:
    """The path of the newest confirmation link sent to `address`."""
    # The file backend writes each connection's messages one after another in one file.
    for path in sorted(folder.glob("*.log"), key=lambda found: found.stat().st_mtime, reverse=True):
        chunks = path.read_bytes().split(b"\n" + b"-" * 79 + b"\n")
        for chunk in reversed(chunks):
            message = email.message_from_bytes(chunk.strip())
            if address not in (message.get("To") or ""):
                continue
            found = CONFIRM_LINK.search(_text(message))
            if found:
                return found.group(1)
    raise AssertionError(f"no confirmation link for {address} in {folder}")
