"""Serving benchmark: start the service as `make run` does, load it with wrk, print one table.

    python -m bench serve [--duration 30] [--concurrency 1,4,16]

Loopback only, bounded in time. The question embedding cache is switched off for the main
figures (every request embeds its question), then measured on its own with the cache on.
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

from qa.answers import answer_sentences, compose_answer
from qa.pipeline import build_pipeline
from qa.settings import load_settings

from .gunicorn import Gunicorn, memory_kib, process_tree

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"

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
    """Median milliseconds per retrieval stage, in-process, cache off, over the dev questions."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    answerer = build_pipeline({**load_settings(), "QUERY_CACHE_SIZE": 0, "ENCODER": encoder}).require()
    stages: dict[str, list[float]] = {}
    for _ in range(n):
        for q in questions():
            started = time.perf_counter()
            result = answerer.retriever.search(q, top_k=3)
            t = time.perf_counter()
            compose_answer(answer_sentences(result.hits[0]), result.hits[0].passage)
            for k, v in result.timings_ms.items():
                stages.setdefault(k, []).append(v)
            stages.setdefault("answer", []).append((time.perf_counter() - t) * 1000)
            stages.setdefault("total", []).append((time.perf_counter() - started) * 1000)
    return {k: statistics.median(v) for k, v in stages.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench serve", description=__doc__)
    parser.add_argument("--duration", type=int, default=30, help="seconds per load level (at most 120)")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--encoder", choices=["onnx", "torch"], default="onnx", help="QA_ENCODER for the run")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    duration = max(1, min(args.duration, 120))
    levels = [int(c) for c in args.concurrency.split(",")]
    bodies = ",".join("[==[" + json.dumps({"question": q}) + "]==]" for q in questions())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % bodies)
        script = Path(f.name)
    # Rate limiting is a per-client guard, not what is measured here: wrk is one client.
    env = {
        "QA_RATELIMIT_ENABLED": "false",
        "QA_LOG_LEVEL": "WARNING",
        "QA_ENCODER": args.encoder,
    }
    rows = []
    service = Gunicorn({**env, "QA_QUERY_CACHE_SIZE": "0"}, args.workers)
    try:
        ready_s = service.wait_ready()
        wrk(service.url, script, 2, 3)  # warm-up
        for c in levels:
            rows.append((f"c={c} (no cache)", wrk(service.url, script, c, duration)))
        mem = {pid: memory_kib(pid) for pid in process_tree(service.proc.pid)}
    finally:
        service.stop()
    cached = Gunicorn(env, args.workers)
    try:
        cached_ready_s = cached.wait_ready()
        wrk(cached.url, script, 2, 3)  # fills the cache with every question
        rows.append((f"c={levels[-1]} (cache on)", wrk(cached.url, script, levels[-1], duration)))
    finally:
        cached.stop()
    print(
        f"\nService: gunicorn, {args.workers} sync workers, {args.encoder} encoder; "
        f"{len(questions())} dev questions in rotation, {duration} s per level, wrk on loopback.\n"
    )
    print("| load | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        errors = int(r["status_errors"] + r["other_errors"])
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {errors} |")
    print(f"\nStart to /readyz 200: {ready_s:.2f} s (cache-on instance: {cached_ready_s:.2f} s)")
    total_pss = sum(pss for _, pss in mem.values()) / 1024
    each = ", ".join(f"pid {p}: RSS {rss / 1024:.0f} MB, PSS {pss / 1024:.0f} MB" for p, (rss, pss) in mem.items())
    print(f"Memory after load: {each}; PSS sum {total_pss:.0f} MB")
    print("\nIn-process stages (median ms, cache off):")
    for k, v in stage_breakdown(args.encoder).items():
        print(f"  {k:10s} {v:6.2f}")
    script.unlink()
    return 0
