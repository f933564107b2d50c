"""E-mail exports: one message as `.eml` (Gmail's "Download message"), a mailbox as `.mbox`
(Google Takeout, Thunderbird), and Outlook's `.msg`. Each message's DKIM signatures are checked
as it is read, and the verdict kept with it.

Named `mail`, not `email`: absolute imports make `email` here harmless inside the package, but
this folder on sys.path (a script run from it, a tool that adds it) would hide the standard
library's `email`, which this module and Django both use.

An mbox is split here, not by `mailbox.mbox`: that one reads the whole file to index it and
loads each message whole, and a Takeout mailbox can be gigabytes. This reads the stream in
chunks and holds one message at a time (at most MESSAGE_CAP bytes)."""

import base64
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors, policy
from email.header import decode_header, make_header
from email.message import EmailMessage, MIMEPart
from email.message import Message as Headers
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

import dkim
import dkim.dnsplug
import dkim.util
from dkim.canonicalization import CanonicalizationPolicy

from diary.core.html_text import html_to_text

from .base import EMAIL, UNKNOWN, Attachment, ImportProblem, Message, NeedsTimeZone

MESSAGE_CAP = 50 * 1024 * 1024  # one message, whole, attachments and all
DNS_TIMEOUT = 3.0  # seconds for one key lookup; a slow resolver must not stall an import
CHUNK = 1024 * 1024

Dns = Callable[[bytes], bytes | None]
Skim = Callable[[str], bool]
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PARSER = BytesParser(policy=policy.default)
# The headers alone, as written (compat32 keeps them as strings rather than building objects
# of every address and date): a tenth of what reading the whole message costs.
_HEADERS = BytesHeaderParser(policy=policy.compat32)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FROM_QUOTED = re.compile(rb"^>(>*From )", re.MULTILINE)


def read(
    stream: IO[bytes],
    *,
    name: str,
    zone: ZoneInfo | None,
    dns: Dns | None = None,
    skim: Skim | None = None,
) -> Iterator[Message]:
    """Every message in an .eml, .mbox or .msg file, in the file's order. The content decides,
    not the name: an .eml that starts with an mbox "From " line is a mailbox of one.

    `skim(party)` says, for each message as its sender is known, whether only its headers are
    wanted: such a message comes back `skimmed`, with who, when and its Message-ID but no
    words, files or DKIM verdict, and its body is not read (in a mailbox, most of the bytes:
    newsletters and their attachments). A message with no Message-ID, or the last of a
    mailbox (where a file cut short shows), is always read whole."""
    start = stream.tell()
    head = stream.read(len(OLE_MAGIC))
    stream.seek(start)
    if not head:
        raise ImportProblem(f"{name} is empty (0 bytes): there are no messages in it.")
    checker = _Dkim(dns)
    if head == OLE_MAGIC:
        yield from _read_msg(stream, name=name, zone=zone)
    elif name.lower().endswith(".msg"):
        raise ImportProblem(
            f"{name} is not an Outlook message: a .msg file saved by Outlook starts "
            "differently. Save the message from Outlook again, or export it as .eml."
        )
    elif head.startswith(b"From "):
        yield from _read_mbox(stream, name=name, zone=zone, checker=checker, skim=skim)
    elif name.lower().endswith(".mbox"):
        raise ImportProblem(
            f"{name} is not a mailbox: an .mbox file starts with a line beginning "
            '"From ", and this one does not.'
        )
    else:
        raw = stream.read(MESSAGE_CAP + 1)
        if len(raw) > MESSAGE_CAP:
            raise ImportProblem(_too_big(name))
        yield _message(raw, name=name, zone=zone, checker=checker, offset=None, skim=skim)


# -- reading the files ------------------------------------------------------------------------


