"""Rows and files written before encryption at rest, as in diary's 0006: encrypt their text and
their files. A witness's file already adopted as evidence was encrypted there; its copy is
found and shared rather than encrypted twice."""

from django.db import migrations

MODELS = ("Witness", "BriefVersion", "Submission", "SubmissionFile", "FollowUp", "Decision")


def encrypt_existing(apps, schema_editor):
    from diary.ops import rekey

    report = rekey.Report()
    models = [apps.get_model("witnesses", name) for name in MODELS]
    for model in models:
        rekey.reseal(model, report, plaintext=True)
    # Evidence is listed so that files it shares are recognised as already encrypted.
    rekey.encrypt_plain_files([*models, apps.get_model("diary", "Evidence")], report)


class Migration(migrations.Migration):

    dependencies = [
        ("diary", "0006_encrypt_existing_rows_and_files"),
        ("witnesses", "0002_encryption_at_rest"),
    ]

    operations = [
        migrations.RunPython(encrypt_existing, elidable=False),
    ]
