"""Session keys are no longer stored as they are: hash the keys of the owner's session rows
(the same keyed hash Django's sessions now use as their primary key). Django's stored sessions
from before cannot be carried over readable (their data is not sealed), so they are deleted:
everyone signs in once more, and no old key stays in the table."""

from typing import Any

from django.db import migrations

from diary.core.crypto import STORED_KEY_HEX, stored_key


def forwards(apps: Any, schema_editor: Any) -> None:
    OwnerSession = apps.get_model("diary", "OwnerSession")
    for row in OwnerSession.objects.all().only("pk", "session_key"):
        if len(row.session_key) == STORED_KEY_HEX and all(c in "0123456789abcdef" for c in row.session_key):
            continue  # already a stored key
        OwnerSession.objects.filter(pk=row.pk).update(session_key=stored_key(row.session_key))
    Session = apps.get_model("sessions", "Session")
    Session.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0008_idempotency_key"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
