"""Rows and files written before encryption at rest: encrypt their text under the current key,
encrypt their files beside them (the plain copies are deleted once this commits), and build
the search index of every entry version. Nothing to do on a new database."""

from django.db import migrations

MODELS = (
    "Entry",
    "EntryVersion",
    "EntryWithdrawal",
    "Evidence",
    "ItemVersion",
    "Export",
    "RiskChecklist",
)


def encrypt_existing(apps, schema_editor):
    from diary.ops import rekey

    report = rekey.Report()
    models = [apps.get_model("diary", name) for name in MODELS]
    for model in models:
        rekey.reseal(model, report, plaintext=True)
    rekey.encrypt_plain_files(models, report)
    rekey.reindex(apps.get_model("diary", "EntryVersion"), report)


class Migration(migrations.Migration):

    dependencies = [
        ("diary", "0005_encryption_at_rest"),
    ]

    operations = [
        migrations.RunPython(encrypt_existing, elidable=False),
    ]
