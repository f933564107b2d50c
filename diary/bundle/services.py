"""Making a bundle: written, kept encrypted, and recorded in the ledger."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TypedDict
from zipfile import ZipFile

from django.db import transaction

from diary.bundle.writer import entries_for_export, write_bundle
from diary.core import filestore
from diary.core.hashing import GENESIS_HASH, iso
from diary.core.numbering import next_number
from diary.ledger.anchoring import anchor
from diary.ledger.keys import key_rotations_record
from diary.ledger.services import EXPORT_CREATE, ledger_append, ledger_head, lock_diary
from diary.models import (
    Diary,
    Export,
    User,
)


class BundleFilters(TypedDict, total=False):
    """What a bundle covers (all of the diary by default), and what else the owner asked in."""

    since: datetime | None
    until: datetime | None
    behaviours: Iterable[str]
    include_contacts: bool
    include_reasons: bool
    title: str
    owner_name: str


def export_create(
    *,
    diary: Diary,
    actor: User | None,
    since: datetime | None = None,
    until: datetime | None = None,
    behaviours: Iterable[str] = (),
    include_contacts: bool = False,
    include_reasons: bool = False,
    title: str = "",
    owner_name: str = "",
) -> Export:
    """Make a bundle, keep it, and record it in the ledger. Witnesses' contact details and the
    reasons for withdrawing or keeping things aside go in only if the owner asks. The diary
    stays locked while the bundle is built, so its ledger head cannot move underneath it."""
    kinds = sorted({code for code in behaviours if code})
    filters = {
        "since": iso(since) if since else None,
        "until": iso(until) if until else None,
        "behaviours": kinds,
        "include_contacts": include_contacts,
        "include_reasons": include_reasons,
    }
    cover = {"title": title.strip(), "owner_name": owner_name.strip()}
    if not transaction.get_connection().in_atomic_block:
        anchor(diary)  # the head, timestamped before the bundle that ends with it
    stored = ""
    key_rotations_record()  # the bundle is signed by the current key: its rotation on record
    try:
        with transaction.atomic():
            lock_diary(diary)
            head = ledger_head(diary)
            earlier = list(Export.objects.filter(diary=diary).order_by("number"))
            entries = entries_for_export(diary, since=since, until=until, behaviours=kinds)
            with filestore.create(f"exports/{diary.pk}/{uuid.uuid4().hex}.enc") as out:
                manifest_sha256 = write_bundle(
                    out,
                    diary=diary,
                    entries=entries,
                    head=head,
                    earlier=earlier,
                    filters=filters,
                    cover=cover,
                )
            stored = out.stored.name
            number = next_number(Export.objects.filter(diary=diary))
            export = Export(
                diary=diary,
                number=number,
                created_by=actor,
                since=since,
                until=until,
                behaviours=kinds,
                head_seq=head.seq if head else 0,
                head_hash=head.hash if head else GENESIS_HASH,
                manifest_sha256=manifest_sha256,
                size=out.stored.size,
                bundle_sha256=out.stored.sha256,
                **cover,
            )
            export.bundle.name, export.bundle_key = stored, out.stored.key
            export.save()
            ledger_append(diary=diary, kind=EXPORT_CREATE, obj=export, actor=actor)
    except BaseException:
        filestore.delete(stored)
        raise
    return export


def unzip_to(export: Export, folder: Path) -> Path:
    """Unpack a bundle (for checking it, in tests and by hand)."""
    with (
        filestore.decrypted_copy(export.bundle_file.name, export.bundle_key) as handle,
        ZipFile(handle) as archive,
    ):
        archive.extractall(folder)
    return folder
