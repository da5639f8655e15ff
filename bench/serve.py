"""Serving benchmark: the service as `make run` starts it beside the floor, loaded in turn by wrk.

    python -m bench serve [--duration 30] [--concurrency 1,16] [--rounds 3] [--no-floor]

Four servers are started together and stay up: the service with the question cache and the rate
limit off (the main figures: every request embeds its question), the floor (../shared/bench/floor_app.py:
encode, exact FAISS, top 3 as JSON, under the same gunicorn), the service with the rate limit on
(memory://, a limit wrk never reaches) and the service with the cache on. Each round loads each of
them at each concurrency, in an order that rotates from round to round, so the host's drift
falls on all of them; the ratios to the floor are taken within a round, then their median is
printed. Loopback only, bounded in time (rounds x servers x levels x duration).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from qa.answers import answer_sentences, compose_answer
from qa.pipeline import build_pipeline
from qa.settings import load_settings

from .gunicorn import Gunicorn, free_port, memory_kib, process_tree

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
FLOOR_DIR = ROOT.parent / "shared" / "bench"

LUA = """
local bodies = {%s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/api/ask", {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT p50=%%.3f p95=%%.3f p99=%%.3f requests=%%d seconds=%%.3f status_errors=%%d other_errors=%%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def questions() -> list[str]:
    path = EVAL / "questions.jsonl"
    if path.exists():
        return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return ["How did El Bali try to escape?", "Who is Virginie Taelman?", "Where was Abaaoud killed?"]


def wrk(url: str, script: Path, concurrency: int, seconds: int) -> dict:
    threads = min(concurrency, 2)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    fields = dict(re.findall(r"(\w+)=([\d.]+)", out.split("RESULT", 1)[1]))
    result = {k: float(v) for k, v in fields.items()}
    result["rps"] = result["requests"] / result["seconds"]
    return result


def stage_breakdown(encoder: str = "onnx", n: int = 3) -> dict[str, float]:
    """Median milliseconds per stage of a question, in-process, cache off, one math thread (as served).

    The retriever's own stages, then the answer's sentences and text, the abstention checks
    (coverage, answer type), and ``ask`` whole (follow-up handling and the reply's model included).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    answerer = build_pipeline({**load_settings(), "QUERY_CACHE_SIZE": 0, "ENCODER": encoder}).require()
    stages: dict[str, list[float]] = {}
    with threadpool_limits(1):
        for _ in range(n):
            for q in questions():
                started = time.perf_counter()
                result = answerer.retriever.search(q, top_k=3)
                t = time.perf_counter()
                span = answer_sentences(result.hits[0])
                compose_answer(span, result.hits[0].passage)
                t_answer = time.perf_counter()
                answerer.options.abstention.judge(q, answerer.retriever, result, span)
                t_judge = time.perf_counter()
                for k, v in result.timings_ms.items():
                    stages.setdefault(k, []).append(v)
                stages.setdefault("answer", []).append((t_answer - t) * 1000)
                stages.setdefault("abstention", []).append((t_judge - t_answer) * 1000)
                stages.setdefault("total", []).append((t_judge - started) * 1000)
                t = time.perf_counter()
                answerer.ask(q)
                stages.setdefault("ask", []).append((time.perf_counter() - t) * 1000)
    return {k: statistics.median(v) for k, v in stages.items()}


def floor(workers: int, index_dir: Path) -> Gunicorn:
    """The floor under gunicorn as its README starts it, on our exported graph and passage vectors."""
    from index.encoder import default_model_dir

    env = {"FLOOR_MODEL_DIR": str(default_model_dir()), "FLOOR_INDEX_DIR": str(index_dir)}
    port = free_port()
    # gunicorn reads ./gunicorn.conf.py when started here: the floor's sync workers, one thread each, are said
    # outright, or it would run as the service does (gthread, 8 threads: slower and with a longer tail).
    command = ["-w", str(workers), "-k", "sync", "--threads", "1", "-b", f"127.0.0.1:{port}", "--no-control-socket"]
    return Gunicorn(env, workers, [*command, "--pythonpath", str(FLOOR_DIR), "floor_app:app"], port=port)


def median_row(runs: list[dict]) -> dict:
    """The median of each figure over rounds; errors are summed."""
    row = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p95", "p99")}
    row["errors"] = int(sum(r["status_errors"] + r["other_errors"] for r in runs))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench serve", description=__doc__)
    parser.add_argument("--duration", type=int, default=30, help="seconds per load level and round (at most 120)")
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (at most 10)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--encoder", choices=["onnx", "torch"], default="onnx", help="QA_ENCODER for the run")
    parser.add_argument("--no-floor", action="store_true", help="the service alone, without the floor")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    duration = max(1, min(args.duration, 120))
    rounds = max(1, min(args.rounds, 10))
    levels = [int(c) for c in args.concurrency.split(",")]
    bodies = ",".join("[==[" + json.dumps({"question": q}) + "]==]" for q in questions())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % bodies)
        script = Path(f.name)
    # Rate limiting is a per-client guard, off for the main figures: wrk is one client. The
    # "limits on" server counts every request in memory against a limit wrk never reaches.
    env = {"QA_RATELIMIT_ENABLED": "false", "QA_LOG_LEVEL": "WARNING", "QA_ENCODER": args.encoder}
    no_cache = {**env, "QA_QUERY_CACHE_SIZE": "0"}
    limited = {
        **no_cache,
        "QA_RATELIMIT_ENABLED": "true",
        "QA_RATELIMIT_STORAGE_URI": "memory://",
        "QA_RATELIMIT_ASK": "100000000 per minute",
    }
    servers: dict[str, Gunicorn] = {}
    ready: dict[str, float] = {}
    results: dict[tuple[str, int], list[dict]] = {}
    mem: dict[int, tuple[int, int]] = {}
    try:
        servers["service"] = Gunicorn(no_cache, args.workers)
        if not args.no_floor:
            servers["floor"] = floor(args.workers, Path(load_settings()["INDEX_DIR"]))
        servers["service, limits on"] = Gunicorn(limited, args.workers)
        servers["service, cache on"] = Gunicorn(env, args.workers)
        probe = json.dumps({"question": questions()[0]}).encode()
        for name, server in servers.items():
            ready[name] = server.wait_ready("/api/ask", body=probe) if name == "floor" else server.wait_ready()
            wrk(server.url, script, 2, 3)  # warm-up; fills the cache of the cache-on server with every question
        names = list(servers)
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for c in levels:
                for name in order:
                    results.setdefault((name, c), []).append(wrk(servers[name].url, script, c, duration))
        mem = {pid: memory_kib(pid) for pid in process_tree(servers["service"].proc.pid)}
    finally:
        for server in servers.values():
            server.stop()
    print(
        f"\nService: gunicorn, {args.workers} workers (gunicorn_worker.py, gthread), {args.encoder} encoder; "
        f"{len(questions())} dev "
        f"questions in rotation; {rounds} rounds x {duration} s per server and level, alternated; wrk on "
        "loopback. Medians over the rounds.\n"
    )
    print("| server | load | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (name, c), runs in results.items():
        row = median_row(runs)
        print(
            f"| {name} | c={c} | {row['rps']:.0f} | {row['p50']:.1f} | {row['p95']:.1f} | {row['p99']:.1f} "
            f"| {row['errors']} |"
        )
    if "floor" in servers:
        print("\nRatios to the floor, within each round (median; each round):")
        low, high = levels[0], levels[-1]
        for name in (n for n in servers if n != "floor"):
            figures = [
                (f"c={low} p50", "p50", low),
                (f"c={high} req/s", "rps", high),
                (f"c={high} p99", "p99", high),
            ]
            parts = []
            for label, key, c in figures:
                ratios = [s[key] / f[key] for s, f in zip(results[(name, c)], results[("floor", c)], strict=True)]
                parts.append(f"{label} {statistics.median(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)})")
            print(f"  {name}: " + "; ".join(parts))
    print("\nStart to ready: " + ", ".join(f"{name} {s:.2f} s" for name, s in ready.items()))
    total_pss = sum(pss for _, pss in mem.values()) / 1024
    each = ", ".join(f"pid {p}: RSS {rss / 1024:.0f} MB, PSS {pss / 1024:.0f} MB" for p, (rss, pss) in mem.items())
    print(f"Memory of the service after load: {each}; PSS sum {total_pss:.0f} MB")
    print("\nIn-process stages (median ms, cache off):")
    for k, v in stage_breakdown(args.encoder).items():
        print(f"  {k:10s} {v:6.2f}")
    script.unlink()
    return 0
