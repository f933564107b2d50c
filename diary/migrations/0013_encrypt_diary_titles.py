"""The diary's title is encrypted at rest like the rest of its text (she may have named it for
what it is about): the columns become sealed text, and titles already stored are sealed under
the current key, with every earlier title she set."""

from typing import Any

import diary.core.fields
from django.db import migrations

MODELS = ("Diary", "DiarySettingsChange")


def encrypt_existing(apps: Any, schema_editor: Any) -> None:
    from diary.ops import rekey

    report = rekey.Report()
    for name in MODELS:
        rekey.reseal(apps.get_model("diary", name), report, plaintext=True)


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0012_kept_files_call_home"),
    ]

    operations = [
        migrations.AlterField(
            model_name="diary",
            name="title",
            field=diary.core.fields.EncryptedCharField(
                default="Notes", max_length=80, verbose_name="title"
            ),
        ),
        migrations.AlterField(
            model_name="diarysettingschange",
            name="title",
            field=diary.core.fields.EncryptedCharField(max_length=80, verbose_name="title"),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=False),
    ]
