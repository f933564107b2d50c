"""`make bench`: make (or reuse) the data, measure everything, print the tables and write
bench/results.json. See docs/performance.md for what each figure means and how to read it.

Environment:
- BENCH_POSTGRES_URL: a PostgreSQL database the bench may drop and re-create. Without it, the
  database of a PostgreSQL DATABASE_URL with `_bench` added to its name is used; without either,
  the PostgreSQL rows are skipped, saying so.
- REDIS_URL (and REDIS_PREFIX, to which `_bench` is added): the Redis for the two-process live
  run and the PostgreSQL server; without it, that row is skipped, saying so.
- BENCH_SECONDS: seconds per wrk run (5); BENCH_FRESH=1: make the data again even if cached.
- BENCH_PORTS: the ports the bench's servers may listen on, `FIRST-LAST` (8401-8403); it needs
  three, and a shared machine hands each engineer a range of their own.

`python -m bench queries load build jobs imports postgres` runs only the sections named (all by
default); a partial run writes bench/.work/run/results.json instead of bench/results.json.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_PORTS = "8401-8403"
SERVERS = 3  # one for SQLite, two sharing PostgreSQL and Redis
CLIENTS = (1, 8, 32)
SENDERS = 20
LIVE_SAMPLES = 200
CACHE_DAYS = 7
CSRF = "benchbenchbenchbenchbenchbench12"  # any 32 letters: the cookie and the header agree


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ports(value: str | None = None) -> tuple[int, ...]:
    """The first three ports of BENCH_PORTS (`FIRST-LAST`), refusing a range that is too short."""
    value = (os.environ.get("BENCH_PORTS", "") if value is None else value) or DEFAULT_PORTS
    low, _, high = value.partition("-")
    try:
        first, last = int(low), int(high or low)
    except ValueError:
        raise SystemExit(f"BENCH_PORTS={value!r}: give a range of ports, FIRST-LAST") from None
    if last - first + 1 < SERVERS:
        raise SystemExit(f"BENCH_PORTS={value!r}: the bench needs {SERVERS} ports")
    return tuple(range(first, first + SERVERS))


def _seconds() -> float:
    return float(os.environ.get("BENCH_SECONDS", "5"))


# The data: made once per version of the code that makes it, then copied for each run.


# Modules that only read, render or answer requests: changing them cannot change the data.
READ_SIDE = {
    "api.py",
    "api_errors.py",
    "api_urls.py",
    "chronology.py",
    "consumers.py",
    "context_processors.py",
    "export.py",
    "forms.py",
    "middleware.py",
    "patterns.py",
    "risk_views.py",
    "selectors.py",
    "serializers.py",
    "urls.py",
    "views.py",
    "witness_urls.py",
    "witness_views.py",
}


def cache_key() -> str:
    """Changes whenever the models, services, migrations or the data recipe change."""
    digest = hashlib.sha256()
    files = [
        # Every package of both apps (the demo builder and its story among them), migrations too.
        *(p for p in ROOT.glob("diary/**/*.py") if p.name not in READ_SIDE),
        *(p for p in ROOT.glob("witnesses/**/*.py") if p.name not in READ_SIDE),
        ROOT / "project" / "settings.py",
        ROOT / "bench" / "data.py",
        ROOT / "requirements.lock",
    ]
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _data_env(folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        MEDIA_ROOT=str(folder / "media"),
        LOG_LEVEL="WARNING",
        DEBUG="false",
    )
    return env


def template() -> tuple[Path, bool]:
    """The folder holding the generated database and files, and whether it was reused."""
    cache = WORK / "cache"
    key = cache_key()
    folder = cache / key
    meta = folder / "meta.json"
    fresh = os.environ.get("BENCH_FRESH") == "1"
    if meta.exists() and not fresh and time.time() - meta.stat().st_mtime < CACHE_DAYS * 86400:
        return folder, True
    say("making the data (2 to 4 minutes; it is cached for the next run)")
    shutil.rmtree(cache, ignore_errors=True)
    building = cache / f"building-{os.getpid()}"
    building.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "bench.data", str(building)],
        cwd=ROOT,
        env=_data_env(building),
        check=True,
    )
    building.rename(folder)
    return folder, False


def prepare_run(source: Path) -> Path:
    """A fresh copy of the data for this run (the files hard-linked: nothing edits them)."""
    run = WORK / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    for name in ("db.sqlite3", "db.sqlite3-wal", "meta.json"):
        if (source / name).exists():
            shutil.copy2(source / name, run / name)
    shutil.copytree(source / "media", run / "media", copy_function=os.link)
    return run


# Helpers that need Django (set up on the run's database by main()).


def confirmed(session: Any, user: Any) -> None:
    """As if the owner had just confirmed it is her (allauth's re-authentication, which the
    entries API asks for): the bench measures her work, not the page that asks her to confirm.
    REAUTHENTICATION_SECONDS is raised for the run so it lasts the whole bench."""
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "reauthenticated": True}
    ]
    session["account_authentication_methods_user"] = str(user.pk)


SIZED = ("small", "large", "ledger")  # the diaries bench.data makes for a purpose


def session_cookie(user: Any) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    # The app's own session store (it keeps only a keyed hash of each key), as a sign-in makes.
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    confirmed(session, user)
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def get_ok(port: int, path: str, cookie: str = "") -> None:
    """Refuse to measure a URL that does not answer 200 (a redirect to sign in is fast too)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}, not 200")


