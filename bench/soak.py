"""Soak and flood test: gunicorn under steady load for a while, memory sampled, one client flooding.

    python -m bench.soak --minutes 5            # several minutes, figures in docs/operations.md
    python -m bench.soak --minutes 0.4 --json   # what the test suite runs

Starts its own gunicorn (2 workers, loopback, a free port, rate limit ``--limit`` per client),
then for the whole run ``--clients`` clients each ask (and now and then rate an answer) at
``--rate`` requests a second, each from its own loopback address (127.0.3.N), so each is its own
rate-limit client. During the middle third a flooding client (127.0.4.1) sends as fast as it can,
at most ``--flood-max`` requests. The RSS and PSS of the master and the workers are read from
/proc every ``--sample-every`` seconds.

Passes when: the steady clients got no error at all (flood or not); the flood was refused with
429 once over its limit; and memory is flat: total PSS at the end is within ``--growth`` (10 %)
of the first sample after warm-up. Everything is bounded in time and count, and loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path

from .gunicorn import Gunicorn, memory_kib, process_tree

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How did El Bali try to escape?",
    "Who is Virginie Taelman?",
    "Where was Abaaoud killed?",
    "Where were the Kalashnikovs originally purchased?",
    "What happened in Verviers?",
    "Who were the two men killed in the raid?",
    "What is the capital of Australia?",
    "What did the police find in the apartment?",
]


def request(port: int, path: str, body: dict | None, source: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(
            "POST" if body is not None else "GET", path, body=payload, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def run(
    seconds: float,
    clients: int = 4,
    rate: float = 2.0,
    limit: str = "300 per minute",
    flood_max: int = 3000,
    sample_every: float = 5.0,
    warmup: float | None = None,
    growth: float = 0.10,
    workers: int = 2,
    env: dict[str, str] | None = None,
) -> dict:
    """Run the soak; return the figures and whether each criterion passed."""
    server = Gunicorn({"QA_RATELIMIT_ASK": limit, **(env or {})}, workers)
    try:
        server.wait_ready()
        return _drive(server, seconds, clients, rate, flood_max, sample_every, warmup, growth)
    finally:
        server.stop()


def _drive(server, seconds, clients, rate, flood_max, sample_every, warmup, growth) -> dict:
    start = time.monotonic()
    end = start + seconds
    flood_window = (start + seconds / 3, start + 2 * seconds / 3)
    lock = threading.Lock()
    steady: dict[str, int] = {}
    latencies: list[float] = []
    flood: dict[str, int] = {}
    samples: list[dict] = []

    def steady_client(n: int) -> None:
        source, k = f"127.0.3.{n + 1}", n
        while (now := time.monotonic()) < end:
            k += 1
            question = QUESTIONS[k % len(QUESTIONS)]
            body: dict[str, object]
            if k % 10 == 0:
                path, body = "/api/feedback", {"rating": "up", "question": question, "answer": "soak. [1]"}
            else:
                path, body = "/api/ask", {"question": question, "top_k": 1 + k % 5}
            t0 = time.perf_counter()
            try:
                status = str(request(server.port, path, body, source))
            except OSError as exc:
                status = type(exc).__name__
            with lock:
                steady[status] = steady.get(status, 0) + 1
                latencies.append(time.perf_counter() - t0)
            time.sleep(max(0.0, 1 / rate - (time.monotonic() - now)))

    def flooder() -> None:
        while time.monotonic() < flood_window[0]:
            time.sleep(0.1)
        sent = 0
        while time.monotonic() < flood_window[1] and sent < flood_max:
            sent += 1
            try:
                status = str(request(server.port, "/api/ask", {"question": QUESTIONS[sent % 3]}, "127.0.4.1"))
            except OSError as exc:
                status = type(exc).__name__
            with lock:
                flood[status] = flood.get(status, 0) + 1

    threads = [threading.Thread(target=steady_client, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=flooder))
    for t in threads:
        t.start()
    while time.monotonic() < end:
        pids = process_tree(server.proc.pid)
        mems = [memory_kib(pid) for pid in pids]
        samples.append(
            {
                "t": round(time.monotonic() - start, 1),
                "processes": len(pids),
                "rss_mib": round(sum(r for r, _ in mems) / 1024, 1),
                "pss_mib": round(sum(p for _, p in mems) / 1024, 1),
            }
        )
        time.sleep(min(sample_every, max(0.0, end - time.monotonic())))
    for t in threads:
        t.join()

    warm = warmup if warmup is not None else min(60.0, seconds / 4)
    after_warmup = next((s for s in samples if s["t"] >= warm), samples[-1])
    last = samples[-1]
    pss_growth = (last["pss_mib"] - after_warmup["pss_mib"]) / after_warmup["pss_mib"]
    ok_steady = set(steady) <= {"200", "201"}
    ok_flood = flood.get("429", 0) > 0 and set(flood) <= {"200", "429"}
    latencies.sort()
    report = {
        "seconds": seconds,
        "clients": clients,
        "rate_per_client": rate,
        "steady_requests": steady,
        "steady_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "steady_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1) if latencies else None,
        "flood_requests": flood,
        "memory_samples": len(samples),
        "memory_after_warmup": after_warmup,
        "memory_last": last,
        "memory_max_pss_mib": max(s["pss_mib"] for s in samples),
        "pss_growth": round(pss_growth, 4),
        "growth_bound": growth,
        "ok_steady": ok_steady,
        "ok_flood": ok_flood,
        "ok_memory": pss_growth <= growth,
    }
    report["ok"] = report["ok_steady"] and report["ok_flood"] and report["ok_memory"]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=2.0, help="requests a second per steady client")
    parser.add_argument("--limit", default="300 per minute", help="QA_RATELIMIT_ASK for the run")
    parser.add_argument("--flood-max", type=int, default=3000)
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--growth", type=float, default=0.10, help="allowed PSS growth after warm-up (fraction)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 60:
        parser.error("--minutes must be in (0, 60]")
    report = run(
        args.minutes * 60, args.clients, args.rate, args.limit, args.flood_max, args.sample_every, growth=args.growth
    )
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:22} {value}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
