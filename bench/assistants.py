"""The surfaces for assistants, measured: a question's latency through each, and MCP over HTTP served two ways.

    python -m bench assistants [--requests 100] [--concurrency 1,4,16]

Starts the service as `make run` does (gunicorn, 2 workers, the MCP server mounted at /mcp
through the WSGI bridge) and, for comparison, the MCP server in a process of its own
(``python -m assistants.mcp_server --http``, uvicorn). Then, with the real clients and the dev
questions in rotation (question cache off, so every request embeds its question):

1. one question at a time through /api/ask (for reference), /v1/chat/completions (OpenAI's
   client, plain and streamed), MCP over HTTP (the SDK's client; mounted, then the separate
   process) and MCP over stdio (the SDK's client launching ``python -m assistants.mcp_server``);
2. MCP ``tools/call`` under concurrent load, mounted against separate (raw JSON-RPC POSTs, as an
   assistant's host sends them, from one async client);
3. memory (PSS) of each arrangement.

Loopback only; every level is bounded by a request count. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx2
from mcp import Client, StdioServerParameters
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from .gunicorn import ROOT, Gunicorn, free_port, memory_kib, process_tree, stop_process
from .serve import questions

ENV = {"QA_RATELIMIT_ENABLED": "false", "QA_LOG_LEVEL": "warning", "QA_QUERY_CACHE_SIZE": "0"}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def tool_call(question: str, n: int = 1) -> dict:
    """An ``ask_article`` call as JSON-RPC: what an assistant's host POSTs to a stateless server."""
    arguments = {"question": question}
    return {
        "jsonrpc": "2.0",
        "id": n,
        "method": "tools/call",
        "params": {"name": "ask_article", "arguments": arguments},
    }


class McpProcess:
    """``python -m assistants.mcp_server --http`` on a free loopback port, stopped by ``stop``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistants.mcp_server", "--http", "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, "HF_HUB_OFFLINE": "1", **ENV},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds from start until a tool call is answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the MCP server exited with {self.proc.returncode}")
            try:
                response = httpx2.post(self.url, json=tool_call("Who is Marouane El Bali?"), headers=MCP_HEADERS)
                if response.status_code == 200:
                    return time.perf_counter() - self.started
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError("the MCP server did not answer")

    def stop(self) -> None:
        stop_process(self.proc, timeout=20)


def timed(call: Callable[[str], object], asked: list[str]) -> list[float]:
    """Milliseconds for each question, one at a time."""
    times = []
    for question in asked:
        started = time.perf_counter()
        call(question)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def timed_async(call: Callable[[str], Awaitable[object]], asked: list[str]) -> list[float]:
    times = []
    for question in asked:
        started = time.perf_counter()
        await call(question)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def mcp_latency(target: str | StdioServerParameters, asked: list[str]) -> list[float]:
    """One ``ask_article`` call at a time through the MCP SDK's client (after its handshake)."""

    async def ask(question: str) -> None:
        result = await client.call_tool("ask_article", {"question": question})
        if result.is_error:
            raise RuntimeError(f"tool error: {result.content}")

    async with Client(target) as client:
        await ask(asked[0])  # warm-up
        return await timed_async(ask, asked)


def openai_latency(base_url: str, asked: list[str], stream: bool) -> tuple[list[float], list[float]]:
    """Milliseconds to the whole reply (and, streamed, to its first text) through OpenAI's client."""
    client = OpenAI(base_url=base_url + "/v1", api_key="unused")
    whole, first = [], []
    for question in asked:
        started = time.perf_counter()
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": question}]
        if not stream:
            client.chat.completions.create(model="verviers-article", messages=messages)
        else:
            seen = None
            for chunk in client.chat.completions.create(model="verviers-article", messages=messages, stream=True):
                if seen is None and chunk.choices and chunk.choices[0].delta.content:
                    seen = time.perf_counter()
            first.append(((seen or time.perf_counter()) - started) * 1000)
        whole.append((time.perf_counter() - started) * 1000)
    client.close()
    return whole, first


