"""He copies the server's database and its media folder while she is signed in, with the second
step on, recovery codes made, a password reset under way (the link from her mailbox opened, so
its key sits in that browser's session), a contact's link just made (its token waiting in her
session for the page that shows it once) and then opened on a phone, and a file stored. The
copy holds no key he could present and none of what she wrote; a row's key set as a cookie
opens nothing."""

import re
from pathlib import Path
from typing import Any

import pytest
from allauth.account.views import INTERNAL_RESET_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from diary.models import Evidence, OwnerSession
from diary.records.services import diary_settings_change
from diary.safety.session_store import SessionStore
from tests.conftest import confirmed
from tests.security.at_rest_data import IMAGE_MARKER, media_files, sentinel_image
from tests.security.conftest import HER_PHONE, SENTINEL, body, browser, sign_in, totp_code
from witnesses.models import WitnessDevice, WitnessLink
from witnesses.owner.views import NEW_LINK_KEY
from witnesses.services.brief import brief_update

TITLE = "Notes about Marlowe Fenwick"
BRIEF = "Tall man, a grey Ford Focus, often by the Quillon bus stop"


def every_value() -> bytes:
    """Every column of every row of every table, as the database holds it (raw SQL, so it
    reads PostgreSQL as well as SQLite)."""
    out: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        out.append(bytes(value))
                    elif value is not None:
                        out.append(str(value).encode())
    return b"\n".join(out)


def database_copy() -> bytes:
    """The database as copied: the SQLite file itself (free pages included), and every value."""
    copy = every_value()
    if connection.vendor == "sqlite":
        copy += connection.connection.serialize()
    return copy


def media_copy() -> list[tuple[Path, bytes]]:
    return [(path, path.read_bytes()) for path in media_files()]


def slices(data: bytes, count: int = 8, size: int = 24) -> list[bytes]:
    step = max(1, (len(data) - size) // count)
    return [data[start : start + size] for start in range(0, len(data) - size, step)][:count]


@pytest.mark.django_db(transaction=True)
def test_a_copy_holds_no_key_and_none_of_what_she_wrote(owner: Any, totp_secret: str) -> None:
    diary_settings_change(diary=owner.diary, actor=owner, title=TITLE, time_zone="UTC")
    brief_update(
        diary=owner.diary,
        actor=owner,
        content={"person": BRIEF, "vehicles": "", "places": "", "what_to_record": ""},
    )

    # She signs in, with her code.
    her = browser(agent=HER_PHONE)
    assert sign_in(her, owner.email).status_code == 302
    assert (
        her.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)}).status_code == 302
    )
    page = body(her.get(reverse("diary:timeline")))
    assert SENTINEL in page and TITLE in page
    her_key = her.cookies[settings.SESSION_COOKIE_NAME].value

    codes = RecoveryCodes(Authenticator.objects.get(user=owner, type="recovery_codes"))
    recovery_codes = codes.get_unused_codes()
    assert len(recovery_codes) >= 10

    # She stores a file.
    image = sentinel_image()
    upload = her.post(
        f"/api/entries/{owner.sentinel_entry.pk}/evidence/",
        {"file": SimpleUploadedFile("IMG_2210.png", image, content_type="image/png")},
    )
    assert upload.status_code == 201, upload.content
    evidence = Evidence.objects.get(entry=owner.sentinel_entry)
    with evidence.original_file.open() as handle:
        assert handle.read() == image

    # A reset is asked for from her mailbox, and the link opened: its key is in that session.
    reader = browser()
    reader.post(reverse("account_reset_password"), {"email": owner.email})
    link = re.search(
        r"https?://testserver(/accounts/password/reset/key/(\w+)-(\S+)/)", mail.outbox[-1].body
    )
    assert link is not None
    reset_key = link.group(3)
    opened = reader.get(link.group(1), follow=True)
    assert opened.status_code == 200
    reader_key = reader.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(reader_key).get(INTERNAL_RESET_SESSION_KEY) == reset_key

    # She makes a contact's link. Until the next page shows it once, its token waits in her
    # session: a copy taken now is searched too.
    confirmed(her)
    made = her.post(
        reverse("witnesses:contact_new"),
        {"name": "Pat", "relationship": "friend", "sharing": "brief"},
    )
    assert made.status_code == 302
    parked = database_copy()
    waiting = SessionStore(her_key).get(NEW_LINK_KEY)
    shown = body(her.get(made.url))
    found = re.search(r"http://testserver/w/([A-Za-z0-9_-]{43})", shown)
    assert found is not None
    token = found.group(1)
    assert waiting["token"] == token
    contact = browser()
    assert contact.get(f"/w/{token}").status_code == 302
    device_cookie = contact.cookies[settings.WITNESS_COOKIE_NAME].value
    assert BRIEF in body(contact.get(reverse("witness:home")))

    copy = parked + database_copy()
    media = media_copy()
    assert media  # the file is there, encrypted

    keys = {
        "her session key": her_key,
        "the reset browser's session key": reader_key,
        "the TOTP secret": totp_secret,
        "the reset key": reset_key,
        "the link token": token,
        "the contact's device cookie": device_cookie,
        **{f"recovery code {n}": code for n, code in enumerate(recovery_codes)},
    }
    texts = {"the diary title": TITLE, "an entry's text": SENTINEL, "the brief": BRIEF}
    for name, secret in {**keys, **texts}.items():
        for form in {secret, secret.lower()}:
            assert form.encode() not in copy, name
            for path, data in media:
                assert form.encode() not in data, (name, path)
    for piece in [IMAGE_MARKER, *slices(image)]:
        assert piece not in copy
        for path, data in media:
            assert piece not in data, path

    # A row's key set as a cookie opens nothing: not her pages, not the reset, not the contact's.
    stored = [
        *Session.objects.values_list("session_key", flat=True),
        *OwnerSession.objects.values_list("session_key", flat=True),
    ]
    assert len(stored) >= 3
    for value in stored:
        him = browser()
        him.cookies[settings.SESSION_COOKIE_NAME] = value
        response = him.get(reverse("diary:timeline"))
        assert response.status_code == 302 and SENTINEL not in body(response)
        assert him.get("/api/entries/").status_code == 403
        assert SessionStore(value).get(INTERNAL_RESET_SESSION_KEY) is None
    for hashed in WitnessDevice.objects.values_list("key_sha256", flat=True):
        him = browser()
        him.cookies[settings.WITNESS_COOKIE_NAME] = hashed
        assert BRIEF not in body(him.get(reverse("witness:home")))
    for hashed in WitnessLink.objects.values_list("token_sha256", flat=True):
        him = browser()
        him.get(f"/w/{hashed}")
        assert BRIEF not in body(him.get(reverse("witness:home")))
        assert (
            settings.WITNESS_COOKIE_NAME not in him.cookies
            or not him.cookies[settings.WITNESS_COOKIE_NAME].value
        )

    # Everything she and her contact hold still works.
    assert SENTINEL in body(her.get(reverse("diary:timeline")))
    assert BRIEF in body(contact.get(reverse("witness:home")))
    assert SessionStore(reader_key).get(INTERNAL_RESET_SESSION_KEY) == reset_key
