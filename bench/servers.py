"""uvicorn serving the real app (project.asgi) with the bench URLs added, and the background
worker beside it, as child processes."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from project.servers import uvicorn_command, worker_command

ROOT = Path(__file__).resolve().parent.parent


class ServerError(RuntimeError):
    pass


def _wait_until_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"the server on {port} stopped:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ServerError(f"the server on {port} did not start within a minute")


def _stopped(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """The background worker as `make run` starts it (`manage.py db_worker`), on the same
    database and settings as the bench's servers."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            worker_command(worker_id="bench"),
            cwd=ROOT,
            env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        if process.poll() is not None:
            raise ServerError(f"the worker stopped:\n{log.read_text()[-3000:]}")
        yield process
    finally:
        _stopped(process)


@contextmanager
def uvicorn(
    port: int, env: dict[str, str], log: Path, workers: int = 1
) -> Iterator[subprocess.Popen]:
    """uvicorn on 127.0.0.1:`port`: one worker, as `make run` starts it, or several, as
    production runs it (docs/deploy.md: one a core)."""
    command = uvicorn_command(port=port, workers=workers)
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_listening(port, process, log)
        yield process
    finally:
        _stopped(process)
