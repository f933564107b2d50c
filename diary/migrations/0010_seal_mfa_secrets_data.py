"""Seal the TOTP secrets and recovery-code seeds already in allauth's mfa_authenticator rows
(new ones are sealed by OwnerMFAAdapter.encrypt)."""

from typing import Any

from django.db import migrations

from diary.core import crypto

MFA_CONTEXT = b"mfa_authenticator.data"  # as diary.safety.accounts.MFA_CONTEXT
FIELDS = {"totp": ["secret"], "recovery_codes": ["seed"]}


def forwards(apps: Any, schema_editor: Any) -> None:
    Authenticator = apps.get_model("mfa", "Authenticator")
    for row in Authenticator.objects.filter(type__in=list(FIELDS)):
        data = dict(row.data)
        for name in FIELDS[row.type]:
            if isinstance(data.get(name), str) and not crypto.is_sealed(data[name]):
                data[name] = crypto.seal_text(data[name], MFA_CONTEXT)
        codes = data.get("migrated_codes")
        if isinstance(codes, list):
            data["migrated_codes"] = [
                code if crypto.is_sealed(code) else crypto.seal_text(code, MFA_CONTEXT)
                for code in codes
            ]
        Authenticator.objects.filter(pk=row.pk).update(data=data)


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0009_hash_session_keys_data"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
