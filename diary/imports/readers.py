"""Which reader reads a file: by what it is (a zip's contents, a file's first bytes) as much as
by its name, so a file named wrongly is refused in words rather than misread."""

import zipfile
from collections.abc import Callable, Iterator
from typing import IO
from zoneinfo import ZoneInfo

from django.utils.module_loading import import_string

from diary import messages
from diary.imports.formats.base import ImportProblem, Message
from diary.models import MessageImport

READERS: dict[str, str] = {
    MessageImport.Format.WHATSAPP: "diary.imports.formats.whatsapp.read",
    MessageImport.Format.TELEGRAM: "diary.imports.formats.telegram.read",
    MessageImport.Format.EMAIL: "diary.imports.formats.mail.read",
    MessageImport.Format.SMS: "diary.imports.formats.sms.read",
}

BY_SUFFIX: dict[str, str] = {
    ".txt": MessageImport.Format.WHATSAPP,
    ".json": MessageImport.Format.TELEGRAM,
    ".eml": MessageImport.Format.EMAIL,
    ".mbox": MessageImport.Format.EMAIL,
    ".msg": MessageImport.Format.EMAIL,
    ".xml": MessageImport.Format.SMS,
}


def _zip_format(stream: IO[bytes]) -> str:
    """A zip is a WhatsApp chat with its media, or a Telegram export's folder."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = [name.rsplit("/", 1)[-1] for name in archive.namelist()]
    except (zipfile.BadZipFile, OSError):
        raise ImportProblem(str(messages.IMPORT_NOT_A_ZIP)) from None
    finally:
        stream.seek(0)
    if "result.json" in names:
        return MessageImport.Format.TELEGRAM
    if any(name == "_chat.txt" or name.endswith(".txt") for name in names):
        return MessageImport.Format.WHATSAPP
    raise ImportProblem(str(messages.IMPORT_ZIP_HOLDS_NO_CHAT))


def format_of(stream: IO[bytes], name: str) -> str:
    """The format of an uploaded export, or ImportProblem saying what can be imported."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == ".zip":
        return _zip_format(stream)
    found = BY_SUFFIX.get(suffix)
    if found is None:
        raise ImportProblem(str(messages.IMPORT_UNKNOWN_KIND))
    return found


def read(
    stream: IO[bytes],
    *,
    format: str,
    name: str,
    zone: ZoneInfo | None,
    day_first: bool | None = None,
    dns: Callable[[bytes], bytes | None] | None = None,
    skim: Callable[[str], bool] | None = None,
) -> Iterator[Message]:
    """Every message in the file. `day_first` says how a chat's dates are written, when the
    file alone cannot tell (WhatsApp's 03/04/2024); `dns` answers an e-mail's DKIM key
    lookups (tests give their own; by default, the internet's DNS); `skim(party)` says whose
    messages are wanted only for who and when (a mailbox then leaves their bodies unread;
    the other formats cost little to read whole, and read every message whole)."""
    reader = import_string(READERS[format])
    stream.seek(0)
    if format == MessageImport.Format.WHATSAPP:
        found = reader(stream, name=name, zone=zone, day_first=day_first)
    elif format == MessageImport.Format.EMAIL:
        found = reader(stream, name=name, zone=zone, dns=dns, skim=skim)
    else:
        found = reader(stream, name=name, zone=zone)
    return found  # type: ignore[no-any-return]