def submission_script(keys: list[str]) -> str:
    from bench.load import rotate_script

    headers = [
        {
            "Content-Type": "application/json",
            "Cookie": f"w={key}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
        }
        for key in keys
    ]
    bodies = [
        json.dumps({"kind": kind, "what_happened": text, "location": "Mill Road"})
        for kind, text in (
            ("saw", "The grey car was parked opposite the house again."),
            ("approached", "He asked me where she works now."),
            ("contacted", "A message from a new number asking about her."),
        )
    ]
    return rotate_script(headers, bodies)


def measure_submissions(
    port: int, keys: list[str], bare_path: str, seconds: float | None = None
) -> dict[str, Any]:
    """The bare view at 20 connections, then 20 senders for `seconds` (twice BENCH_SECONDS)."""
    from bench.load import wrk

    base = f"http://127.0.0.1:{port}"
    bare = wrk(base + bare_path, connections=SENDERS, seconds=_seconds())
    url = base + "/api/witness/submissions/"
    wrk(url, connections=2, seconds=1, script=submission_script(keys))  # warm up
    seconds = seconds or _seconds() * 2
    run = wrk(url, connections=SENDERS, seconds=seconds, script=submission_script(keys))
    return {**run.as_dict(), "bare": bare.as_dict()}


def run_job(job: str, diary_id: int, env: dict[str, str]) -> dict[str, Any]:
    """Run one bench.jobs job in its own process; add its peak resident memory."""
    out = WORK / "run" / f"job-{job}.json"
    with out.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.jobs", job, str(diary_id)],
            cwd=ROOT,
            env=env,
            stdout=handle,
        )
        # wait4 gives this child's own peak (ru_maxrss, in KiB on Linux), not the largest of
        # every child so far as RUSAGE_CHILDREN would.
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"job {job} exited with {process.returncode}")
    figures = json.loads(out.read_text().strip().splitlines()[-1])
    return {**figures, "peak_mb": round(usage.ru_maxrss / 1024, 1)}


def postgres_url() -> str:
    explicit = os.environ.get("BENCH_POSTGRES_URL", "")
    if explicit:
        return explicit
    current = os.environ.get("DATABASE_URL", "")
    if current.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(current)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))
    return ""


def _connect(url: str, **options: Any) -> Any:
    """A connection, waiting up to a minute while a shared server has no slot free."""
    import psycopg

    deadline = time.monotonic() + 60
    while True:
        try:
            return psycopg.connect(url, **options)
        except psycopg.OperationalError as error:
            if "too many clients" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(2)


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with _connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def postgres_version(url: str) -> str:
    with _connect(urlunsplit(urlsplit(url)._replace(scheme="postgresql"))) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0].split()[0]}" if row else ""


