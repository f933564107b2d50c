"""Bringing stored data under the current master key, in batches: re-encrypt encrypted columns,
re-wrap file keys, encrypt files and text stored before encryption at rest, and rebuild the
search blind index. Used by `manage.py rotate_keys` and by the data migrations that
introduced encryption (which pass their historical models).

Each batch is one transaction that locks its rows, reads at most BATCH of them, and writes
back only those that need it with one bulk UPDATE, so a table is never held in memory and an
interrupted run can simply be started again.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, TextField

from diary.core import crypto, filestore
from diary.core.crypto import DecryptionError
from diary.core.fields import EncryptedMixin, SearchIndexField, WrappedKeyField
from diary.jobs.progress import NoProgress, Reports, counted

BATCH = 500


@dataclass
class Report:
    """What a run changed, per model label."""

    values: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    file_keys: Counter[str] = field(default_factory=Counter)
    files: Counter[str] = field(default_factory=Counter)
    missing_files: Counter[str] = field(default_factory=Counter)
    indexed: Counter[str] = field(default_factory=Counter)


def encrypted_fields(model: type[models.Model]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


def key_fields(model: type[models.Model]) -> list[WrappedKeyField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, WrappedKeyField)]


def file_pairs(model: type[models.Model]) -> list[tuple[models.FileField, WrappedKeyField]]:
    """Each file field with the field holding its wrapped key (`<name>_key`)."""
    keys = {f.name: f for f in key_fields(model)}
    return [
        (f, keys[f"{f.name}_key"])
        for f in model._meta.concrete_fields
        if isinstance(f, models.FileField) and f"{f.name}_key" in keys
    ]


def _raw(name: str) -> ExpressionWrapper:
    """A column as stored (ciphertext), without the field opening it."""
    return ExpressionWrapper(F(name), output_field=TextField())


def _batches(
    model: type[models.Model], names: list[str], raw: bool, **where: Any
) -> Iterable[list[tuple[Any, ...]]]:
    """(pk, *values) in pk order, BATCH at a time, each batch inside its own transaction with
    its rows locked, so what is read is still what is there when it is written back."""
    manager = model._default_manager
    columns = {f"raw_{n}": _raw(n) for n in names} if raw else {}
    last = None
    while True:
        with transaction.atomic():
            rows = manager.filter(**where)
            if last is not None:
                rows = rows.filter(pk__gt=last)
            rows = rows.select_for_update(of=("self",)).order_by("pk")
            if raw:
                batch = list(rows.annotate(**columns).values_list("pk", *columns)[:BATCH])
            else:
                batch = list(rows.values_list("pk", *names)[:BATCH])
            if not batch:
                return
            last = batch[-1][0]
            yield batch


def _open(field: Any, raw: str | None, plaintext: bool) -> Any:
    """A column's Python value from its stored form: sealed, or plain from before."""
    if raw is None or raw == "":
        return raw
    if plaintext or not crypto.is_sealed(raw):
        return field.from_text(raw)
    return field.from_text(crypto.open_text(raw, field.associated_data()))


def _needs_sealing(raw: str | None, plaintext: bool) -> bool:
    if not raw:
        return False
    return plaintext or not crypto.is_sealed(raw) or not crypto.is_current(raw)


def reseal(model: type[models.Model], report: Report, *, plaintext: bool = False) -> None:
    """Every encrypted column of `model` sealed under the current key. With `plaintext`
    (the migration that introduced encryption) every stored value is taken as plain text."""
    fields = encrypted_fields(model)
    if not fields:
        return
    label = model._meta.label_lower
    for batch in _batches(model, [f.name for f in fields], raw=True):
        changed = []
        for pk, *raws in batch:
            stale = sum(_needs_sealing(raw, plaintext) for raw in raws)
            if not stale:
                continue
            obj = model(pk=pk)
            for f, raw in zip(fields, raws, strict=True):
                try:
                    setattr(obj, f.attname, _open(f, raw, plaintext))
                except DecryptionError as error:
                    raise DecryptionError(f"{label} {pk}, {f.name}: {error}") from error
            changed.append(obj)
            report.values[label] += stale
        if changed:
            model._default_manager.bulk_update(changed, [f.name for f in fields])
            report.rows[label] += len(changed)


