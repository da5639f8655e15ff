"""Milvus for the index tests: an embedded Milvus Lite built once per session, and a `milvus-lite server`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.gunicorn import free_port
from index.milvus_archive import milvus_build
from index.milvus_store import MilvusStore


@dataclass
class MilvusIndex:
    uri: str
    corpus: Path


@pytest.fixture(scope="session")
def milvus_db(tmp_path_factory, corpus_dir, encoder) -> Iterator[MilvusIndex]:
    """The article in an embedded Milvus Lite (a .db folder in a temporary directory), built once.

    Tests that change it restore what they change (the archive test removes what it adds).
    """
    folder = tmp_path_factory.mktemp("milvus")
    corpus = folder / "corpus"
    shutil.copytree(corpus_dir, corpus)
    uri = str(folder / "index.db")
    milvus_build(corpus, MilvusStore(uri), encoder)
    yield MilvusIndex(uri, corpus)
    # Stopped here, not by milvus_lite's own exit hook, which logs to a stream pytest has closed by then.
    from milvus_lite import server_manager_instance

    server_manager_instance.release_all()


class MilvusServer:
    """`milvus-lite server` on a free loopback port, stopped by the test that started it."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        binary = Path(sys.executable).with_name("milvus-lite")
        self.proc = subprocess.Popen(
            [str(binary), "server", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                MilvusStore(self.uri, timeout=1).client.list_collections()
                return
            except Exception:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError("milvus-lite server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
