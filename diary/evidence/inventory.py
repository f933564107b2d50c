"""Every stored file, as rows name them and as storage holds them: for sweeping orphans, and
for backing up and restoring files exactly as kept.
"""

from collections.abc import Iterable, Iterator
from typing import IO

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import models

from diary.core import filestore


# Every stored file a row names, and the bytes as kept, for sweep_orphans, backup and restore.
def file_fields() -> Iterator[tuple[type[models.Model], str]]:
    """Every (model, field name) that names a stored file, in every installed app."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                yield model, field.name


def referenced_files() -> set[str]:
    """The names of all stored files some row refers to (one query per file field)."""
    names: set[str] = set()
    for model, field in file_fields():
        values = model._default_manager.exclude(**{field: ""}).values_list(field, flat=True)
        names.update(value for value in values.iterator() if value)
    return names


def stored_names(storage: Storage = default_storage, folder: str = "") -> Iterator[str]:
    """Every file under a storage folder, recursively."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from stored_names(storage, f"{folder}/{sub}" if folder else sub)


def open_stored(name: str, storage: Storage = default_storage) -> File:
    """A stored file's bytes exactly as kept at rest (whatever form they take there), for a
    backup that must put back the very same bytes."""
    return storage.open(name, "rb")


def restore_stored(name: str, content: IO[bytes], storage: Storage = default_storage) -> None:
    """Put back a file's bytes exactly as they were kept, under exactly its old name."""
    if storage.exists(name):
        storage.delete(name)
    stored = filestore.store_durably(storage, name, File(content))
    if stored != name:
        storage.delete(stored)
        raise OSError(f"{name} could not be put back under its own name")


def discard_stored(names: Iterable[str], storage: Storage = default_storage) -> None:
    for name in names:
        storage.delete(name)
