"""A real ASGI server for the browser journeys: uvicorn, serving pages and websockets, in a
process of its own, against a SQLite file and a media folder in a temporary directory; beside
it, as `make run` has them, a background worker (db_worker, which makes the bundles) and
tend_jobs, which hands on a job whose worker stopped.

It runs with DEBUG off, as in production: static files come from `collectstatic` through
WhiteNoise, and the channel layer is the in-process one (one server process, so it hears itself).
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

from project.servers import tend_command, worker_command
from tests.servers import uvicorn_command

ROOT = Path(__file__).resolve().parents[2]
# Where "Leave this site" goes. The browser never reaches it: the journeys' browsers answer it
# with a stand-in page (tests/e2e/conftest.py), as there is no network here.
QUICK_EXIT_URL = "https://www.bbc.co.uk/weather"


def free_port() -> int:
    """E2E_PORT when set (to keep to a range of ports on a shared machine), or any free port."""
    wanted = os.environ.get("E2E_PORT", "").strip()
    if wanted:
        return int(wanted)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        # Mail goes to files here, so a journey can open the link in it as she would.
        self.mail = folder / "mail"
        self.env = {
            key: value
            for key, value in os.environ.items()
            # Its own database and the in-process layer, whatever the suite before it used.
            if key not in {"DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "PYTEST_XDIST_WORKER"}
        }
        self.env.update(
            {
                "DATABASE_URL": f"sqlite:///{folder / 'e2e.sqlite3'}",
                "MEDIA_ROOT": str(folder / "media"),
                "STATIC_ROOT": str(folder / "static"),
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DEBUG": "false",
                # A recording whose page has gone is kept as cut off after this long without a
                # piece (tests/e2e/test_recording.py waits for it).
                "RECORDING_QUIET_SECONDS": "12",
                "HTTPS": "false",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": "WARNING",
                "QUICK_EXIT_URL": QUICK_EXIT_URL,
                # django-environ drops one slash after the scheme's two: three before an
                # absolute path.
                "EMAIL_URL": f"filemail:///{self.mail}",
            }
        )
        self.process: subprocess.Popen | None = None
        self.beside: list[subprocess.Popen] = []

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        self.manage("migrate", "--noinput", "--verbosity", "0")
        # Without the API's browsable docs (Swagger's bundles), which no journey opens: compressing
        # them takes most of a minute, the rest a few seconds.
        self.manage(
            "collectstatic",
            "--noinput",
            "--verbosity",
            "0",
            "--ignore",
            "drf_spectacular_sidecar",
            "--ignore",
            "rest_framework",
        )
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                uvicorn_command(self.port),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            self.beside = [
                subprocess.Popen(
                    command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
                )
                for command in (worker_command(), tend_command())
            ]
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in [self.process, *self.beside]):
                raise RuntimeError(f"the server or its worker exited:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)  # readiness poll for a child process, not a timing assertion
        raise RuntimeError(f"the server did not start on {self.port}:\n{self.log.read_text()}")

    def stop(self) -> None:
        running = [process for process in [self.process, *self.beside] if process is not None]
        for process in running:
            if process.poll() is None:
                process.terminate()
        for process in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.process, self.beside = None, []

    def errors(self) -> str:
        """What the server logged at WARNING or above: a traceback here is a failed journey."""
        return self.log.read_text() if self.log.exists() else ""
