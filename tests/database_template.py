"""The migrated SQLite test database, kept between runs (README, "Test it").

Migrating a fresh database takes about 3 s of CPU in every pytest process, each xdist worker
too: more than most test files take to run. What migrating makes depends only on the
migrations, the code of ours they import (a field's column type, a data migration's imports),
the installed packages and a few settings. So the first process to migrate keeps a copy, named
by a hash of all of those, and a later process with the same hash copies it into its in-memory
database (SQLite's backup API, as Django's parallel test runner copies its databases) instead of
migrating. Change any of them and the next run migrates from scratch.

Only SQLite's in-memory test database is kept: PostgreSQL is migrated from scratch on every run,
and tests/test_database_template.py checks the copy against a database migrated from scratch.
"""

import ast
import hashlib
import importlib.util
import os
import site
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.backends.sqlite3.creation import DatabaseCreation
from django.db.migrations.loader import MigrationLoader

KEPT = Path(tempfile.gettempdir()) / "sightline-test-db"
SETTINGS = ("INSTALLED_APPS", "AUTH_USER_MODEL", "DEFAULT_AUTO_FIELD", "MIGRATION_MODULES")


def install() -> None:
    connection = connections["default"]
    if connection.vendor == "sqlite":
        connection.creation = KeptMigratedDatabase(connection)


class KeptMigratedDatabase(DatabaseCreation):
    """Django's SQLite test database, copied from the kept one when it matches."""

    def create_test_db(
        self,
        verbosity: int = 1,
        autoclobber: bool = False,
        serialize: bool = True,
        keepdb: bool = False,
    ) -> str:
        name = self._get_test_db_name()
        if keepdb or not self.is_in_memory_db(name) or not migrations_enabled():
            return super().create_test_db(verbosity, autoclobber, serialize, keepdb)
        kept = KEPT / f"{fingerprint()}.sqlite3"
        if not kept.exists():
            name = super().create_test_db(verbosity, autoclobber, serialize, keepdb)
            keep(self.connection.connection, kept)
            return name

        # What create_test_db does, with the kept copy in place of `migrate`.
        if verbosity >= 1:
            self.log(f"Copying the migrated test database for alias '{self.connection.alias}'...")
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        self.connection.ensure_connection()
        source = sqlite3.connect(f"{kept.as_uri()}?mode=ro", uri=True)
        try:
            source.backup(self.connection.connection)
        finally:
            source.close()
        if serialize:
            self.connection._test_serialized_contents = self.serialize_db_to_string()
        call_command("createcachetable", database=self.connection.alias)
        return name


def keep(database: sqlite3.Connection, kept: Path) -> None:
    kept.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed, so two workers keeping it at once never leave half a file.
    partial = kept.with_name(f"{kept.name}.{os.getpid()}.partial")
    target = sqlite3.connect(partial)
    try:
        database.backup(target)
    finally:
        target.close()
    os.replace(partial, kept)


def migrations_enabled() -> bool:
    """False under pytest-django's --no-migrations (every app's migrations module is None)."""
    return all(MigrationLoader.migrations_module(app.label)[0] for app in own_apps())


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in inputs():
        digest.update(f"{path}\n".encode())
        digest.update(path.read_bytes())
    # The installed packages and their versions, by the names of their metadata folders.
    packages = sorted(
        path.name for folder in site.getsitepackages() for path in Path(folder).glob("*.*-info")
    )
    config = [f"{name}={getattr(settings, name, None)!r}" for name in SETTINGS]
    digest.update("\n".join([sys.version, sqlite3.sqlite_version, *packages, *config]).encode())
    return digest.hexdigest()[:24]


def inputs() -> list[Path]:
    """Every app's migration files, and the modules of ours that ours import, in turn."""
    migrations = [path for app in apps.get_app_configs() for path in migration_files(app.label)]
    found: set[Path] = set()
    todo = [path for path in migrations if is_ours(path)]
    while todo:
        for module in imported_modules(todo.pop(), Path(settings.BASE_DIR)):
            if module not in found:
                found.add(module)
                todo.append(module)
    return sorted(set(migrations) | found)


def own_apps() -> list:
    return [app for app in apps.get_app_configs() if is_ours(Path(app.path))]


def is_ours(path: Path) -> bool:
    """In this repository, and not in the virtualenv it may hold."""
    return path.is_relative_to(settings.BASE_DIR) and not path.is_relative_to(sys.prefix)


def migration_files(label: str) -> list[Path]:
    module, _ = MigrationLoader.migrations_module(label)
    try:
        spec = importlib.util.find_spec(module) if module else None
    except ModuleNotFoundError:
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(
        path for folder in spec.submodule_search_locations for path in Path(folder).glob("*.py")
    )


def imported_modules(path: Path, root: Path) -> Iterator[Path]:
    """The files of our modules that `path` imports, with the packages that hold them."""
    package = ".".join(path.relative_to(root).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in statements(ast.parse(path.read_bytes()).body):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                module = root.joinpath(*parts[:depth])
                for candidate in (module / "__init__.py", module.with_suffix(".py")):
                    if candidate.is_file():
                        yield candidate


def statements(nodes: list) -> Iterator[ast.AST]:
    """Every statement, however deeply nested, but none of the expressions: imports are
    statements, and skipping a migration's long lists of operations is most of the work."""
    for node in nodes:
        yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from statements(getattr(node, block, []))
