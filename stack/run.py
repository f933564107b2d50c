"""`make stack`: the production profile, whole, on this machine and on loopback only.

PostgreSQL and Redis are the ones already running on 127.0.0.1; the launcher adds moto's S3
server, two uvicorn workers and Debian's nginx in front of them, and beside them two background
workers (db_worker, which make the bundles) and one tend_jobs, each a child process that ends
with it (Ctrl+C, `make stack-stop`, or the launcher dying). Every start is fresh: moto keeps
objects in memory only, so the stack's own database and Redis keys are emptied too, keeping rows
and files in step.
"""

import contextlib
import ctypes
import fcntl
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from project.servers import tend_command, uvicorn_command, worker_command
from stack import nginx

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".stack"
MAIL_DIR = STATE_DIR / "mail"
STATE_FILE = STATE_DIR / "state.json"
PYTHON = sys.executable
BUCKET = "sightline-stack"
# moto takes any keys; these only show that the workers sign their requests.
S3_KEY_ID, S3_SECRET = "stack-key", "stack-secret"


class StackError(RuntimeError):
    pass


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _ports(text: str) -> list[int]:
    return [int(part) for part in text.replace(" ", "").split(",") if part]


@dataclass
class Stack:
    """Where each part listens and which database and Redis keys it uses."""

    port: int = field(default_factory=lambda: int(_env("STACK_PORT", "8720")))
    worker_ports: list[int] = field(
        default_factory=lambda: _ports(_env("STACK_WORKER_PORTS", "8721,8722"))
    )
    s3_port: int = field(default_factory=lambda: int(_env("STACK_S3_PORT", "8723")))
    database_url: str = field(
        default_factory=lambda: _env(
            "STACK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sightline_stack"
        )
    )
    redis_url: str = field(
        default_factory=lambda: _env("STACK_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    redis_prefix: str = field(default_factory=lambda: _env("STACK_REDIS_PREFIX", "sightline-stack"))
    pool_size: int = field(default_factory=lambda: int(_env("STACK_POOL_SIZE", "10")))
    # Background workers (db_worker): bundles are made by these, one at a time each.
    job_workers: int = field(default_factory=lambda: int(_env("STACK_JOB_WORKERS", "2")))
    evidence_max_bytes: int = field(
        default_factory=lambda: int(_env("EVIDENCE_MAX_BYTES", str(50 * 1024 * 1024)))
    )
    pid: int = 0
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def worker_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.worker_ports]

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    def app_env(self) -> dict[str, str]:
        """The settings every process of the stack runs with (production, less TLS)."""
        return {
            "DATABASE_URL": self.database_url,
            "DATABASE_POOL_SIZE": str(self.pool_size),
            "REDIS_URL": self.redis_url,
            "REDIS_PREFIX": self.redis_prefix,
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": self.s3_url,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": S3_KEY_ID,
            "S3_SECRET_ACCESS_KEY": S3_SECRET,
            "EVIDENCE_MAX_BYTES": str(self.evidence_max_bytes),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # nginx appends the client's address to X-Forwarded-For; one proxy to believe.
            "TRUSTED_PROXY_COUNT": "1",
            "MEDIA_ROOT": str(STATE_DIR / "no-local-files"),
            # No mail server here: mail is written to files (three slashes before an absolute
            # path, for django-environ), where the checks read a sign-up's confirmation link.
            "EMAIL_URL": f"filemail:///{MAIL_DIR}",
        }

    def save(self) -> None:
        STATE_FILE.write_text(json.dumps({**asdict(self), "env": self.app_env()}, indent=2))


def running() -> Stack | None:
    """The stack `make stack` started, if it is still up."""
    try:
        state = json.loads(STATE_FILE.read_text())
    except (FileNotFoundError, ValueError):
        return None
    state.pop("env", None)
    found = Stack(**state)
    try:
        os.kill(found.pid, 0)
    except (ProcessLookupError, PermissionError):
        return None
    return found if _listening(found.port) else None


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    # Linux: the child gets SIGTERM when the launcher goes, however it goes.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class Processes:
    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict[str, str], port: int | None) -> None:
        """Start a part and wait until it listens on `port`; one that listens on none (a
        background worker) is started and checked for still running later (`check`)."""
        if port is not None and _listening(port):
            raise StackError(f"port {port} is already in use (set STACK_* ports; see README)")
        log = STATE_DIR / "logs" / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        self.started.append((name, process))
        if port is None:
            return
        deadline = time.monotonic() + 60
        while not _listening(port):
            if process.poll() is not None:
                raise StackError(f"{name} stopped:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise StackError(f"{name} did not listen on {port} within a minute")
            time.sleep(0.1)

    def check(self) -> None:
        for name, process in self.started:
            if process.poll() is not None:
                raise StackError(f"{name} stopped (exit {process.returncode}); see .stack/logs/")

    def stop(self) -> None:
        for _name, process in reversed(self.started):
            if process.poll() is None:
                process.terminate()
        for _name, process in reversed(self.started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)
        self.started.clear()


def _manage(stack: Stack, *args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **stack.app_env()},
        check=True,
    )


