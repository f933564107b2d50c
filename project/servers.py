"""The one command line that starts Sightline's ASGI server, uvicorn: `make run`, the stack's
workers (stack/), the benchmarks' servers (bench/) and the tests' own (tests/servers.py).

    python -m project.servers --host 127.0.0.1 --port 8000     (what `make run` does)
"""

import argparse
import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

from project.umask import owner_only

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"


def uvicorn_command(
    *,
    port: int,
    host: str = "127.0.0.1",
    workers: int = 1,
    log_level: str | None = "warning",
    behind_proxy: bool = False,
    access_log: bool = False,
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "project.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--no-server-header",
    ]
    if not access_log:
        command.append("--no-access-log")
    if log_level:
        command += ["--log-level", log_level]
    if workers > 1:
        command += ["--workers", str(workers)]
    if behind_proxy:
        # Longer than nginx keeps an idle upstream connection (60 s): closing first, uvicorn
        # reset connections nginx had just sent a request on (a 502). docs/deploy.md.
        command += ["--timeout-graceful-shutdown", "10", "--timeout-keep-alive", "75"]
    return command


# The worker runs below the web server's priority: a bundle is minutes of CPU, and on a small
# machine a request holding SQLite's one write lock must not wait for a core behind it (20
# contacts' sends during a bundle kept 0.6 of their rate without this, 0.84 to 0.9 with it;
# the bundle gives way only while something else wants the CPU. docs/performance.md, "Sends
# while a bundle is made").
WORKER_NICENESS = 10


def worker_command(*, worker_id: str | None = None) -> list[str]:
    """A background worker: `manage.py db_worker`, the tasks framework's own (diary/jobs/)."""
    command = [sys.executable, str(MANAGE), "db_worker", "--no-reload", "--interval", "0.5"]
    if shutil.which("nice"):
        command = ["nice", "-n", str(WORKER_NICENESS), *command]
    if worker_id:
        command += ["--worker-id", worker_id]
    return command


def tend_command(*, every: float | None = None) -> list[str]:
    """Hands on jobs whose worker stopped, and asks for timestamps (tend_jobs); `every`
    seconds between looks (the tests look more often than the default)."""
    command = [sys.executable, str(MANAGE), "tend_jobs", "--loop"]
    if every is not None:
        command += ["--every", str(every)]
    return command


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve Sightline with uvicorn.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args(argv)
    command = uvicorn_command(host=options.host, port=options.port, log_level=None, access_log=True)
    owner_only()  # uvicorn inherits it, and so everything it creates
    # Beside the server, the worker that makes bundles (and the other long work) and the loop
    # that tends the jobs: Ctrl+C reaches all three (one terminal, one process group), and the
    # other two end with the server either way.
    beside = [
        subprocess.Popen(make())  # noqa: S603 (our own interpreter, fixed commands)
        for make in (worker_command, tend_command)
    ]
    try:
        code = subprocess.call(command)  # noqa: S603
    except KeyboardInterrupt:
        code = 0
    finally:
        for process in beside:
            process.terminate()
        for process in beside:
            with contextlib.suppress(KeyboardInterrupt):
                process.wait()
    sys.exit(code)


if __name__ == "__main__":
    main()
