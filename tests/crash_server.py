"""The ASGI server as production runs it, except that it dies at the worst moment of an upload,
as if the power went: SIGKILL on itself once a file is safely on disk and before its row is
committed. Only the crash-safety tests start it (`python -m tests.crash_server PORT`)."""

import os
import signal
import sys

import django
import uvicorn

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from diary.core import filestore  # noqa: E402 - after django.setup()

flush = filestore.make_durable


def flush_then_die(storage, name):
    flush(storage, name)
    os.kill(os.getpid(), signal.SIGKILL)


filestore.make_durable = flush_then_die
uvicorn.run(
    "project.asgi:application",
    host="127.0.0.1",
    port=int(sys.argv[1]),
    log_level="warning",
    access_log=False,
)