def rewrap(model: type[models.Model], report: Report) -> None:
    """Every file key of `model` wrapped by the current master key (the files stay as they
    are: only the small wrapped keys change)."""
    fields = key_fields(model)
    if not fields:
        return
    label = model._meta.label_lower
    for batch in _batches(model, [f.attname for f in fields], raw=False):
        changed = []
        for pk, *tokens in batch:
            stale = [t for t in tokens if t and not crypto.is_current(t)]
            if not stale:
                continue
            obj = model(pk=pk)
            for f, token in zip(fields, tokens, strict=True):
                try:
                    setattr(obj, f.attname, crypto.rewrap_file_key(token) if token else token)
                except DecryptionError as error:
                    raise DecryptionError(f"{label} {pk}, {f.name}: {error}") from error
            changed.append(obj)
            report.file_keys[label] += len(stale)
        if changed:
            model._default_manager.bulk_update(changed, [f.name for f in fields])


def _copies(pairs: list[tuple[Any, Any, Any]], names: set[str]) -> dict[str, tuple[str, str]]:
    """Files already encrypted as `<name>.enc` by another row sharing them (a witness's file
    adopted as evidence, a brief photo kept across versions): plain name → (name, key)."""
    wanted = {f"{name}.enc": name for name in names}
    found: dict[str, tuple[str, str]] = {}
    for model, file_field, key_field in pairs:
        rows = (
            model._default_manager.filter(**{f"{file_field.name}__in": list(wanted)})
            .exclude(**{key_field.name: ""})
            .values_list(file_field.name, key_field.name)
        )
        for name, key in rows:
            found[wanted[name]] = (name, key)
    return found


def encrypt_plain_files(models_: Iterable[type[models.Model]], report: Report) -> None:
    """Encrypt every file stored before encryption at rest (a file name with no key), beside
    it as `<name>.enc`; the plain file is deleted once the rows naming the copy are committed.
    A file shared by several rows is encrypted once and the copy is named by all of them."""
    pairs = [(model, f, k) for model in models_ for f, k in file_pairs(model)]
    done: dict[str, tuple[str, str]] = {}
    for model, file_field, key_field in pairs:
        label = model._meta.label_lower
        where = {key_field.name: ""}
        for batch in _batches(model, [file_field.attname], raw=False, **where):
            names = {name for _pk, name in batch if name}
            known = {**_copies(pairs, names - set(done)), **done}
            changed, plain = [], set()
            for pk, name in batch:
                if not name:
                    continue
                if name not in known:
                    try:
                        stored = filestore.encrypt_plain(name)
                    except FileNotFoundError:
                        report.missing_files[label] += 1
                        continue
                    known[name] = done[name] = (stored.name, stored.key)
                    report.files[label] += 1
                obj = model(pk=pk)
                setattr(obj, file_field.attname, known[name][0])
                setattr(obj, key_field.attname, known[name][1])
                changed.append(obj)
                plain.add(name)
            if changed:
                model._default_manager.bulk_update(changed, [file_field.name, key_field.name])
            transaction.on_commit(partial(_delete, sorted(plain)))


def _delete(names: list[str]) -> None:
    for name in names:
        filestore.delete(name)


def reindex(model: type[models.Model], report: Report) -> None:
    """Rebuild the blind index of `model` (after SEARCH_INDEX_KEY changed, or for rows
    written before it existed)."""
    for index in (f for f in model._meta.concrete_fields if isinstance(f, SearchIndexField)):
        label = model._meta.label_lower
        scope = index.scope.replace(".", "__")
        last = None
        while True:
            with transaction.atomic():
                rows = model._default_manager.select_for_update(of=("self",)).order_by("pk")
                if last is not None:
                    rows = rows.filter(pk__gt=last)
                batch = list(
                    rows.only("pk", index.attname, *index.sources).annotate(index_scope=F(scope))[
                        :BATCH
                    ]
                )
                if not batch:
                    break
                last = batch[-1].pk
                changed = []
                for obj in batch:
                    value = index.value_for(obj, scope=obj.index_scope)
                    if value != getattr(obj, index.attname):
                        setattr(obj, index.attname, value)
                        changed.append(obj)
                if changed:
                    model._default_manager.bulk_update(changed, [index.name])
                    report.indexed[label] += len(changed)


def rotate_all(*, with_index: bool = False, progress: Reports | None = None) -> Report:
    """Every model under the current key: its columns re-encrypted, then its files' keys
    re-wrapped, files stored plain encrypted, and (`with_index`) the search index rebuilt."""
    progress = progress or NoProgress()
    models_ = apps.get_models()
    report = Report()
    progress.stage("rows", len(models_))
    for model in counted(models_, progress):
        reseal(model, report)
    progress.stage("files", len(models_) * (2 if with_index else 1))
    for model in counted(models_, progress):
        rewrap(model, report)
    encrypt_plain_files(models_, report)
    if with_index:
        for model in counted(models_, progress):
            reindex(model, report)
    return report