async def load(url: str, asked: list[str], concurrency: int) -> dict[str, float]:
    """``len(asked)`` tool calls, ``concurrency`` at a time: req/s, p50 and p99 ms, errors."""
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for item in enumerate(asked):
        queue.put_nowait(item)
    times: list[float] = []
    errors = 0

    async def worker(client: httpx2.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            n, question = queue.get_nowait()
            started = time.perf_counter()
            response = await client.post(url, json=tool_call(question, n), headers=MCP_HEADERS)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or "result" not in response.json():
                errors += 1

    async with httpx2.AsyncClient(timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    times.sort()
    return {
        "rps": len(times) / seconds,
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
        "errors": errors,
    }


def pss_mb(pids: list[int]) -> float:
    return sum(memory_kib(pid)[1] for pid in pids) / 1024


def row(name: str, times: list[float]) -> str:
    times = sorted(times)
    p90 = times[int(len(times) * 0.9)]
    return f"| {name} | {statistics.median(times):.1f} | {p90:.1f} | {len(times)} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench assistants", description=__doc__)
    parser.add_argument("--requests", type=int, default=100, help="questions per measurement (at most 2000)")
    parser.add_argument("--concurrency", default="1,4,16")
    args = parser.parse_args(argv)
    n = max(10, min(args.requests, 2000))
    pool = questions()
    asked = [pool[i % len(pool)] for i in range(n)]
    levels = [int(c) for c in args.concurrency.split(",")]

    service = Gunicorn(ENV)
    separate = McpProcess()
    try:
        service.wait_ready()
        separate_ready = separate.wait_ready()
        tree = process_tree(service.proc.pid)
        pss_before = pss_mb(tree)
        http = httpx2.Client(base_url=service.url)
        timed(lambda q: http.post("/api/ask", json={"question": q}), asked[:5])  # warm-up
        latency = {
            "POST /api/ask (httpx, for reference)": timed(lambda q: http.post("/api/ask", json={"question": q}), asked)
        }
        http.close()
        plain, _ = openai_latency(service.url, asked, stream=False)
        streamed, first = openai_latency(service.url, asked, stream=True)
        latency["/v1/chat/completions, openai client"] = plain
        latency["/v1/chat/completions, openai client, stream (to [DONE])"] = streamed
        latency["/v1/chat/completions, stream, first text"] = first
        latency["MCP streamable HTTP, mounted /mcp (SDK client)"] = asyncio.run(
            mcp_latency(service.url + "/mcp", asked)
        )
        latency["MCP streamable HTTP, separate process (SDK client)"] = asyncio.run(mcp_latency(separate.url, asked))
        stdio = StdioServerParameters(command=sys.executable, args=["-m", "assistants.mcp_server"], env=ENV, cwd=ROOT)
        latency["MCP stdio (SDK client)"] = asyncio.run(mcp_latency(stdio, asked))

        loads = []
        for c in levels:
            loads.append((f"mounted /mcp, c={c}", asyncio.run(load(service.url + "/mcp", asked * 2, c))))
            loads.append((f"separate process, c={c}", asyncio.run(load(separate.url, asked * 2, c))))
        pss_service = pss_mb(tree)
        pss_separate = pss_mb([separate.proc.pid])
    finally:
        separate.stop()
        service.stop()

    print(f"\nOne question at a time: {n} dev questions, question cache off, loopback. Milliseconds.\n")
    print("| through | median | p90 | n |")
    print("|---|---:|---:|---:|")
    for name, times in latency.items():
        print(row(name, times))
    print(f"\nMCP tools/call under load ({2 * n} calls a level, one async client, raw JSON-RPC POSTs).\n")
    print("| served | req/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for name, r in loads:
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {int(r['errors'])} |")
    print(
        f"\nMemory (PSS): gunicorn master + 2 workers {pss_before:.0f} MB at start, {pss_service:.0f} MB after the "
        f"runs (MCP mounted and in use); the separate MCP process {pss_separate:.0f} MB more. "
        f"Separate process start to first answer: {separate_ready:.2f} s."
    )
    print(json.dumps({"latency_median_ms": {k: round(statistics.median(v), 2) for k, v in latency.items()}}))
    return 0
