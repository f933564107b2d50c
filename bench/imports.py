"""The exports the `imports` section brings in (issue 19), and the fresh database it brings them
into.

`python -m bench.imports FOLDER` (bench.run does this, with DATABASE_URL and MEDIA_ROOT in
FOLDER) makes the exports if they are not kept already, migrates a fresh database, makes one
owner with an empty diary for each import, and writes FOLDER/meta.json. The exports are made
once and kept in bench/.work/imports/, keyed by the modules that write them:

- chat: a WhatsApp export of 50,000 messages (tests/imports/samples/whatsapp.py `write_big`,
  iPhone layout, UK dates), four in five from Bob, the main sender, whom the import chooses;
- mail: a 2 GB mailbox as Google Takeout writes it (mboxrd, every message DKIM-signed with the
  samples' key), one message in four from the person (a few lines of text, signed by gmail.com)
  and the rest newsletters from others, each with a 100 kB attachment (signed by their list's
  domain). The person is chosen; the newsletters are only read.
"""

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "bench" / ".work" / "imports"
CHAT_MESSAGES = 50_000
MAILBOX_BYTES = 2_000_000_000
NEWSLETTER_ATTACHMENT = 100_000
CHAT_SENDER = "Bob"
MAIL_SENDER = "jake.morrow@gmail.com"
MAIL_DOMAINS = ("gmail.com", "lists.example.org")
CHAT_ZONE = "Europe/London"


def _key() -> str:
    """Changes when the recipe does: the sample modules, or what is asked of them here."""
    import inspect

    digest = hashlib.sha256()
    for path in (
        ROOT / "tests" / "imports" / "samples" / "whatsapp.py",
        ROOT / "tests" / "imports" / "samples" / "mail.py",
    ):
        digest.update(path.read_bytes())
    digest.update(inspect.getsource(_mail_messages).encode())
    recipe = (CHAT_MESSAGES, MAILBOX_BYTES, NEWSLETTER_ATTACHMENT, MAIL_SENDER)
    digest.update(repr(recipe).encode())
    return digest.hexdigest()[:12]


def _folder() -> Path:
    folder = SAMPLES / _key()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chat_path() -> Path:
    from tests.imports.samples import whatsapp

    path = _folder() / "WhatsApp Chat with Bob.txt"
    if not path.exists():
        partial = path.with_suffix(".partial")
        whatsapp.write_big(partial, CHAT_MESSAGES)
        partial.rename(path)
    return path


def _mail_messages() -> Iterator[bytes]:
    """Messages until the mailbox holds MAILBOX_BYTES: every fourth from the person."""
    from tests.imports.samples.mail import gmail_samples, message_bytes, received

    person = gmail_samples()[0]
    start = datetime(2022, 1, 3, 7, 30, tzinfo=UTC)
    attachment = bytes(range(256)) * (NEWSLETTER_ATTACHMENT // 256)
    written, number = 0, 0
    while written < MAILBOX_BYTES:
        at = start + timedelta(minutes=11 * number)
        if number % 4 == 0:
            sample = replace(
                person,
                sender=MAIL_SENDER,
                sent_at=at,
                text=f"Message {number}: why aren't you answering?\nI know you're home.\n",
                html=None,
                subject=f"Re: tonight ({number})",
                message_id=f"<bench.{number}@mail.gmail.com>",
                received=received(2, at),
            )
        else:
            sample = replace(
                person,
                sender=f"news{number % 7}@lists.example.org",
                sender_name=f"Newsletter {number % 7}",
                sent_at=at,
                text=f"This week's news, number {number}.\n" * 20,
                html=None,
                subject=f"Newsletter {number}",
                message_id=f"<news.{number}@lists.example.org>",
                received=received(3, at),
                cc=[],
                signed_by="lists.example.org",
                attachments=[(f"issue-{number}.pdf", "application/pdf", attachment)],
            )
        raw = message_bytes(sample)
        written += len(raw) - raw.count(b"\r\n") + 60  # as the mailbox holds it: LF lines
        # after a "From " line of about 58 bytes, and an empty line
        number += 1
        yield raw


def mail_path() -> Path:
    from tests.imports.samples.mail import write_mbox

    path = _folder() / "Takeout-All mail Including Spam and Trash.mbox"
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_mbox(partial, _mail_messages())
        partial.rename(path)
    return path


def prepare(folder: Path) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.data import new_owner
    from diary.records.services import diary_create

    started = time.perf_counter()
    exports = {"chat": chat_path(), "mail": mail_path()}
    made = time.perf_counter() - started
    call_command("migrate", verbosity=0)
    meta: dict[str, Any] = {"samples_seconds": round(made, 1)}
    for key, path in exports.items():
        owner = new_owner(f"import-{key}@bench.example")
        diary = diary_create(owner=owner, time_zone=CHAT_ZONE)
        meta[key] = {"diary": diary.pk, "path": str(path), "bytes": path.stat().st_size}
    return meta


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    (out / "meta.json").write_text(json.dumps(prepare(out)))