def _mbox_chunks(stream: IO[bytes], name: str) -> Iterator[tuple[int, bytes, bool]]:
    """(offset of its "From " line, its bytes with that line, whether it is the last) for
    each message. A "From " line
    parts messages only after an empty line, as the writers leave one: a "From " line inside
    a message whose writer did not quote it stays in that message."""
    buf = bytearray()
    base = 0  # the file offset of buf[0], always a "From " line
    search = 0
    while True:
        found = buf.find(b"\nFrom ", search)
        if found > 0 and (buf[found - 1] == 0x0A or buf[found - 2 : found] == b"\n\r"):
            yield base, bytes(buf[: found + 1]), False
            del buf[: found + 1]
            base += found + 1
            search = 0
            continue
        if found != -1:
            search = found + 1
            continue
        if len(buf) > MESSAGE_CAP + 1024:
            raise ImportProblem(_too_big(name, base))
        chunk = stream.read(CHUNK)
        if not chunk:
            if buf:
                yield base, bytes(buf), True
            return
        search = max(0, len(buf) - 6)
        buf += chunk


def _read_mbox(
    stream: IO[bytes], *, name: str, zone: ZoneInfo | None, checker: "_Dkim", skim: Skim | None
) -> Iterator[Message]:
    for offset, chunk, last in _mbox_chunks(stream, name):
        _, _, raw = chunk.partition(b"\n")
        # Every writer ends a message with a line break and an empty line before the next
        # "From " line (the last message too); a file cut short ends anywhere else.
        if not chunk.endswith(b"\n"):
            raise ImportProblem(
                f"{name} is cut short: the message at offset {offset} stops in the middle. "
                "Download or export the mailbox again."
            )
        if raw.endswith(b"\r\n\r\n"):
            raw = raw[:-2]
        elif raw.endswith(b"\n\n"):
            raw = raw[:-1]
        if len(raw) > MESSAGE_CAP:
            raise ImportProblem(_too_big(name, offset))
        yield _message(
            raw,
            name=name,
            zone=zone,
            checker=checker,
            offset=offset,
            last=last,
            skim=skim,
            quoted=True,
        )


def _too_big(name: str, offset: int | None = None) -> str:
    where = f"The message at offset {offset} in {name}" if offset is not None else name
    return (
        f"{where} is larger than {MESSAGE_CAP // (1024 * 1024)} MB, more than one e-mail can "
        "be. Save the messages you need one by one, or the attachments as files."
    )


# -- one RFC 5322 message ---------------------------------------------------------------------


def _message(
    raw: bytes,
    *,
    name: str,
    zone: ZoneInfo | None,
    checker: "_Dkim",
    offset: int | None,
    last: bool = True,
    skim: Skim | None = None,
    quoted: bool = False,
) -> Message:
    """`quoted`: the message is from a mailbox, where a body line that began "From " (or
    ">From ", ...) was written with one more ">" (mboxrd); headers never begin so, so only a
    message read whole needs them taken off."""
    where = f"The message at offset {offset}" if offset is not None else name
    try:
        head = _head(raw, zone=zone, where=where)
        if skim is not None and head.message_id and not last and skim(head.party):
            return _skimmed(head, offset=offset)
        if quoted and b">From " in raw:
            raw = _FROM_QUOTED.sub(rb"\1", raw)
        return _parse_message(raw, head, checker=checker, where=where, offset=offset, last=last)
    except ImportProblem:
        raise
    except Exception as error:  # the parser's own bugs on odd mail: still words, not a crash
        raise ImportProblem(f"{where} cannot be read as an e-mail ({error}).") from None


@dataclass(frozen=True)
class _Head:
    """What the headers alone say. Who, when and the Message-ID always come from here, for a
    message read whole as for one skimmed, so both give the same party and identity."""

    party: str
    name: str
    sent_at: datetime
    message_id: str


