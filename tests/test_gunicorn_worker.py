"""The service's gunicorn worker (gunicorn_worker.py) in a real gunicorn: connections go where a thread is free,
and a busy worker keeps to a core of its own.

Which worker holds a connection is read from /proc: the worker process whose file descriptors include
the server side of it; which cores a worker's threads may run on, from /proc too.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.gunicorn import process_tree
from gunicorn_worker import free_core

from .conftest import QUESTION, Server, wait_ready

BODY = json.dumps({"question": QUESTION})
# A long question keeps the one thread busy for tens of milliseconds (the model reads up to 256 tokens), so
# requests sent together reach the worker while the first is still being answered.
SLOW_BODY = json.dumps({"question": " ".join([QUESTION.rstrip("?")] * 20) + "?"})
HEADERS = {"Content-Type": "application/json"}


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:  # closed meanwhile
            continue
        if str(target).startswith("socket:["):
            inodes.add(str(target)[8:-1])
    return inodes


def holders(server: Server, client_ports: list[int]) -> dict[int, int]:
    """Each client port's worker pid (the process holding the server's end of that connection)."""
    server_end: dict[str, int] = {}  # inode -> client port
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server.port and remote_port in client_ports:
            server_end[fields[9]] = remote_port
    found = {}
    for pid in process_tree(server.proc.pid)[1:]:  # the workers, without the master
        for inode in _socket_inodes(pid) & server_end.keys():
            found[server_end[inode]] = pid
    return found


def started(index_dir: Path, corpus_dir: Path, feedback_dir: Path, workers: int, threads: int) -> Iterator[Server]:
    """A gunicorn over the session's index with ``workers`` workers of ``threads`` threads, stopped after use."""
    env = {
        "QA_INDEX_DIR": str(index_dir),
        "QA_CORPUS_DIR": str(corpus_dir),
        "QA_FEEDBACK_DB": str(feedback_dir / "feedback.sqlite3"),
        "QA_QUERY_CACHE_SIZE": "0",
        "WEB_THREADS": str(threads),
    }
    srv = Server(env, workers=workers)
    try:
        wait_ready(srv.url + "/readyz")
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def two_by_two(index_dir, corpus_dir, tmp_path_factory):
    """Two workers of two threads each."""
    yield from started(index_dir, corpus_dir, tmp_path_factory.mktemp("worker"), workers=2, threads=2)


@pytest.fixture(scope="module")
def two_by_four(index_dir, corpus_dir, tmp_path_factory):
    """Two workers of four threads each: enough requests in flight for a worker to take its core."""
    yield from started(index_dir, corpus_dir, tmp_path_factory.mktemp("worker4"), workers=2, threads=4)


@pytest.fixture(scope="module")
def one_thread(index_dir, corpus_dir, tmp_path_factory):
    """One worker with one thread: a second request at the same time has to wait."""
    yield from started(index_dir, corpus_dir, tmp_path_factory.mktemp("worker1"), workers=1, threads=1)


def test_clients_connecting_at_once_are_shared_between_the_workers(two_by_two):
    """Four connections opened together: a worker takes two (its threads) and leaves two to the other."""
    clients = [socket.create_connection(("127.0.0.1", two_by_two.port)) for _ in range(4)]
    try:
        ports = [c.getsockname()[1] for c in clients]
        deadline = time.monotonic() + 3  # well within gunicorn's 5-s wait for a request's first bytes
        found: dict[int, int] = {}
        while time.monotonic() < deadline and len(found) < 4:
            found = holders(two_by_two, ports)
            time.sleep(0.02)
        assert len(found) == 4, "not every connection was accepted"
        per_worker: dict[int, int] = {}
        for pid in found.values():
            per_worker[pid] = per_worker.get(pid, 0) + 1
        assert sorted(per_worker.values()) == [2, 2]
        # and each is served
        request = (
            f"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n{BODY}"
        ).encode()
        for c in clients:
            c.sendall(request)
        for c in clients:
            c.settimeout(30)
            assert c.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        for c in clients:
            c.close()