def _fresh_database(stack: Stack) -> None:
    import psycopg
    from psycopg import sql

    name = stack.database_name
    if "stack" not in name:
        raise StackError(
            f"make stack empties its database at every start; {name!r} does not look like one "
            "made for it. Name one with 'stack' in it in STACK_DATABASE_URL."
        )
    server = urlunsplit(urlsplit(stack.database_url)._replace(path="/postgres"))
    try:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        raise StackError(f"PostgreSQL is not answering at {server}: {error}") from None


def _fresh_redis(stack: Stack) -> None:
    import redis

    client = redis.Redis.from_url(stack.redis_url)
    try:
        keys = list(client.scan_iter(match=f"{stack.redis_prefix}*", count=1000))
    except redis.ConnectionError as error:
        raise StackError(f"Redis is not answering at {stack.redis_url}: {error}") from None
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


def s3_client(stack: Stack) -> Any:
    """A client of the stack's S3 server, as the operator (or a test reading the bucket) has."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=stack.s3_url,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY_ID,
        aws_secret_access_key=S3_SECRET,
    )


def _bucket(stack: Stack) -> None:
    client = s3_client(stack)
    client.create_bucket(Bucket=BUCKET)
    # Nothing in it is ever public: files reach people only through the app's views.
    client.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def _nginx_config(stack: Stack) -> Path:
    from django.conf import settings

    from witnesses.services.submissions import MAX_FILES

    limits = nginx.body_limits(
        evidence_max_bytes=stack.evidence_max_bytes,
        max_files=MAX_FILES,
        form_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        owner_max_files=settings.EVIDENCE_MAX_FILES,
        import_max_bytes=settings.IMPORT_MAX_BYTES,
        piece_bytes=settings.UPLOAD_PIECE_MAX_BYTES,
    )
    temp = STATE_DIR / "nginx"
    user = None
    for part in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (temp / part).mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # nginx's workers drop to nobody; they write request bodies into these folders.
        nobody = pwd.getpwnam("nobody")
        user = "nobody " + ("nogroup" if _group_exists("nogroup") else "nobody")
        for folder in [temp, *temp.iterdir()]:
            os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    path = STATE_DIR / "nginx.conf"
    path.write_text(
        nginx.render(
            listen=f"127.0.0.1:{stack.port}",
            workers=[f"127.0.0.1:{port}" for port in stack.worker_ports],
            limits=limits,
            prefix=str(STATE_DIR),
            user=user,
        )
    )
    return path


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def _django_for(stack: Stack) -> None:
    """Django set up with the stack's settings in this process, for reading its limits. The
    environment is put back afterwards: commands run from here (pytest, the load test) get
    their own settings."""
    before = dict(os.environ)
    os.environ.update(stack.app_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    try:
        import django

        django.setup()
    finally:
        os.environ.clear()
        os.environ.update(before)


@contextlib.contextmanager
def started(stack: Stack, say: Callable[[str], object] = print) -> Iterator[Stack]:
    """Start every part, yield once all answer, and stop them all afterwards."""
    nginx_binary = _nginx_binary()
    (STATE_DIR / "logs").mkdir(parents=True, exist_ok=True)
    lock = (STATE_DIR / "lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise StackError("another stack is starting or running from this folder") from None
    _django_for(stack)
    processes = Processes()
    saved = False
    try:
        say(f"Emptying the stack's database ({stack.database_name}) and Redis keys")
        _fresh_database(stack)
        _fresh_redis(stack)
        say("Migrating and collecting static files")
        _manage(stack, "migrate", "--noinput", "--verbosity", "0")
        _manage(stack, "collectstatic", "--noinput", "--verbosity", "0")
        say(f"Starting moto's S3 server on {stack.s3_url}")
        processes.start(
            "s3",
            [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(stack.s3_port)],
            {},
            stack.s3_port,
        )
        _bucket(stack)
        for number, port in enumerate(stack.worker_ports, start=1):
            say(f"Starting uvicorn worker {number} on 127.0.0.1:{port}")
            processes.start(
                f"worker-{number}",
                uvicorn_command(port=port, log_level=None, behind_proxy=True),
                stack.app_env(),
                port,
            )
        for number in range(1, stack.job_workers + 1):
            say(f"Starting background worker {number} (db_worker)")
            processes.start(
                f"jobs-{number}", worker_command(worker_id=f"stack-{number}"), stack.app_env(), None
            )
        say("Starting tend_jobs (hands on jobs whose worker stopped)")
        processes.start("tend", tend_command(), stack.app_env(), None)
        config = _nginx_config(stack)
        say(f"Starting nginx on {stack.url}")
        processes.start(
            "nginx",
            [
                nginx_binary,
                "-p",
                str(STATE_DIR),
                "-e",
                str(STATE_DIR / "logs/nginx-error.log"),
                "-c",
                str(config),
            ],
            {},
            stack.port,
        )
        stack.pid = os.getpid()
        stack.pids = {name: process.pid for name, process in processes.started}
        stack.save()
        saved = True
        yield stack
        processes.check()
    finally:
        if saved:
            STATE_FILE.unlink(missing_ok=True)
        processes.stop()
        lock.close()


def _nginx_binary() -> str:
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    raise StackError("nginx is not installed: `make stack` installs Debian's package (as root).")


def serve() -> int:
    """`make stack`: start everything and stay in the foreground until told to stop."""
    stack = Stack()
    already = running()
    if already:
        print(f"A stack is already running at {already.url} (`make stack-stop` ends it).")
        return 1
    stop = {"now": False}

    def ask_to_stop(signum: int, frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)
    try:
        with started(stack) as up:
            print()
            print(f"  Sightline's stack is up: {up.url}/ (nginx)")
            print(f"    workers  {', '.join(up.worker_urls)}")
            print(f"    jobs     {up.job_workers} db_workers and tend_jobs (.stack/logs/jobs-*)")
            print(f"    S3       {up.s3_url} (moto), bucket {BUCKET}")
            print(f"    database {up.database_name}, Redis {up.redis_url} ({up.redis_prefix}*)")
            print("  Logs in .stack/logs/. Stop with Ctrl+C, or `make stack-stop` elsewhere.")
            print()
            while not stop["now"]:
                time.sleep(0.5)
        print("Stopped.")
    except StackError as error:
        print(f"make stack: {error}", file=sys.stderr)
        return 1
    return 0


def stop_running() -> int:
    """`make stack-stop`: ask the launcher of a running stack to stop it."""
    found = running()
    if found is None:
        print("No stack is running.")
        return 0
    os.kill(found.pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(found.pid, 0)
        except ProcessLookupError:
            print("Stopped.")
            return 0
        time.sleep(0.2)
    print(f"The stack's launcher ({found.pid}) has not stopped yet.", file=sys.stderr)
    return 1
