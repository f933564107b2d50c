"""Real server processes for the tests that need them (several workers, crashes, many clients).

Ports: any free one, or one from `TEST_SERVER_PORTS` (e.g. `8301-8309`) where a shared machine
hands each engineer a range of their own."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from project import servers as project_servers

ROOT = Path(__file__).resolve().parent.parent


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _my_share(ports: range) -> range:
    """The ports of the range this pytest-xdist worker may use: every n-th, from its own offset.
    Two workers that both found one port free would otherwise start two servers on it, and the
    second's test, waiting for its server, would be answered by the first's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    if count <= 1 or len(ports) < count:
        return ports
    return ports[index % count :: count]


def free_port() -> int:
    allowed = os.environ.get("TEST_SERVER_PORTS", "")
    if allowed:
        low, _, high = allowed.partition("-")
        for port in _my_share(range(int(low), int(high or low) + 1)):
            if _bindable(port):
                return port
        raise RuntimeError(f"no free port in TEST_SERVER_PORTS={allowed} for this worker")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"server on {port} exited: {output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)  # readiness poll for a child process, not a timing assertion
    raise RuntimeError(f"server on {port} did not start")


def uvicorn_command(port: int, *, workers: int = 1) -> list[str]:
    return project_servers.uvicorn_command(port=port, workers=workers)


@contextmanager
def server_process(
    command: list[str], port: int, env: Mapping[str, str]
) -> Iterator[subprocess.Popen]:
    """Start a server, wait until it listens, and always stop it (if it is still running)."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_listening(port, process)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        if process.stdout:
            process.stdout.close()


def manage(*args: str, env: Mapping[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """Run `python manage.py …` in its own process, with these settings."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
    )
