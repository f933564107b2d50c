"""Live: the time from a witness's POST to the owner's websocket hearing of it.

The owner's socket is open on one server; each sample starts the clock, sends a witness's POST
(to the same server, or to another process sharing Redis) and stops the clock when the socket
delivers the inbox event for that submission. Samples run one after another.
"""

import asyncio
import http.client
import json
import math
import statistics
import time
from typing import Any

from websockets.asyncio.client import connect

WARMUP = 5


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with `share` of the samples at or below."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _post(port: int, witness_key: str, csrf: str, text: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/witness/submissions/",
            body=json.dumps({"kind": "saw", "what_happened": text}),
            headers={
                "Content-Type": "application/json",
                "Cookie": f"w={witness_key}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


async def _measure(
    owner_port: int,
    post_port: int,
    owner_cookie: str,
    witness_keys: list[str],
    csrf: str,
    samples: int,
) -> list[float]:
    url = f"ws://127.0.0.1:{owner_port}/ws/diary/"
    headers = {"Cookie": owner_cookie, "Origin": f"http://127.0.0.1:{owner_port}"}
    timings: list[float] = []
    async with connect(url, additional_headers=headers, max_size=None) as socket:
        for n in range(WARMUP + samples):
            key = witness_keys[n % len(witness_keys)]
            text = f"Live sample {n}"
            started = time.perf_counter()
            sent = asyncio.create_task(asyncio.to_thread(_post, post_port, key, csrf, text))
            while True:
                event = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
                if event.get("event") == "inbox" and text in event.get("html", ""):
                    break
            heard = time.perf_counter() - started
            status = await sent
            if status != 201:
                raise RuntimeError(f"a witness's POST answered {status}, not 201")
            if n >= WARMUP:
                timings.append(heard * 1000)
    return timings


def measure(
    *,
    owner_port: int,
    post_port: int,
    owner_cookie: str,
    witness_keys: list[str],
    csrf: str,
    samples: int,
) -> dict[str, Any]:
    timings = asyncio.run(
        _measure(owner_port, post_port, owner_cookie, witness_keys, csrf, samples)
    )
    return {
        "samples": len(timings),
        "p50_ms": round(percentile(timings, 0.50), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "max_ms": round(max(timings), 2),
    }
