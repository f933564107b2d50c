"""Which version of its ledger content a row was written with (docs/export-format.md).

A record's `content_sha256` is the hash of its row's content as it was when the record was
written; a row keeps `ledger_v` so that content can be made again, byte for byte, forever.
Version 1 is what every row written before content versions existed hashed (the migration
gives them 1). Version 2 adds `"v": 2` and what version 1 left out: times the server set
elsewhere, who an entry is credited to, the device's claimed clock, previews, stored bundles.
"""

from typing import Any

from django.db import models

# What rows written from now on hash.
LEDGER_V = 2


class Ledgered(models.Model):
    """A row the ledger records. Subclasses give `ledger_content_v1` (what version 1 hashed)
    and, where version 2 covers more, `ledger_content_v2` (what it adds)."""

    ledger_v = models.PositiveSmallIntegerField(default=LEDGER_V, editable=False)

    # The related rows `ledger_content` reads: verify_ledger loads them with the rows, one
    # query a chunk, not one a record.
    LEDGER_RELATED: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def ledger_content(self) -> dict[str, Any]:
        """Exactly what this row's ledger record hashed, for the version it was written with."""
        content = self.ledger_content_v1()
        if self.ledger_v == 1:
            return content
        return {"v": self.ledger_v, **content, **self.ledger_content_v2()}

    def ledger_content_v1(self) -> dict[str, Any]:
        raise NotImplementedError

    def ledger_content_v2(self) -> dict[str, Any]:
        return {}