def test_one_client_at_a_time_keeps_its_connection(one_thread):
    conn = http.client.HTTPConnection("127.0.0.1", one_thread.port, timeout=30)
    try:
        for _ in range(3):
            conn.request("POST", "/api/ask", BODY, HEADERS)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200 and resp.getheader("Connection") != "close"
        assert conn.sock is not None  # the same socket throughout
    finally:
        conn.close()


def test_a_request_that_waited_for_a_thread_closes_its_connection_with_the_answer(one_thread):
    """Three kept-alive connections ask at once of one thread: the one it takes first is answered and stays; the
    two that waited are answered with "Connection: close", so their next request goes to whichever worker is free."""
    conns = [http.client.HTTPConnection("127.0.0.1", one_thread.port, timeout=30) for _ in range(3)]
    try:
        for conn in conns:  # one after another: each answered and kept alive
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            assert resp.getheader("Connection") != "close"
        time.sleep(0.2)  # the thread done with the last of them (an answer is sent before its thread is free)
        for conn in conns:  # now together: a long question takes tens of milliseconds, the three sends microseconds
            conn.request("POST", "/api/ask", SLOW_BODY, HEADERS)
        replies = []
        for conn in conns:
            resp = conn.getresponse()
            replies.append((resp.status, resp.getheader("Connection"), json.loads(resp.read())))
        assert all(status == 200 and "answer" in data for status, _, data in replies)
        kept = [conn for conn, (_, header, _) in zip(conns, replies, strict=True) if header != "close"]
        assert len(kept) == 1  # the one the thread took first (the worker's poll decides which)
        kept[0].request("GET", "/healthz")  # still open and served
        assert kept[0].getresponse().status == 200
    finally:
        for conn in conns:
            conn.close()


def test_a_new_worker_gets_the_core_fewest_live_workers_hold():
    workers = [SimpleNamespace(core=0)]
    assert free_core([], [0, 1], total=2) == 0
    assert free_core(workers, [0, 1], total=2) == 1
    assert free_core([SimpleNamespace(core=1)], [0, 1], total=2) == 0  # a replacement takes the dead one's core
    assert free_core(workers, [0, 1], total=3) is None  # more workers than cores: the scheduler decides
    assert free_core([], [3], total=1) is None  # one core: nothing to choose


def thread_core_lists(pid: int) -> set[str]:
    """The core lists (as /proc writes them) that the threads of process ``pid`` may run on."""
    lists: set[str] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        lists.update(line.split()[1] for line in status.splitlines() if line.startswith("Cpus_allowed_list:"))
    return lists


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pinning needs two cores to choose from")
def test_a_busy_worker_keeps_to_a_core_of_its_own_and_lets_go_when_idle(two_by_four):
    """Eight clients asking in a loop keep both workers busy: each worker's threads all run on one core, not
    the other worker's; once the clients stop, every thread may run anywhere again."""
    workers = process_tree(two_by_four.proc.pid)[1:]
    everywhere = {allowed for pid in workers for allowed in thread_core_lists(pid)}
    assert len(everywhere) == 1  # idle: all threads on every core the service may use
    stop = threading.Event()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", two_by_four.port, timeout=30)
        try:
            while not stop.is_set():
                conn.request("POST", "/api/ask", SLOW_BODY, HEADERS)
                resp = conn.getresponse()
                resp.read()
                if resp.getheader("Connection") == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", two_by_four.port, timeout=30)
        finally:
            conn.close()

    clients = [threading.Thread(target=client) for _ in range(8)]
    for c in clients:
        c.start()
    try:

        def each_on_one_core(seen: dict[int, set[str]]) -> bool:
            return all(len(lists) == 1 and lists != everywhere for lists in seen.values())

        seen = {pid: thread_core_lists(pid) for pid in workers}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not each_on_one_core(seen):
            time.sleep(0.05)
            seen = {pid: thread_core_lists(pid) for pid in workers}
        assert each_on_one_core(seen), f"not pinned under load: {seen}"
        pinned = {next(iter(lists)) for lists in seen.values()}
        assert len(pinned) == 2  # one core each, not the same one
    finally:
        stop.set()
        for c in clients:
            c.join()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and {a for pid in workers for a in thread_core_lists(pid)} != everywhere:
        time.sleep(0.05)
    assert {a for pid in workers for a in thread_core_lists(pid)} == everywhere  # idle again: let go
