"""The load test (`make load`): many owners and their contacts at once against `make stack`,
through nginx, on loopback only, bounded in count and in time.

Owners (200 by default), each with the demo story's diary, and their contacts (5 each: 1,000)
are made by the demo builder (stack/data.py), then each owner signs in through the real sign-in
page and each contact's phone opens its link, every one from a loopback address of its own
(127.1.x.y and 127.2.x.y), as separate people would. All of them keep a live socket open. For
the measured window (3 minutes) owners read their timeline page, look at their inbox and add
what is waiting, and contacts send sightings, each with a small photo and an Idempotency-Key,
retried with the same key after a network error or a 5xx, as the app's own pages do. Each
contact sends at most --max-sends times (25), under the app's limit of 30 an hour per link.

Afterwards it reads back, from the database and the bucket, that every acknowledged send is
stored exactly once, every acknowledged accept made exactly one entry, and every diary's ledger
verifies with its files; it prints throughput, p50/p99 per operation and every error, and writes
.stack/load-results.json and .stack/load-results.md (the table docs/performance.md shows).
"""

import argparse
import asyncio
import io
import json
import os
import platform
import random
import re
import secrets
import ssl
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from stack.run import PYTHON, ROOT, STATE_DIR, Stack, running

PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
MARKER = re.compile(r"load-([0-9a-f]{16})")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RETRIES = 3


def address(block: int, number: int) -> str:
    """A loopback address of its own for each person: 127.<block>.<high>.<low>."""
    return f"127.{block}.{number // 250}.{number % 250 + 1}"


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of them at or below it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


@dataclass
class Stats:
    durations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    window: dict[str, int] = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    server_errors: int = 0
    examples: list[str] = field(default_factory=list)
    measuring: bool = False

    def ok(self, operation: str, started: float) -> None:
        self.durations[operation].append(time.perf_counter() - started)
        if self.measuring:
            self.window[operation] += 1

    def error(self, operation: str, what: str) -> None:
        self.errors[(operation, what)] += 1
        if what.startswith("5"):
            self.server_errors += 1
        if len(self.examples) < 20:
            self.examples.append(f"{operation}: {what}")


@dataclass
class Person:
    client: httpx.AsyncClient
    local: str
    user_agent: str

    @property
    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken") or ""

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.client.cookies.items())


@dataclass
class Owner:
    email: str
    diary: int
    person: Person | None = None
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class Contact:
    id: int
    token: str
    person: Person | None = None
    sent: int = 0
    rng: random.Random = field(default_factory=random.Random)


