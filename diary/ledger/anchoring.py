"""Independent timestamps of each diary's ledger head (RFC 3161).

An authority outside the server signs "this hash existed by this time". The hash sent is the
head record's own (its 32 SHA-256 bytes), and since every record's hash covers the one before
it, one token vouches for every record up to that head: nobody, holding every key of this
server, can later write a record into that stretch of history and keep the token valid.

Asking never holds the diary's lock, and a write never waits for it: the background loop
(`anchor_heads --loop`, which `make run` starts) asks for each diary whose head has moved, at
most every TIMESTAMP_EVERY seconds, and every bundle asks for its own head first. A failure is
kept (the owner's status line shows it) and tried again on the next round.
"""

import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from asn1crypto import tsp
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from diary.ledger.services import ledger_head
from diary.models import Diary, HeadTimestamp, TimestampFailure

# What an authority may answer: a token is a few kilobytes with its certificates.
MAX_ANSWER = 64 * 1024

GRANTED = {"granted", "granted_with_mods"}


class AnchorError(Exception):
    """Why an authority gave no token, in words for the owner's status line."""


@dataclass(frozen=True)
class Authority:
    url: str
    ca_pem: str


@cache
def _read(path: str) -> str:
    return Path(path).read_text()


def authorities() -> list[Authority]:
    return [
        Authority(url, _read(ca))
        for url, ca in zip(settings.TIMESTAMP_URLS, settings.TIMESTAMP_CA_CERTS, strict=True)
    ]


def timestamp_request(digest: bytes, nonce: int) -> bytes:
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "nonce": nonce,
            # With its certificates, so the token can be checked from the bundle alone.
            "cert_req": True,
        }
    )
    return bytes(request.dump())


def _post(url: str, body: bytes, timeout: float) -> bytes:
    request = urllib.request.Request(  # noqa: S310 (TIMESTAMP_URLS are checked to be http(s))
        url,
        data=body,
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            data: bytes = answer.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as error:
        raise AnchorError(f"the authority answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise AnchorError(f"the authority could not be reached ({reason})") from None
    if len(data) > MAX_ANSWER:
        raise AnchorError("the authority's answer was too large")
    return data


def token_from(answer: bytes, digest: bytes, nonce: int) -> tuple[bytes, datetime]:
    """The token in an authority's answer and the time it gives, once the answer is for this
    hash and this request. The signature is checked by whoever checks the bundle."""
    try:
        response = tsp.TimeStampResp.load(answer)
        status = response["status"]["status"].native
        if status not in GRANTED:
            raise AnchorError(f"the authority refused ({status})")
        token = response["time_stamp_token"]
        if token["content_type"].native != "signed_data":
            raise AnchorError("the authority's answer holds no signed token")
        info = token["content"]["encap_content_info"]["content"].parsed
        imprint = info["message_imprint"]
        if imprint["hash_algorithm"]["algorithm"].native != "sha256":
            raise AnchorError("the authority used another hash")
        if imprint["hashed_message"].native != digest:
            raise AnchorError("the authority's token is for another hash")
        if info["nonce"].native != nonce:
            raise AnchorError("the authority's token answers another request")
        return bytes(token.dump()), info["gen_time"].native
    except AnchorError:
        raise
    except (ValueError, TypeError, KeyError):
        raise AnchorError("the authority's answer is not a timestamp") from None


def ask(authority: Authority, record_hash: str, *, timeout: float) -> tuple[bytes, datetime]:
    digest = bytes.fromhex(record_hash)
    nonce = secrets.randbits(63)
    answer = _post(authority.url, timestamp_request(digest, nonce), timeout)
    return token_from(answer, digest, nonce)


def anchor(diary: Diary, *, timeout: float = 10.0) -> list[HeadTimestamp]:
    """Ask every authority for a token of the diary's head that has none from it yet."""
    head = ledger_head(diary)
    if head is None:
        return []
    have = set(
        HeadTimestamp.objects.filter(diary=diary, seq=head.seq).values_list("authority", flat=True)
    )
    made = []
    for authority in authorities():
        if authority.url in have:
            continue
        try:
            token, gen_time = ask(authority, head.hash, timeout=timeout)
        except AnchorError as problem:
            TimestampFailure.objects.create(
                diary=diary,
                seq=head.seq,
                authority=authority.url,
                at=timezone.now(),
                reason=str(problem)[:200],
            )
            continue
        try:
            with transaction.atomic():
                made.append(
                    HeadTimestamp.objects.create(
                        diary=diary,
                        seq=head.seq,
                        hash=head.hash,
                        authority=authority.url,
                        token=token,
                        gen_time=gen_time,
                        ca_pem=authority.ca_pem,
                        received_at=timezone.now(),
                    )
                )
        except IntegrityError:
            pass  # another worker stamped the same head first: one token is enough
    return made


def due(now: datetime | None = None) -> QuerySet[Diary]:
    """Diaries with records newer than their last token, and no token in TIMESTAMP_EVERY."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.TIMESTAMP_EVERY)
    tokens = HeadTimestamp.objects.filter(diary=OuterRef("pk")).order_by("-seq")
    # Each diary's head is kept on its row (head_seq; 0 before its first record).
    return (
        Diary.objects.annotate(
            anchored_seq=Subquery(tokens.values("seq")[:1]),
            anchored_at=Subquery(tokens.order_by("-received_at").values("received_at")[:1]),
        )
        .filter(head_seq__gt=0)
        .filter(Q(anchored_seq__isnull=True) | Q(anchored_seq__lt=F("head_seq")))
        .filter(Q(anchored_at__isnull=True) | Q(anchored_at__lte=cutoff))
        .order_by("pk")
    )


def anchor_due(*, timeout: float = 10.0) -> int:
    """One round of the background loop: the number of tokens received."""
    if not settings.TIMESTAMP_URLS:
        return 0
    return sum(len(anchor(diary, timeout=timeout)) for diary in due().iterator())
