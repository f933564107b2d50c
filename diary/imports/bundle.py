"""What the bundle says of imported messages: each one's source (the export file, kept in the
bundle under imports/, and where in it), and for an e-mail whether its DKIM signature held
when it was brought in. The entries themselves are in the chronology like any other."""

from typing import Any

from diary.imports.formats.base import EMAIL
from diary.models import Entry, ImportedMessage

CSV_TITLES = ("Imported from", "E-mail signature when imported (DKIM)")


def source_of(imported: ImportedMessage) -> str:
    """ "Import 1 (imports/import-001.zip, WhatsApp Chat with Bob.zip), line 214"."""
    kept = imported.message_import
    return f"{kept.reference} ({kept.bundle_path}, {kept.file_name}), {imported.position}"


def signature_of(imported: ImportedMessage) -> str:
    if imported.channel != EMAIL:
        return ""
    # Only now: the e-mail reader brings dkimpy and dnspython, which no other page needs.
    from diary.imports.formats.mail import dkim_in_words

    verdicts = (imported.details or {}).get("dkim")
    checked = [v.get("checked_at") for v in verdicts or [] if v.get("checked_at")]
    words = dkim_in_words(list(verdicts or []))
    return f"{words} (checked {checked[0]})" if checked else words


def imports_csv_cells(entries: list[Entry], filters: dict[str, Any]) -> dict[int, list[str]]:
    found = ImportedMessage.objects.filter(entry__in=[entry.pk for entry in entries])
    return {
        imported.entry_id: [source_of(imported), signature_of(imported)]
        for imported in found.select_related("message_import")
    }