def redis_version(url: str) -> str:
    import redis

    return str(redis.Redis.from_url(url).info("server").get("redis_version", ""))


# The run.


SECTIONS = ("queries", "load", "build", "jobs", "imports", "postgres")
# Sections that bring their own data: run alone, they need not make (or copy) the bench's.
OWN_DATA = {"imports"}


class Bench:
    def __init__(self, sections: list[str]) -> None:
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            raise SystemExit(f"unknown sections: {', '.join(sorted(unknown))}; choose {SECTIONS}")
        self.sections = sections or list(SECTIONS)
        self.results: dict[str, Any] = {"errors": []}
        self.started = time.monotonic()
        self.ports = ports()

    def section(self, name: str, work: Any) -> None:
        say(f"{name}…")
        began = time.monotonic()
        try:
            work()
        except Exception as error:
            self.results["errors"].append((name, f"{type(error).__name__}: {error}"))
            say(f"{name} FAILED: {error}")
        say(f"{name} took {time.monotonic() - began:.0f} s")

    def main(self) -> int:
        results = self.results
        results["machine"] = {"load_before": _load()}
        postgres = postgres_url()
        redis = os.environ.get("REDIS_URL", "")
        redis_prefix = os.environ.get("REDIS_PREFIX", "sightline") + "_bench"
        env = {
            "WITNESS_SUBMISSIONS_PER_HOUR": "1000000",  # 20 senders flat out, by design
            "REAUTHENTICATION_SECONDS": "3600",  # the owner's confirmation lasts the run
        }
        meta: dict[str, Any] = {}
        cookies: dict[str, str] = {}
        if set(self.sections) - OWN_DATA:
            source, cached = template()
            run = prepare_run(source)
            meta = json.loads((run / "meta.json").read_text())
            results["data"] = {"cached": cached, "generate_seconds": meta["seconds"]}
            say(
                f"data {'reused from the cache' if cached else 'made'} "
                f"({meta['seconds']} s to make)"
            )
        else:
            run = WORK / "run"
            shutil.rmtree(run, ignore_errors=True)
            run.mkdir(parents=True)
        env = {**_data_env(run), **env}
        os.environ.clear()
        os.environ.update(env)
        import django

        django.setup()
        from diary.models import Diary, User

        if meta:
            cookies = {
                size: session_cookie(User.objects.get(pk=meta[size]["owner"]))
                for size in ("small", "large")
            }
            # One of the other diaries (the demo story: a few entries), against which the
            # large diary's first page is compared: its cost must not grow with the diary.
            few = (
                Diary.objects.exclude(pk__in=[meta[key]["diary"] for key in SIZED])
                .order_by("pk")
                .first()
            )
            if few is not None:
                cookies["few"] = session_cookie(few.owner)
                meta["few"] = {"diary": few.pk, "entries": few.entries.count()}
        if "queries" in self.sections:
            self.section("queries per request", lambda: self.queries(meta))
        if "load" in self.sections:
            self.section("requests under load", lambda: self.load(meta, cookies, env, run))
        if "build" in self.sections:
            self.section("sends while a bundle is made", lambda: self.build(meta, env, run))
        if "jobs" in self.sections:
            self.section("exports and the ledger", lambda: self.jobs(meta, env))
        if "imports" in self.sections:
            self.section("imports", lambda: self.imports(env, run))
        if "postgres" in self.sections and postgres:
            self.section(
                "PostgreSQL and Redis",
                lambda: self.postgres(postgres, redis, redis_prefix, env, run),
            )
        elif "postgres" in self.sections:
            skipped = {"skipped": "set BENCH_POSTGRES_URL (or a PostgreSQL DATABASE_URL)"}
            results["submit_pg"] = results["submit_pg_workers"] = results["live_redis"] = skipped
        machine = results["machine"]
        from bench import report

        machine.update(report.machine())
        machine["load_after"] = _load()
        machine["when"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        machine["seconds"] = round(time.monotonic() - self.started)
        if postgres:
            machine["postgres"] = _quiet(postgres_version, postgres)
        if redis:
            machine["redis"] = _quiet(redis_version, redis)
        target = RESULTS if self.sections == list(SECTIONS) else run / "results.json"
        target.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(report.render(results))
        print(f"\n`make bench` took {machine['seconds']} s. Figures: {target.relative_to(ROOT)}")
        return 1 if results["errors"] else 0

    def queries(self, meta: dict[str, Any]) -> None:
        from bench import queries

        self.results["queries"] = queries.measure(meta)

    def load(
        self, meta: dict[str, Any], cookies: dict[str, str], env: dict[str, str], run: Path
    ) -> None:
        from bench import live
        from bench.load import wrk
        from bench.servers import uvicorn

        port = self.ports[0]
        base = f"http://127.0.0.1:{port}"
        bare_path = f"/bench/bare/{meta['large']['diary']}"
        targets = {
            **(
                {
                    "timeline_few": ("/diary/", cookies["few"]),
                    "api_few": ("/api/entries/", cookies["few"]),
                }
                if "few" in cookies
                else {}
            ),
            "timeline_small": ("/diary/", cookies["small"]),
            "timeline_large": ("/diary/", cookies["large"]),
            "api_small": ("/api/entries/", cookies["small"]),
            "api_large": ("/api/entries/", cookies["large"]),
        }
        seconds = _seconds()
        with uvicorn(port, env, run / "server-sqlite.log"):
            get_ok(port, bare_path)
            for path, cookie in targets.values():
                get_ok(port, path, cookie)
            for path, cookie in targets.values():
                wrk(base + path, connections=1, seconds=1, headers={"Cookie": cookie})
            wrk(base + bare_path, connections=1, seconds=1)
            levels = []
            for clients in CLIENTS:
                before = wrk(base + bare_path, connections=clients, seconds=seconds)
                level: dict[str, Any] = {"clients": clients}
                for key, (path, cookie) in targets.items():
                    level[key] = wrk(
                        base + path,
                        connections=clients,
                        seconds=seconds,
                        headers={"Cookie": cookie},
                    ).as_dict()
                after = wrk(base + bare_path, connections=clients, seconds=seconds)
                level["bare_runs"] = [before.as_dict(), after.as_dict()]
                # The baseline is the mean of one run before and one after the app's runs.
                level["bare"] = {
                    key: (before.as_dict()[key] + after.as_dict()[key]) / 2
                    for key in ("p50_ms", "p90_ms", "p99_ms", "rps")
                }
                levels.append(level)
                say(f"  {clients} clients done")
            self.results["load"] = {
                "levels": levels,
                "seconds_per_run": seconds,
                "few_entries": meta.get("few", {}).get("entries"),
            }
            self.results["bare_p50_ms"] = levels[0]["bare"]["p50_ms"]

            say("  live, in-memory layer")
            large = meta["large"]
            self.results["live_memory"] = live.measure(
                owner_port=port,
                post_port=port,
                owner_cookie=cookies["large"],
                witness_keys=large["witness_keys"],
                csrf=CSRF,
                samples=LIVE_SAMPLES,
            )
            say("  submissions, SQLite")
            self.results["submit_sqlite"] = measure_submissions(
                port, large["witness_keys"], bare_path
            )

    def build(self, meta: dict[str, Any], env: dict[str, str], run: Path) -> None:
        """The 20 senders to the 10,000-entry diary, with and without its bundle being made by
        the real worker beside the server (bench/build.py)."""
        from bench import build
        from bench.servers import uvicorn, worker

        port = self.ports[0]
        large = meta["large"]
        bare_path = f"/bench/bare/{large['diary']}"
        with uvicorn(port, env, run / "server-build.log"), worker(env, run / "worker.log"):
            get_ok(port, bare_path)
            self.results["submit_build"] = build.measure(
                port=port,
                keys=large["witness_keys"],
                bare_path=bare_path,
                diary_id=large["diary"],
                database=run / "db.sqlite3",
            )

    def jobs(self, meta: dict[str, Any], env: dict[str, str]) -> None:
        jobs = self.results["jobs"] = {}
        for key, job, diary in (
            ("pdf", "pdf", meta["small"]["diary"]),
            ("csv", "csv", meta["large"]["diary"]),
            ("zip", "zip", meta["large"]["diary"]),
            ("verify", "verify", meta["ledger"]["diary"]),
            ("verify_all", "verify-all", meta["ledger"]["diary"]),
            ("offline", "offline", meta["ledger"]["diary"]),
        ):
            jobs[key] = run_job(job, diary, env)
            say(f"  {key}: {jobs[key]['seconds']:.2f} s, peak {jobs[key]['peak_mb']:.0f} MB")

    def imports(self, env: dict[str, str], run: Path) -> None:
        """Each export into an empty diary of a fresh database of its own (bench/imports.py),
        in a process of its own (bench.jobs): the whole import, as the worker runs it."""
        folder = run / "imports"
        import_env = _data_env(folder)  # the run's environment, with a database of its own
        subprocess.run(
            [sys.executable, "-m", "bench.imports", str(folder)],
            cwd=ROOT,
            env=import_env,
            check=True,
        )
        meta = json.loads((folder / "meta.json").read_text())
        found = self.results["imports"] = {"samples_seconds": meta["samples_seconds"]}
        for key, job in (("chat", "import-chat"), ("mail", "import-mail")):
            found[key] = run_job(job, meta[key]["diary"], import_env)
            say(f"  {key}: {found[key]['seconds']:.1f} s, peak {found[key]['peak_mb']:.0f} MB")

    def postgres(self, url: str, redis: str, prefix: str, env: dict[str, str], run: Path) -> None:
        from bench import live
        from bench.servers import uvicorn

        recreate_database(url)
        seeded = run / "pg.json"
        pg_env = {**env, "DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "-m", "bench.pgseed", str(seeded)], cwd=ROOT, env=pg_env, check=True
        )
        meta = json.loads(seeded.read_text())
        say(f"  PostgreSQL seeded in {meta['seconds']} s (migrate {meta['migrate_seconds']} s)")
        server_env = {**pg_env, **({"REDIS_URL": redis, "REDIS_PREFIX": prefix} if redis else {})}
        bare_path = f"/bench/bare/{meta['diary']}"
        with uvicorn(self.ports[1], server_env, run / "server-pg-1.log"):
            get_ok(self.ports[1], bare_path)
            self.results["submit_pg"] = measure_submissions(
                self.ports[1], meta["witness_keys"], bare_path
            )
            self.results["submit_pg"]["redis"] = bool(redis)
        if redis:
            # As production runs it: one worker a core, sharing PostgreSQL and Redis. The goal
            # is judged on this run; one worker is shown beside it.
            with uvicorn(self.ports[1], server_env, run / "server-pg-workers.log", workers=2):
                get_ok(self.ports[1], bare_path)
                self.results["submit_pg_workers"] = measure_submissions(
                    self.ports[1], meta["witness_keys"], bare_path
                )
                self.results["submit_pg_workers"]["workers"] = 2
        else:
            self.results["submit_pg_workers"] = {"skipped": "set REDIS_URL"}
            self.results["live_redis"] = {"skipped": "set REDIS_URL"}
            return
        with (
            uvicorn(self.ports[1], server_env, run / "server-pg-1.log"),
            uvicorn(self.ports[2], server_env, run / "server-pg-2.log"),
        ):
            say("  live, two processes and Redis")
            self.results["live_redis"] = live.measure(
                owner_port=self.ports[1],
                post_port=self.ports[2],
                owner_cookie=meta["owner_cookie"],
                witness_keys=meta["witness_keys"],
                csrf=CSRF,
                samples=LIVE_SAMPLES,
            )


def _load() -> str:
    from bench.report import load_average

    return load_average()


def _quiet(function: Callable[..., str], *args: Any) -> str:
    try:
        return function(*args)
    except Exception:
        return ""


def main() -> int:
    return Bench(sys.argv[1:]).main()
