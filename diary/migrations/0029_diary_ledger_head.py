"""Each diary keeps its ledger's head (the last record's seq and hash) on its own row, the row
every append locks: filled here from each diary's last record (0 and the genesis hash for a
diary with none)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

GENESIS_HASH = "0" * 64  # diary.core.hashing.GENESIS_HASH, as it was when this was written


def fill_heads(apps, schema_editor):
    Diary = apps.get_model("diary", "Diary")
    LedgerRecord = apps.get_model("diary", "LedgerRecord")
    last = LedgerRecord.objects.filter(diary_id=OuterRef("pk")).order_by("-seq")
    Diary.objects.update(
        head_seq=Coalesce(Subquery(last.values("seq")[:1]), Value(0)),
        head_hash=Coalesce(Subquery(last.values("hash")[:1]), Value(GENESIS_HASH)),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("diary", "0028_upload_owner_session"),
    ]

    operations = [
        migrations.AddField(
            model_name="diary",
            name="head_seq",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="diary",
            name="head_hash",
            field=models.CharField(default="0" * 64, editable=False, max_length=64),
        ),
        migrations.RunPython(fill_heads, migrations.RunPython.noop),
    ]
