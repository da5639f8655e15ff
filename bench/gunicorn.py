"""A real gunicorn serving wsgi:app on a free loopback port, as `make run` starts it.

Shared by the benchmarks and the test suite, so every server they start is started, awaited and
stopped the same way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None, body: bytes | None = None) -> None:
    """Poll ``url`` until it answers 200 (a JSON POST of ``body`` when given); fail early if ``proc`` exits first."""
    deadline = time.monotonic() + timeout
    headers = {"Content-Type": "application/json"} if body is not None else {}
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=10) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB, from /proc/PID/smaps_rollup."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name] = int(rest.split()[0])
    return values["Rss"], values["Pss"]


def stop_process(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM (a graceful stop), and SIGKILL if ``proc`` has not ended within ``timeout`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def process_tree(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *(int(c) for c in children)]


class Gunicorn:
    """gunicorn -c gunicorn.conf.py wsgi:app with extra environment, its output kept in a file.

    ``command`` replaces ``-c gunicorn.conf.py wsgi:app`` (the floor: ``bench.serve.floor``); the
    port and worker count are passed through the environment either way.
    """

    def __init__(
        self, env: dict[str, str], workers: int = 2, command: list[str] | None = None, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers), **env}
        # A file, not a pipe: an unread pipe would fill with log lines and stall the server.
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *(command or ["-c", "gunicorn.conf.py", "wsgi:app"])],
            cwd=ROOT,
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, path: str = "/readyz", timeout: float = 120.0, body: bytes | None = None) -> float:
        """Wait until ``path`` answers 200 (to a POST of ``body`` when given); return the seconds since start."""
        wait_for(self.url + path, timeout, self.proc, body)
        return time.perf_counter() - self.started

    def stop(self) -> str:
        """SIGTERM (a graceful stop), then the log it wrote."""
        stop_process(self.proc)
        self.log.close()
        output = Path(self.log.name).read_text(errors="replace")
        Path(self.log.name).unlink(missing_ok=True)
        return output