class LoadTest:
    def __init__(self, stack: Stack, options: argparse.Namespace) -> None:
        self.stack = stack
        self.options = options
        self.stats = Stats()
        self.tls = ssl.create_default_context()  # shared: one per client costs seconds at 1,200
        self.sends: list[dict[str, Any]] = []
        self.accepts: list[dict[str, Any]] = []
        self.sent_at: dict[str, float] = {}  # marker → when the contact pressed send
        self.accept_at: dict[str, float] = {}  # reference → when the owner pressed add
        self.live_seen: set[str] = set()
        self.status_seen: set[str] = set()
        self.sockets_dropped = 0
        self.photos = [self._photo(seed) for seed in range(16)]
        self.end = 0.0

    @staticmethod
    def _photo(seed: int) -> bytes:
        noise = random.Random(seed)
        image = Image.new("RGB", (160, 120))
        image.putdata([tuple(noise.randrange(256) for _ in range(3)) for _ in range(160 * 120)])
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=60)
        return buffer.getvalue()

    def _person(self, local: str, user_agent: str) -> Person:
        transport = httpx.AsyncHTTPTransport(local_address=local, verify=self.tls)
        client = httpx.AsyncClient(
            base_url=self.stack.url,
            transport=transport,
            headers={"User-Agent": user_agent, "Origin": self.stack.url},
            timeout=httpx.Timeout(60.0),
            trust_env=False,
        )
        return Person(client=client, local=local, user_agent=user_agent)

    async def _request(
        self,
        operation: str,
        person: Person,
        method: str,
        path: str,
        expect: tuple[int, ...],
        **kwargs: Any,
    ) -> httpx.Response | None:
        """One request, timed; anything but an expected status is counted as an error. None
        when no answer came (the connection failed or timed out)."""
        headers = kwargs.pop("headers", {})
        if method != "GET":
            headers = {"X-CSRFToken": person.csrf, "Referer": self.stack.url + "/", **headers}
        started = time.perf_counter()
        try:
            response = await person.client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            self.stats.error(operation, type(error).__name__)
            return None
        if response.status_code in expect:
            self.stats.ok(operation, started)
        else:
            self.stats.error(operation, str(response.status_code))
        return response

    # Getting everyone in: sign-ins, links opened, sockets open.

    async def sign_in(self, owner: Owner, number: int) -> None:
        owner.person = self._person(address(1, number), DESKTOP)
        page = await self._request("sign-in page", owner.person, "GET", "/accounts/login/", (200,))
        if page is None or page.status_code != 200:
            owner.person = None
            return
        token = CSRF_FIELD.search(page.text)
        signed = await self._request(
            "sign in (argon2)",
            owner.person,
            "POST",
            "/accounts/login/",
            (302,),
            data={
                "login": owner.email,
                "password": self.password,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
        )
        if signed is None or signed.headers.get("location") != "/diary/":
            if signed is not None and signed.status_code == 302:
                self.stats.error("sign in (argon2)", f"went to {signed.headers['location']}")
            owner.person = None

    async def open_link(self, contact: Contact, number: int) -> None:
        contact.person = self._person(address(2, number), PHONE)
        opened = await self._request(
            "contact opens link", contact.person, "GET", f"/w/{contact.token}", (302,)
        )
        if opened is None or opened.status_code != 302:
            contact.person = None
            return
        page = await self._request("contact page", contact.person, "GET", "/w/", (200,))
        if page is None or page.status_code != 200:
            contact.person = None

    async def _socket(self, person: Person, path: str) -> ClientConnection | None:
        started = time.perf_counter()
        try:
            socket = await connect(
                f"ws://127.0.0.1:{self.stack.port}{path}",
                additional_headers={"Cookie": person.cookie_header(), "Origin": self.stack.url},
                user_agent_header=person.user_agent,
                local_addr=(person.local, 0),
                proxy=None,
                open_timeout=60,
            )
        except (OSError, TimeoutError, ConnectionClosed) as error:
            self.stats.error(f"open socket {path}", type(error).__name__)
            return None
        self.stats.ok(f"open socket {path}", started)
        return socket

    async def listen_owner(self, socket: ClientConnection) -> None:
        try:
            async for message in socket:
                arrived = time.perf_counter()
                event = json.loads(message)
                if event.get("event") == "inbox" and event.get("change") == "received":
                    for marker in MARKER.findall(event.get("html", "")):
                        if marker in self.sent_at and marker not in self.live_seen:
                            self.live_seen.add(marker)
                            self.stats.durations["live: send → owner's socket"].append(
                                arrived - self.sent_at[marker]
                            )
        except ConnectionClosed:
            pass
        if time.perf_counter() < self.end:
            self.sockets_dropped += 1
            self.stats.error("live socket", "closed early")

    async def listen_contact(self, socket: ClientConnection) -> None:
        try:
            async for message in socket:
                arrived = time.perf_counter()
                event = json.loads(message)
                reference = event.get("reference", "")
                if (
                    event.get("event") == "status"
                    and reference in self.accept_at
                    and reference not in self.status_seen
                ):
                    self.status_seen.add(reference)
                    self.stats.durations["live: add → contact's socket"].append(
                        arrived - self.accept_at[reference]
                    )
        except ConnectionClosed:
            pass
        if time.perf_counter() < self.end:
            self.sockets_dropped += 1
            self.stats.error("live socket", "closed early")

    # The measured window.

    async def _think(self, rng: random.Random, mean: float) -> None:
        """A person's pause before their next action, cut short where the window ends."""
        pause = rng.expovariate(1 / mean)
        await asyncio.sleep(max(0.0, min(pause, self.end - time.perf_counter())))

    async def contact_loop(self, contact: Contact) -> None:
        person = contact.person
        assert person is not None
        while contact.sent < self.options.max_sends:
            await self._think(contact.rng, self.options.contact_think)
            if time.perf_counter() >= self.end:
                return
            contact.sent += 1
            marker = secrets.token_hex(8)
            key = str(uuid.uuid4())
            photo = contact.rng.choice(self.photos)
            record: dict[str, Any] = {"witness": contact.id, "key": key, "reference": None}
            self.sends.append(record)
            self.sent_at[marker] = time.perf_counter()
            for attempt in range(RETRIES + 1):
                response = await self._request(
                    "contact sends (photo)",
                    person,
                    "POST",
                    "/api/witness/submissions/",
                    (201,),
                    headers={"Idempotency-Key": key},
                    data={
                        "kind": "saw",
                        "what_happened": f"The grey car again, engine running. load-{marker}",
                        "location": "Corner of Elm Road",
                    },
                    files={"files": (f"IMG_{attempt}.jpg", photo, "image/jpeg")},
                )
                if response is not None and response.status_code == 201:
                    record["reference"] = response.json()["reference"]
                    break
                if response is not None and response.status_code < 500:
                    break  # refused: sending it again would be refused again
                await asyncio.sleep(1 + attempt)  # no answer, or a 5xx: the same send, same key

    async def owner_loop(self, owner: Owner) -> None:
        person = owner.person
        assert person is not None
        while True:
            await self._think(owner.rng, self.options.owner_think)
            if time.perf_counter() >= self.end:
                return
            if owner.rng.random() < self.options.timeline_share:
                await self._request("owner reads timeline page", person, "GET", "/diary/", (200,))
                continue
            inbox = await self._request(
                "owner reads inbox (API)", person, "GET", "/api/inbox/", (200,)
            )
            if inbox is None or inbox.status_code != 200:
                continue
            for item in inbox.json()["results"][: self.options.accepts_per_visit]:
                self.accept_at.setdefault(item["reference"], time.perf_counter())
                added = await self._request(
                    "owner adds to timeline",
                    person,
                    "POST",
                    f"/api/inbox/{item['id']}/accept/",
                    (201,),
                )
                if added is not None and added.status_code == 201:
                    self.accepts.append({"submission": item["id"]})

    async def run(self, seeded: dict[str, Any]) -> dict[str, Any]:
        self.password = seeded["password"]
        owners = [Owner(email=o["email"], diary=o["diary"]) for o in seeded["owners"]]
        contacts = [
            Contact(id=w["id"], token=w["token"]) for o in seeded["owners"] for w in o["witnesses"]
        ]
        everyone: list[Owner | Contact] = [*owners, *contacts]
        for number, each in enumerate(everyone):
            each.rng.seed(number)
        gate = asyncio.Semaphore(self.options.warmup_concurrency)

        async def gated(job: Any) -> Any:
            async with gate:
                return await job

        say(f"Signing in {len(owners)} owners through the sign-in page")
        await asyncio.gather(*(gated(self.sign_in(o, n)) for n, o in enumerate(owners)))
        say(f"Opening {len(contacts)} contacts' links")
        await asyncio.gather(*(gated(self.open_link(c, n)) for n, c in enumerate(contacts)))
        say("Opening a live socket for each")
        self.end = float("inf")
        owner_sockets = await asyncio.gather(
            *(gated(self._socket(o.person, "/ws/diary/")) for o in owners if o.person)
        )
        contact_sockets = await asyncio.gather(
            *(gated(self._socket(c.person, "/ws/witness/")) for c in contacts if c.person)
        )
        listeners = [
            *(asyncio.create_task(self.listen_owner(s)) for s in owner_sockets if s),
            *(asyncio.create_task(self.listen_contact(s)) for s in contact_sockets if s),
        ]
        open_sockets = len(listeners)
        say(f"{open_sockets} sockets open. Measuring for {self.options.seconds} s")
        self.stats.measuring = True
        started = time.perf_counter()
        self.end = started + self.options.seconds
        await asyncio.gather(
            *(self.owner_loop(o) for o in owners if o.person),
            *(self.contact_loop(c) for c in contacts if c.person),
        )
        elapsed = time.perf_counter() - started
        self.stats.measuring = False
        await asyncio.sleep(5)  # the last events on their way to open sockets
        for socket in [*owner_sockets, *contact_sockets]:
            if socket is not None:
                await socket.close()
        await asyncio.gather(*listeners)
        for each in everyone:
            if each.person:
                await each.person.client.aclose()
        return {
            "elapsed": elapsed,
            "open_sockets": open_sockets,
            "owners": owners,
            "contacts": contacts,
        }


def say(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", flush=True)


def _stack_command(stack: Stack, *args: str) -> None:
    subprocess.run([PYTHON, *args], cwd=ROOT, env={**os.environ, **stack.app_env()}, check=True)


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return "?"
    return (done.stdout + done.stderr).strip().splitlines()[0] if done.stdout + done.stderr else "?"


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory} GB; {platform.platform()}; "
        f"Python {platform.python_version()}, "
        f"{_version(['psql', '--version']).replace('psql (PostgreSQL) ', 'PostgreSQL ')}, "
        f"{_version(['redis-server', '--version']).split(' sha=')[0]}, "
        f"{_version(['/usr/sbin/nginx', '-v']).replace('nginx version: ', '')}"
    )


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU time (user + system) each part of the stack has used so far, with its children
    (nginx's worker), and this load generator's own."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for name, pid in {**pids, "load generator": os.getpid()}.items():
        total = 0.0
        for each in [pid, *_children(pid)]:
            try:
                fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks
        used[name] = total
    return used


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def server_errors_in_logs(sizes: dict[Path, int]) -> list[str]:
    found = []
    for path, size in sizes.items():
        with path.open("rb") as log:
            log.seek(size)
            for line in log.read().decode(errors="replace").splitlines():
                if "Traceback" in line or "Internal Server Error" in line or " ERROR " in line:
                    found.append(f"{path.name}: {line}")
    return found


def table(stats: Stats, seconds: float) -> list[str]:
    rows = [
        "| operation | count | per second | p50 ms | p99 ms | errors |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    errors: Counter[str] = Counter()
    for (operation, _what), count in stats.errors.items():
        errors[operation] += count
    for operation in sorted(stats.durations, key=lambda name: (name.startswith("live"), name)):
        values = stats.durations[operation]
        counted = stats.window.get(operation)
        rate = f"{counted / seconds:.1f}" if counted else ""
        rows.append(
            f"| {operation} | {len(values):,} | {rate} | {percentile(values, 0.5) * 1000:.0f} | "
            f"{percentile(values, 0.99) * 1000:.0f} | {errors.get(operation, 0)} |"
        )
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack.load", description=__doc__)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=5, help="per owner (default 5)")
    parser.add_argument(
        "--entries", type=int, help="in each diary to start with (default: the demo story's)"
    )
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument(
        "--owner-think",
        type=float,
        default=5.0,
        help="mean seconds between an owner's visits (default 5)",
    )
    parser.add_argument(
        "--contact-think",
        type=float,
        default=60.0,
        help="mean seconds between a contact's sends (default 60)",
    )
    parser.add_argument(
        "--timeline-share",
        type=float,
        default=0.6,
        help="of an owner's visits, the share that read the timeline",
    )
    parser.add_argument("--accepts-per-visit", type=int, default=2)
    parser.add_argument(
        "--max-sends",
        type=int,
        default=25,
        help="sends per contact at most (the app allows 30 an hour per link)",
    )
    parser.add_argument("--warmup-concurrency", type=int, default=16)
    options = parser.parse_args(argv)
    options.seconds = min(options.seconds, 600)  # bounded in time, whatever is asked

    stack = running()
    if stack is None:
        print("The stack is not running: `make load` starts it, or run `make stack`.")
        return 1
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    os.environ["LOAD_PASSWORD"] = secrets.token_urlsafe(16)
    seeded_path = STATE_DIR / f"load-{run}-people.json"
    say(f"Making {options.owners} owners and {options.owners * options.contacts} contacts")
    made = time.perf_counter()
    _stack_command(
        stack,
        "-m",
        "stack.data",
        "seed",
        "--run",
        run,
        "--owners",
        str(options.owners),
        "--contacts",
        str(options.contacts),
        *(["--entries", str(options.entries)] if options.entries else []),
        "--out",
        str(seeded_path),
    )
    say(f"Made in {time.perf_counter() - made:.0f} s")
    seeded = json.loads(seeded_path.read_text())
    logs = {path: path.stat().st_size for path in (STATE_DIR / "logs").glob("worker-*.log")}
    load_before = os.getloadavg()
    cpu_before, wall_before = cpu_seconds(stack.pids), time.perf_counter()
    test = LoadTest(stack, options)
    try:
        import uvloop

        outcome = uvloop.run(test.run(seeded))
    except ImportError:
        outcome = asyncio.run(test.run(seeded))
    load_after = os.getloadavg()
    cpu_after, wall = cpu_seconds(stack.pids), time.perf_counter() - wall_before
    cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}

    say("Reading back what was acknowledged, and verifying every diary's ledger")
    report_path = STATE_DIR / f"load-{run}-acks.json"
    report_path.write_text(
        json.dumps(
            {
                "sends": test.sends,
                "accepts": test.accepts,
                "diaries": [o["diary"] for o in seeded["owners"]],
                "witnesses": [w["id"] for o in seeded["owners"] for w in o["witnesses"]],
                "submissions_before": seeded["submissions_before"],
            }
        )
    )
    checked_path = STATE_DIR / f"load-{run}-checked.json"
    _stack_command(stack, "-m", "stack.data", "check", str(report_path), "--out", str(checked_path))
    checked = json.loads(checked_path.read_text())
    seeded_path.unlink()  # the links in it are secrets

    logged = server_errors_in_logs(logs)
    stats = test.stats
    elapsed = outcome["elapsed"]
    requests = sum(stats.window.values())
    rows = table(stats, elapsed)
    missed_live = len([r for r in test.sends if r["reference"]]) - len(test.live_seen)
    most_sends = max(Counter(send["witness"] for send in test.sends).values(), default=0)
    summary = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _version(["git", "rev-parse", "--short", "HEAD"]),
        "machine": machine(),
        "load_average": {"before": load_before, "after": load_after},
        "options": vars(options),
        "owners": options.owners,
        "contacts": options.owners * options.contacts,
        "open_sockets": outcome["open_sockets"],
        "sockets_dropped": test.sockets_dropped,
        "seconds": round(elapsed, 1),
        "requests": requests,
        "requests_per_second": round(requests / elapsed, 1),
        "server_errors": stats.server_errors,
        "server_errors_logged": logged,
        "errors": {f"{op}: {what}": n for (op, what), n in stats.errors.items()},
        "error_examples": stats.examples,
        "live_events_missed": missed_live,
        "most_sends_by_one_contact": most_sends,
        "cpu_seconds": {name: round(value, 1) for name, value in cpu.items()},
        "checked": checked,
        "table": rows,
    }
    (STATE_DIR / "load-results.json").write_text(json.dumps(summary, indent=2))
    lines = [
        *rows,
        "",
        f"{options.owners} owners and {options.owners * options.contacts:,} contacts, "
        f"{outcome['open_sockets']:,} live sockets open throughout; {requests:,} requests in "
        f"{elapsed:.0f} s ({requests / elapsed:.1f} a second) through nginx to two uvicorn "
        f"workers (DATABASE_POOL_SIZE={stack.pool_size} each), PostgreSQL, Redis and moto's S3. "
        f"Owners paused {options.owner_think:g} s on average between visits "
        f"({options.timeline_share:.0%} of them to the timeline, the rest to the inbox, adding up "
        f"to {options.accepts_per_visit} waiting sends each), contacts {options.contact_think:g} s "
        f"between sends; the most one contact sent was {most_sends} (the limit is 30 an hour).",
        "",
        f"Read back afterwards: {checked['sends_acknowledged']:,} sends acknowledged, "
        f"{checked['lost']} lost, {checked['duplicated']} duplicated "
        f"({checked['stored_unacknowledged']} stored without an acknowledgement); "
        f"{checked['accepts_acknowledged']:,} accepts acknowledged, {checked['accepts_lost']} "
        f"lost, {checked['accepts_duplicated']} duplicated; "
        f"{checked['ledgers_verified']} of {checked['diaries']} ledgers verify (files read "
        f"back from S3). Server errors: {stats.server_errors} answered, {len(logged)} logged. "
        f"Other errors: {sum(stats.errors.values()) - stats.server_errors}. "
        f"Live events not seen: {missed_live}.",
        "",
        f"CPU seconds used in the {wall:.0f} s from the first sign-in to the end, of "
        f"{wall * (os.cpu_count() or 1):.0f} the machine had (shared with other work): "
        + ", ".join(f"{name} {value:.0f}" for name, value in cpu.items())
        + ".",
        "",
        f"Machine: {summary['machine']}. Load average "
        f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after. {summary['when']}, "
        f"commit {summary['commit']}.",
    ]
    (STATE_DIR / "load-results.md").write_text("\n".join(lines) + "\n")
    print()
    print("\n".join(lines))
    if stats.errors:
        print("\nErrors:", json.dumps(summary["errors"], indent=2))
    passed = (
        checked["lost"] == 0
        and checked["duplicated"] == 0
        and checked["accepts_lost"] == 0
        and checked["accepts_duplicated"] == 0
        and not checked["ledgers_failed"]
        and stats.server_errors == 0
        and not logged
    )
    print("\nPASSED" if passed else "\nFAILED: see above")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
