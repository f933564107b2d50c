"""Retried sends. An `Idempotency-Key` (a header on the API, a hidden field on the forms) makes a
send that is retried on a bad signal, or tapped twice, count once: the retry gets the first
send's answer and nothing is recorded again.

A keyed send locks its diary, looks its key up, and if the key is new writes its record and the
key, with the answer it gave, in one transaction: a crash between the two cannot lose the
mapping, and two copies of one send racing each other queue on the lock, so the second finds
the first's key. Keys belong to one actor, so nobody can replay another's.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException

from diary import messages
from diary.ledger.services import lock_diary
from diary.models import Diary, IdempotencyKey

HEADER = "Idempotency-Key"
FIELD = "idempotency_key"
# Visible ASCII, no spaces: what fits in a header unchanged (a UUID is the usual choice).
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
# Never part of what was sent: the key itself, and the CSRF token a reloaded form renews.
NOT_CONTENT = frozenset({FIELD, "csrfmiddlewaretoken"})


class KeyReused(APIException):
    """The key was used before, by this actor, for a different request."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = messages.IDEMPOTENCY_KEY_REUSED
    default_code = "idempotency_key_reused"


@dataclass(frozen=True)
class Answered:
    """What a send answered: its status and body, and whether this was a retry answered with
    the first send's answer (nothing was recorded again)."""

    status: int
    body: Any
    replayed: bool = False


@dataclass(frozen=True)
class Idempotency:
    actor: str  # as the ledger names them: owner:<id> or witness:<id>
    scope: str  # what kind of send: a key for one kind is not a key for another
    key: str
    fingerprint: str  # SHA-256 of what was sent


def _file_identity(upload: UploadedFile) -> dict[str, Any]:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return {"file": upload.name, "size": upload.size, "sha256": digest.hexdigest()}


def _plain(value: Any) -> Any:
    return _file_identity(value) if isinstance(value, UploadedFile) else value


def request_fingerprint(data: Any, files: Any = None) -> str:
    """SHA-256 of what was sent, whatever its encoding: the field order or a multipart boundary
    may differ between a send and its retry; the fields, values and file contents may not."""
    fields: dict[str, Any] = {}
    if hasattr(data, "lists"):  # a form or multipart QueryDict
        for name, values in data.lists():
            if name not in NOT_CONTENT:
                fields[name] = [_plain(value) for value in values]
    else:
        fields = {"json": data}
    for name, uploads in files.lists() if files is not None else []:
        fields[name] = [_file_identity(upload) for upload in uploads]
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def idempotency_of(
    key: str | None, *, actor: str, scope: str, data: Any, files: Any = None
) -> Idempotency | None:
    """The idempotency of a send, or None when it carries no key. A malformed key is refused
    (a 400 on `idempotency_key`) rather than ignored, so a client learns its retries are not
    safe."""
    if key is None:
        return None
    if not KEY_PATTERN.fullmatch(key):
        raise ValidationError({FIELD: messages.IDEMPOTENCY_KEY_INVALID}, code="invalid")
    return Idempotency(
        actor=actor, scope=scope, key=key, fingerprint=request_fingerprint(data, files)
    )


def _window_start() -> datetime:
    return timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def idempotency_keys_expired() -> Any:
    """Keys past their window: nothing may replay them, and their answers hold copies of what
    was sent, which should not outlive the window."""
    return IdempotencyKey.objects.filter(created_at__lt=_window_start())


def answered_before(idempotency: Idempotency | None) -> Answered | None:
    """The first answer for a key seen before (raises KeyReused if it came with another
    request). Without a lock: a quick look before doing any work, such as counting a send
    against a rate limit. `once` looks again under the lock."""
    if idempotency is None:
        return None
    kept = IdempotencyKey.objects.filter(
        actor=idempotency.actor,
        scope=idempotency.scope,
        key=idempotency.key,
        created_at__gte=_window_start(),
    ).first()
    if kept is None:
        return None
    if kept.request_sha256 != idempotency.fingerprint:
        raise KeyReused
    return Answered(kept.status, kept.response, replayed=True)


def once(
    idempotency: Idempotency | None, *, diary: Diary, send: Callable[[], tuple[int, Any]]
) -> Answered:
    """Run `send` (which writes a record and says what to answer) in one transaction, at most
    once per key: the key is kept with that answer in the same transaction. A key seen before
    with the same request gets the first answer and writes nothing; with another, KeyReused."""
    if idempotency is None:
        with transaction.atomic():
            return Answered(*send())
    with transaction.atomic():
        lock_diary(diary)
        # Forget this actor's expired keys, which also frees them for use again.
        idempotency_keys_expired().filter(actor=idempotency.actor).delete()
        replay = answered_before(idempotency)
        if replay is not None:
            return replay
        status, body = send()
        IdempotencyKey.objects.create(
            actor=idempotency.actor,
            scope=idempotency.scope,
            key=idempotency.key,
            request_sha256=idempotency.fingerprint,
            status=status,
            response=json.loads(json.dumps(body, cls=DjangoJSONEncoder)),
        )
    return Answered(status, body)
