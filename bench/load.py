"""HTTP load with wrk (Debian's `wrk`, C, event-driven): a few percent of one core even at 32
connections, so on two cores the server keeps one to itself and the figures are the server's.

wrk records every request's latency in a histogram with microsecond resolution; the Lua `done`
hook prints the percentiles and error counts as one JSON line, which `parse` reads. Responses of
400 and above count as errors, and a run with any error is refused rather than reported.
"""

import json
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

MARK = "BENCH-JSON "

DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

# POSTs that rotate through several cookies (one per sender), each thread starting elsewhere.
ROTATE = r"""
local bodies = {BODIES}
local headers = {HEADERS}
local n = 0
started = 0
setup = function(thread)
  thread:set("offset", started)
  started = started + 1
end
request = function()
  n = n + 1
  local i = ((n + (offset or 0) * 7) % #headers) + 1
  return wrk.format("POST", nil, headers[i], bodies[((n - 1) % #bodies) + 1])
end
"""


class LoadError(RuntimeError):
    pass


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    rps: float
    errors: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def parse(output: str) -> Load:
    """The figures from wrk's output (the line our `done` hook prints)."""
    for line in output.splitlines():
        if line.startswith(MARK):
            raw = json.loads(line[len(MARK) :])
            break
    else:
        raise LoadError(f"wrk printed no figures:\n{output}")
    seconds = raw["duration_us"] / 1_000_000
    errors = sum(raw[key] for key in ("connect", "read", "write", "status", "timeout"))
    return Load(
        requests=raw["requests"],
        seconds=round(seconds, 3),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        rps=round(raw["requests"] / seconds, 1) if seconds else 0.0,
        errors=errors,
    )


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def rotate_script(headers: Sequence[dict[str, str]], bodies: Sequence[str]) -> str:
    tables = ", ".join(
        "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in h.items()) + "}"
        for h in headers
    )
    texts = ", ".join(_lua_string(body) for body in bodies)
    return ROTATE.replace("{HEADERS}", "{" + tables + "}").replace("{BODIES}", "{" + texts + "}")


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    script: str = "",
) -> Load:
    """Run wrk against `url` and return its figures; refuse a run that had any error."""
    threads = min(connections, 2)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + DONE)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        lua.name,
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    finally:
        Path(lua.name).unlink()
    if done.returncode != 0:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    load = parse(done.stdout)
    if load.errors:
        raise LoadError(f"{load.errors} of {load.requests} requests to {url} failed")
    if not load.requests:
        raise LoadError(f"no request to {url} completed")
    return load