def _head(raw: bytes, *, zone: ZoneInfo | None, where: str) -> _Head:
    end = _HEADER_END.search(raw)
    headers = _HEADERS.parsebytes(raw[: end.end()] if end else raw)
    sender = _written(headers, "From")
    if not sender:
        raise ImportProblem(
            f"{where} is not an e-mail: it has no From line. "
            "Save the message from your mail program as .eml and try again."
        )
    display, address = parseaddr(sender)
    if not address:
        raise ImportProblem(f'{where} has a From line with no address in it: "{sender}".')
    received = [_written_value(value) for value in headers.get_all("Received", [])]
    return _Head(
        party=address.lower(),
        name=_decoded(display),
        sent_at=_sent_at(_written(headers, "Date"), received, zone, where),
        message_id=_written(headers, "Message-ID"),
    )


def _written(headers: Headers, field: str) -> str:
    value = headers.get(field)
    return _written_value(value) if value is not None else ""


def _written_value(value: object) -> str:
    """A header as written, its folding undone (bytes that are not ASCII come back as the
    replacement character: compat32 gives them as unknown-8bit)."""
    return re.sub(r"\r?\n(?=[ \t])", "", str(value)).strip()


def _decoded(words: str) -> str:
    try:
        return str(make_header(decode_header(words)))
    except Exception:  # a badly encoded word: as it was written
        return words


def _position(head: _Head, offset: int | None) -> str:
    """Where in the file: its offset in a mailbox, its Message-ID for a file of one."""
    return f"offset {offset}" if offset is not None else f"message {head.message_id}"


def _skimmed(head: _Head, *, offset: int | None) -> Message:
    return Message(
        channel=EMAIL,
        direction=UNKNOWN,
        party=head.party,
        party_name=head.name,
        sent_at=head.sent_at,
        text="",
        position=_position(head, offset),
        message_id=head.message_id,
        skimmed=True,
    )


def _parse_message(
    raw: bytes,
    head: _Head,
    *,
    checker: "_Dkim",
    where: str,
    offset: int | None,
    last: bool = True,
) -> Message:
    """One message, read whole. `last`: nothing follows it in the file, so a part that never
    ends means the file was cut short (earlier in a mailbox, it is only a badly made
    message)."""
    parsed = _PARSER.parsebytes(raw)
    assert isinstance(parsed, EmailMessage)  # policy.default makes EmailMessage
    display, _ = parseaddr(_header(parsed, "From"))
    received = [str(value).strip() for value in parsed.get_all("Received", [])]
    if last and any(isinstance(d, errors.CloseBoundaryNotFoundDefect) for d in _defects(parsed)):
        raise ImportProblem(f"{where} is cut short: one of its parts never ends.")
    body_part = parsed.get_body(preferencelist=("plain", "html"))
    text = _text(body_part) if body_part is not None else ""
    return Message(
        channel=EMAIL,
        direction=UNKNOWN,
        party=head.party,
        party_name=display or head.name,
        sent_at=head.sent_at,
        text=text,
        position=_position(head, offset),
        message_id=head.message_id,
        attachments=tuple(_attachments(parsed, body_part)),
        details={
            "subject": _header(parsed, "Subject"),
            "date": _header(parsed, "Date"),  # as written, when sent_at had to come from elsewhere
            "to": _addresses(parsed, "To"),
            "cc": _addresses(parsed, "Cc"),
            "received": received,
            "message_id": head.message_id,
            "dkim": checker.verdicts(raw, parsed),
        },
    )


def _defects(message: EmailMessage) -> Iterator[object]:
    for part in message.walk():
        yield from part.defects


def _header(message: EmailMessage, field: str) -> str:
    try:
        value = message.get(field)
    except Exception:  # a header the parser cannot make sense of: as it was written
        raw = [v for k, v in message.raw_items() if k.lower() == field.lower()]
        value = raw[0] if raw else None
    return str(value).strip() if value is not None else ""


def _addresses(message: EmailMessage, field: str) -> list[str]:
    values = [str(value) for value in message.get_all(field, [])]
    return [address.lower() for _, address in getaddresses(values) if address]


