"""The SQLite database file is its owner's alone (0600), even one made before the app set an
owner-only umask (project/umask.py): SQLite gives its -wal and -shm files the database file's
own mode, so the whole database follows."""

import os
import stat
from typing import Any

OWNER_ONLY_FILE = 0o600


def owner_only_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created: narrow a SQLite database file that others could read."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (name, f"{name}-wal", f"{name}-shm"):
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(path, OWNER_ONLY_FILE)
