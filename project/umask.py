"""Whatever this process creates is its owner's alone: files 0600, folders 0700.

The SQLite database and its journal, media/ (evidence, previews, bundles), backups and exports
hold the diary; another local user should not read them (docs/threat-model.md: a shared server, a
copied disk). Every entry point (manage.py, the ASGI app, the uvicorn command) calls this before
Django starts; file storage and the SQLite connection also set the modes themselves
(FILE_UPLOAD_*_PERMISSIONS, diary.core.filemodes), for files made before this was in place.
"""

import os

OWNER_ONLY = 0o077


def owner_only() -> None:
    os.umask(OWNER_ONLY)
