"""He copied the database after she turned on the second step, to read her TOTP secret and
recovery codes out of allauth's mfa_authenticator rows."""

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.db import connection
from django.urls import reverse

from tests.security.conftest import SENTINEL, body, browser, sign_in, totp_code


def table_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM mfa_authenticator")
        return "\n".join(repr(row) for row in cursor.fetchall())


def test_no_totp_secret_or_recovery_code_in_the_database(owner: Any, totp_secret: str) -> None:
    copy = table_text()
    assert totp_secret not in copy
    codes = RecoveryCodes(Authenticator.objects.get(user=owner, type="recovery_codes"))
    seed = Authenticator.objects.get(user=owner, type="recovery_codes").data["seed"]
    assert seed.startswith("enc1:")
    for code in codes.get_unused_codes():
        assert code not in copy

    # The second step still works with the sealed secret.
    her = browser()
    assert sign_in(her, owner.email).status_code == 302
    her.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})
    assert SENTINEL in body(her.get(reverse("diary:timeline")))