def _sent_at(written: str, received: list[str], zone: ZoneInfo | None, where: str) -> datetime:
    """The Date header's time. A Date with no zone (or "-0000", "zone unknown"), or none, gives
    way to the first hop's Received stamp (the bottom one), which servers always write with
    their zone; failing that, a zoneless Date takes the zone the owner gives."""
    date = _parse_date(written)
    if date is not None and date.tzinfo is not None:
        return date
    stamped = _parse_date(received[-1].rpartition(";")[2]) if received else None
    if stamped is not None and stamped.tzinfo is not None:
        return stamped
    if date is None:
        raise ImportProblem(f"{where} has no date that can be read (no Date line).")
    if zone is None:
        raise NeedsTimeZone(f"{where} gives its time without a time zone.")
    return date.replace(tzinfo=zone)


def _parse_date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _text(part: MIMEPart) -> str:
    """The words of a text part, its charset decoded; line breaks as "\\n" (CRLF is how mail
    travels, not part of the words)."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        words = data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        words = data.decode("utf-8", errors="replace")
    words = words.replace("\r\n", "\n")
    if part.get_content_type() == "text/html":
        return html_to_text(words)
    return words


def _attachments(message: MIMEPart, body: MIMEPart | None) -> Iterator[Attachment]:
    """The parts that are files: those marked attachment, and those neither text nor inline
    (an image with a Content-ID is a picture in the HTML, not a file). A forwarded message
    is one file, as it came."""
    number = 0
    for part in _leaves(message):
        if part is body:
            continue
        disposition = part.get_content_disposition()
        kind = part.get_content_type()
        if disposition != "attachment" and (
            disposition == "inline"
            or (part.get_content_maintype() == "text" and not part.get_filename())
            or part.get("Content-ID")
        ):
            continue
        number += 1
        if kind == "message/rfc822":
            inner = part.get_payload()
            forwarded = inner[0] if isinstance(inner, list) else inner
            data = forwarded.as_bytes(policy=policy.SMTP) if not isinstance(forwarded, str) else b""
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename() or f"attachment-{number}"
        yield Attachment(name=filename, content_type=kind, size=len(data), open=_opener(data))


def _leaves(message: MIMEPart) -> Iterator[MIMEPart]:
    if message.get_content_type() == "message/rfc822":
        yield message
        return
    if not message.is_multipart():
        yield message
        return
    for part in message.iter_parts():
        yield from _leaves(part)


def _opener(data: bytes) -> Callable[[], IO[bytes]]:
    return lambda: io.BytesIO(data)


# -- DKIM -------------------------------------------------------------------------------------


def _default_dns(name: bytes) -> bytes | None:
    record: bytes | None = dkim.dnsplug.get_txt(name, timeout=DNS_TIMEOUT)
    return record


class _Dkim:
    """Checks every DKIM-Signature of a message. Keys are asked of DNS once per selector and
    domain for the whole file: a mailbox of ten thousand Gmail messages asks a few times."""

    def __init__(self, dns: Dns | None) -> None:
        self.dns = dns or _default_dns
        self.keys: dict[bytes, bytes | str | None] = {}  # record, or the words of a failure

    def key(self, name: bytes) -> bytes | str | None:
        if name not in self.keys:
            try:
                self.keys[name] = self.dns(name)
            except Exception as error:  # any resolver's failure is a verdict, not a crash
                self.keys[name] = (
                    f"the key could not be looked up in DNS ({error or type(error).__name__})"
                )
        return self.keys[name]

    def verdicts(self, raw: bytes, message: EmailMessage) -> list[dict[str, object]]:
        count = len(message.get_all("DKIM-Signature", []))
        return [self.verdict(raw, index) for index in range(count)]

    def verdict(self, raw: bytes, index: int) -> dict[str, object]:
        checked_at = datetime.now(UTC).isoformat(timespec="seconds")
        result: dict[str, object] = {
            "domain": "",
            "selector": "",
            "result": "error",
            "body_intact": False,
            "reason": "",
            "checked_at": checked_at,
        }
        try:
            signer = dkim.DKIM(raw, logger=_Quiet(), timeout=DNS_TIMEOUT)
            headers = [
                value for field, value in signer.headers if field.lower() == b"dkim-signature"
            ]
            fields = dkim.util.parse_tag_value(headers[index])
        except Exception:
            result["reason"] = "the signature cannot be read"
            return result
        domain = fields.get(b"d", b"").decode("ascii", "replace")
        selector = fields.get(b"s", b"").decode("ascii", "replace")
        result.update(domain=domain, selector=selector, body_intact=_body_intact(signer, fields))
        record = self.key(fields.get(b"s", b"") + b"._domainkey." + fields.get(b"d", b"") + b".")
        if isinstance(record, str):
            result["reason"] = record
            return result
        if not record:
            result["reason"] = (
                f"{domain} no longer publishes the key (selector {selector}) "
                "this signature was made with, so it cannot be checked"
            )
            return result
        logger = _Quiet()
        signer.logger = logger
        try:
            good = signer.verify(idx=index, dnsfunc=lambda _name, timeout=None: record)
        except dkim.DKIMException as error:
            good, logger.said = False, [str(error)]
        except Exception as error:
            result["reason"] = f"the signature could not be checked ({error})"
            return result
        if good:
            result.update(result="pass", reason="the signature matches")
            return result
        result["result"] = "fail"
        if not result["body_intact"]:
            result["reason"] = "the body is not the one that was signed"
        else:
            said = "; ".join(logger.said)
            result["reason"] = "the signed headers do not match the signature" + (
                f" ({said})" if said else ""
            )
        return result


def _body_intact(signer: Any, fields: dict[bytes, bytes]) -> bool:
    """Whether the body hashes to the signature's bh=: needs no key, so it is known even when
    DNS is not."""
    try:
        canon = CanonicalizationPolicy.from_c_value(fields.get(b"c", b"simple/simple"))
        body = canon.canonicalize_body(signer.body)
        if b"l" in fields:
            body = body[: int(fields[b"l"])]
        hasher = dkim.HASH_ALGORITHMS[fields[b"a"]]
        expected = base64.b64decode(re.sub(rb"\s+", b"", fields[b"bh"]))
        return bool(hasher(body).digest() == expected)
    except Exception:
        return False


class _Quiet(logging.Logger):
    """dkimpy says why a check failed only to its logger: keep what it says."""

    def __init__(self) -> None:
        super().__init__("diary.imports.formats.mail.dkim", logging.DEBUG)
        self.said: list[str] = []

    def _log(self, level: int, msg: object, args: Any, *rest: Any, **kwargs: Any) -> None:
        if level >= logging.ERROR:
            self.said.append(str(msg) % args if args else str(msg))


def dkim_in_words(verdicts: list[dict[str, Any]]) -> str:
    """The verdict as the PDF says it: "signed by gmail.com, body intact", "no signature"."""
    if not verdicts:
        return "no signature"
    said = []
    for verdict in verdicts:
        domain = verdict.get("domain") or "an unreadable signer"
        if verdict.get("result") == "pass":
            said.append(f"signed by {domain}, body intact")
        elif verdict.get("result") == "fail" and not verdict.get("body_intact"):
            said.append(f"signed by {domain}, but the body was changed")
        elif verdict.get("result") == "fail":
            said.append(f"signed by {domain}, but the signed headers were changed")
        else:
            said.append(f"signed by {domain}, not checked: {verdict.get('reason')}")
    return "; ".join(said)


# -- Outlook .msg -----------------------------------------------------------------------------


def _read_msg(stream: IO[bytes], *, name: str, zone: ZoneInfo | None) -> Iterator[Message]:
    import extract_msg  # loaded only for .msg files: it brings a great deal with it

    data = stream.read(MESSAGE_CAP + 1)
    if len(data) > MESSAGE_CAP:
        raise ImportProblem(_too_big(name))
    try:
        msg = extract_msg.openMsg(data, strict=False)
    except Exception as error:
        raise ImportProblem(
            f"{name} cannot be read as an Outlook message ({error}). "
            "Save it from Outlook again, or export it as .eml."
        ) from None
    try:
        yield _msg_message(msg, name=name, zone=zone)
    finally:
        msg.close()


def _msg_message(msg: Any, *, name: str, zone: ZoneInfo | None) -> Message:
    try:
        sender = str(getattr(msg, "sender", "") or "")
        display, address = parseaddr(sender)
        address = address or str(getattr(msg, "senderEmail", "") or "")
        date = getattr(msg, "date", None)
        headers = getattr(msg, "header", None)
        received = [_unfold(v) for v in headers.get_all("Received", [])] if headers else []
        signed = [str(v) for v in headers.get_all("DKIM-Signature", [])] if headers else []
        message_id = str(getattr(msg, "messageId", "") or "").strip()
        body = getattr(msg, "body", None)
        if not body and getattr(msg, "htmlBody", None):
            html = msg.htmlBody
            body = html_to_text(
                html.decode("utf-8", "replace") if isinstance(html, bytes) else html
            )
        attachments = []
        for number, attachment in enumerate(getattr(msg, "attachments", []), 1):
            payload = attachment.data
            if not isinstance(payload, bytes):
                continue  # an Outlook item inside the item: not a file to keep
            attachments.append(
                Attachment(
                    name=attachment.longFilename
                    or attachment.shortFilename
                    or f"attachment-{number}",
                    content_type=attachment.mimetype or "application/octet-stream",
                    size=len(payload),
                    open=_opener(payload),
                )
            )
        to = _split_addresses(getattr(msg, "to", "") or "")
        cc = _split_addresses(getattr(msg, "cc", "") or "")
        subject = str(getattr(msg, "subject", "") or "")
    except ImportProblem:
        raise
    except Exception as error:
        raise ImportProblem(f"{name} cannot be read as an Outlook message ({error}).") from None
    if not address:
        raise ImportProblem(f"{name} does not say who sent it.")
    if not isinstance(date, datetime):
        raise ImportProblem(f"{name} does not say when it was sent.")
    if date.tzinfo is None:
        if zone is None:
            raise NeedsTimeZone(f"{name} gives its time without a time zone.")
        date = date.replace(tzinfo=zone)
    checked_at = datetime.now(UTC).isoformat(timespec="seconds")
    return Message(
        channel=EMAIL,
        direction=UNKNOWN,
        party=address.lower(),
        party_name=display,
        sent_at=date,
        text=str(body or "").replace("\r\n", "\n"),
        position=f"message {message_id}" if message_id else "message 1",
        message_id=message_id,
        attachments=tuple(attachments),
        details={
            "subject": subject,
            "to": to,
            "cc": cc,
            "received": received,
            "message_id": message_id,
            # Outlook keeps the words, not the bytes that were signed: a signature it kept
            # in the headers cannot be checked.
            "dkim": [
                {
                    "domain": _tag(value, "d"),
                    "selector": _tag(value, "s"),
                    "result": "error",
                    "body_intact": False,
                    "reason": "Outlook's .msg file does not keep the message as it was signed",
                    "checked_at": checked_at,
                }
                for value in signed
            ],
        },
    )


def _unfold(value: object) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", str(value)).strip()


def _split_addresses(value: str) -> list[str]:
    return [address.lower() for _, address in getaddresses([value.replace(";", ",")]) if address]


def _tag(signature: str, tag: str) -> str:
    found = re.search(rf"(?:^|;)\s*{tag}\s*=\s*([^;\s]+)", signature)
    return found.group(1) if found else ""
