"""E-mail exports the project makes for itself, laid out as the mail programs write them:
Gmail's "Download message" (.eml: CRLF lines, multipart/alternative, attachments in base64,
quoted-printable text, RFC 2047 words in the headers), and mailboxes as Google Takeout and
Thunderbird write them (mboxrd: a "From " line before each message, an empty line after it,
body lines that begin "From " or ">From " quoted with one more ">", LF lines).

Each message is DKIM-signed for real with an RSA key made here, and `FakeDns` answers the
selector's TXT record with its public key, as the signer's DNS would. `Sample` is what was
written, for the tests to hold every message read against."""

import base64
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import IO

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SELECTOR = b"20230601"


@dataclass
class Sample:
    """One message as it was written."""

    sender: str
    sender_name: str
    sent_at: datetime
    text: str
    subject: str
    message_id: str
    to: list[str] = field(default_factory=lambda: ["me@example.org"])
    cc: list[str] = field(default_factory=list)
    html: str | None = None  # an HTML alternative (or the only body, if text is "")
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, type, bytes
    received: list[str] = field(default_factory=list)  # top (last hop) first, as written
    signed_by: str | None = "gmail.com"
    date_header: str | None = None  # None: the Date as `sent_at` spells it; "": no Date at all
    transfer: str = "quoted-printable"  # how the text part travels

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2]


@cache
def key() -> tuple[bytes, bytes]:
    """(private key in PEM, the TXT record that publishes its public half)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


class FakeDns:
    """The signers' DNS: the selector's TXT record for each domain it knows, None (NXDOMAIN)
    for any other name, or `failure` raised for every question (a resolver that times out)."""

    def __init__(self, *domains: str, failure: Exception | None = None) -> None:
        record = key()[1]
        self.records = {SELECTOR + b"._domainkey." + d.encode() + b".": record for d in domains}
        self.failure = failure
        self.asked: list[bytes] = []

    def __call__(self, name: bytes) -> bytes | None:
        self.asked.append(name)
        if self.failure is not None:
            raise self.failure
        return self.records.get(name)


def message_bytes(sample: Sample) -> bytes:
    """The message as Gmail gives it to download: CRLF lines, DKIM-Signature on top."""
    message = EmailMessage(policy=policy.SMTP)
    for hop in sample.received:
        message["Received"] = hop
    message["From"] = Address(sample.sender_name, addr_spec=sample.sender)
    message["To"] = ", ".join(sample.to)
    if sample.cc:
        message["Cc"] = ", ".join(sample.cc)
    message["Subject"] = sample.subject
    if sample.date_header is None:
        message["Date"] = format_datetime(sample.sent_at)
    elif sample.date_header:
        message["Date"] = sample.date_header
    message["Message-ID"] = sample.message_id
    if sample.text:
        message.set_content(sample.text, cte=sample.transfer)
        if sample.html:
            message.add_alternative(sample.html, subtype="html")
    elif sample.html:
        message.set_content(sample.html, subtype="html")
    for name, kind, data in sample.attachments:
        maintype, _, subtype = kind.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    raw = message.as_bytes()
    if not sample.signed_by:
        return raw
    signature = dkim.sign(
        raw,
        SELECTOR,
        sample.signed_by.encode(),
        key()[0],
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )
    return signature + raw


def mbox_bytes(messages: Iterable[bytes], *, when: datetime | None = None) -> Iterator[bytes]:
    """Each message as an mboxrd entry: "From " line, LF lines, quoted "From " lines, and the
    empty line after."""
    stamp = (when or datetime(2024, 3, 1, tzinfo=UTC)).strftime("%a %b %d %H:%M:%S +0000 %Y")
    for raw in messages:
        lines = raw.replace(b"\r\n", b"\n").split(b"\n")
        quoted = [b">" + line if line.lstrip(b">").startswith(b"From ") else line for line in lines]
        body = b"\n".join(quoted)
        if not body.endswith(b"\n"):
            body += b"\n"
        yield b"From 1790000000000000000@xxx " + stamp.encode() + b"\n" + body + b"\n"


def write_mbox(path: Path | IO[bytes], messages: Iterable[bytes]) -> list[int]:
    """Writes the mailbox; gives the offset of each message's "From " line."""
    offsets = []
    handle = path.open("wb") if isinstance(path, Path) else path
    try:
        written = 0
        for entry in mbox_bytes(messages):
            offsets.append(written)
            handle.write(entry)
            written += len(entry)
    finally:
        if isinstance(path, Path):
            handle.close()
    return offsets


def received(hops: int, at: datetime) -> list[str]:
    """A Received chain as Gmail's servers stamp it, the last hop on top."""
    chain = []
    for hop in range(hops):
        stamp = format_datetime((at + timedelta(seconds=hops - hop)).astimezone(UTC))
        chain.append(
            f"by 2002:a05:6{hop}00::{hop} with SMTP id x{hop}csp{hop}; {stamp}"
            if hop < hops - 1
            else f"from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) "
            f"by mx.google.com with SMTPS id a{hop}sor; {stamp}"
        )
    return chain


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
PARIS = timezone(timedelta(hours=1))


def gmail_samples() -> list[Sample]:
    """A run of messages from one person, in the shapes Gmail sends and keeps."""
    first = datetime(2024, 2, 11, 21, 3, 17, tzinfo=PARIS)
    return [
        Sample(
            sender="Jake.Morrow@gmail.com",
            sender_name="Jake Morrów",
            sent_at=first,
            text="Why aren't you answering?\nI know you're home, the light is on.\n",
            html="<div dir=ltr>Why aren't you answering?<br>I know you're home, the light"
            " is on.</div>",
            subject="Re: tonight — answer me",
            message_id="<CAB1x=k9Q@mail.gmail.com>",
            received=received(3, first),
            cc=["Her.Sister@Example.org"],
        ),
        Sample(
            sender="jake.morrow@gmail.com",
            sender_name="Jake Morrow",
            sent_at=first + timedelta(minutes=4),
            text="From now on I'll wait outside.\n>From the car you can see me.\nÇa suffit.\n",
            subject="ça suffit",
            message_id="<CAB2y@mail.gmail.com>",
            received=received(2, first + timedelta(minutes=4)),
            transfer="base64",
            attachments=[
                ("photo of your door.png", "image/png", PNG),
                ("notes.pdf", "application/pdf", bytes(random.Random(7).randbytes(3000))),
            ],
        ),
        Sample(
            sender="jake.morrow@gmail.com",
            sender_name="",
            sent_at=first + timedelta(minutes=9),
            text="",
            html="<html><head><style>p{}</style></head><body><p>Only HTML here.</p>"
            "<p>Second&nbsp;line &amp; more</p></body></html>",
            subject="html only",
            message_id="<CAB3z@mail.gmail.com>",
            received=received(1, first + timedelta(minutes=9)),
        ),
        Sample(
            sender="someone@example.net",
            sender_name="Some One",
            sent_at=first + timedelta(minutes=20),
            text="No signature on this one.\n",
            subject="unsigned",
            message_id="<unsigned.1@example.net>",
            received=received(2, first + timedelta(minutes=20)),
            signed_by=None,
        ),
    ]
