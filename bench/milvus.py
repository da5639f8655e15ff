"""A real `milvus-lite server` on a free loopback port, as several processes share Milvus Lite.

Milvus Lite's embedded mode (a ``.db`` path) is locked by the one process that opens it, so two
gunicorn workers, two instances or a benchmark and its server need the server mode. Shared by the
benchmarks and the tests, so every Milvus they start is started, awaited and stopped the same way.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from index.milvus_store import MilvusStore

from .gunicorn import free_port, memory_kib, stop_process


class MilvusLiteServer:
    """``milvus-lite server`` keeping its data in ``data_dir``; ``stop()`` ends it."""

    def __init__(self, data_dir: Path, timeout: float = 60.0) -> None:
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        binary = Path(sys.executable).with_name("milvus-lite")
        self.proc = subprocess.Popen(
            [str(binary), "server", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited with {self.proc.returncode}")
            try:
                MilvusStore(self.uri, timeout=1).client.list_collections()
                return
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"milvus-lite server did not answer within {timeout} s") from None
                time.sleep(0.2)

    def rss_kib(self) -> int:
        """The server's resident memory, KiB."""
        return memory_kib(self.proc.pid)[0]

    def stop(self) -> None:
        stop_process(self.proc)

    def __enter__(self) -> MilvusLiteServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
