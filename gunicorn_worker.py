"""The service's gunicorn worker: gthread, taking a connection only while it has a thread free for it.

gunicorn's ``gthread`` worker accepts every connection it is offered, up to ``worker_connections``
(1,000), and keeps each alive between requests. When several clients connect at once (a proxy's
pool, a load generator, a page's parallel requests), the worker that wakes first can take all of
them, and keep-alive then ties every later request on them to that worker while the other workers
idle: measured with wrk's 16 connections against 2 workers, some rounds ran on one worker alone
(its CPU time 9 s of a 6-s round, the other's 0.01 s), half the throughput and twice the latency
(docs/performance.md, issue 15).

This worker balances by what it is doing rather than by what it holds:

- **it accepts only while a thread is free** (requests in flight below ``threads``), so a busy
  worker leaves new connections in the listen queue for one that is not;
- **a connection whose request had to queue is closed after its answer** (``Connection: close`` on
  that response, so the client knows before it sends again): its next request reconnects and goes to
  whichever worker has a thread free. Closing with the response, never after it, avoids the race a
  client meets when a kept-alive connection is closed under a request it has just sent.

One request at a time nothing changes (one connection, kept alive). The count is of requests, not
of threads: a request that arrives while a thread is finishing its previous one (its answer sent,
its bookkeeping not done) counts as waiting, and its connection is closed when it need not have
been; that costs one reconnection, never an answer. Everything else is gunicorn's
``ThreadWorker`` (pinned in requirements.txt), whose hooks this uses: ``enqueue_req`` and
``handle`` (a request's own thread) keep the count of requests in flight.
"""

from __future__ import annotations

import threading
from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    """``gthread`` that accepts while a thread is free and sheds a connection whose request waited."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Requests handed to the thread pool whose thread has not yet finished with them. Counted up on the
        # main thread and down by the request's own thread as soon as it is done (not when the main thread
        # later files the connection away): a client that has its answer may already be asking again.
        self.in_flight = 0
        self._count = threading.Lock()

    def _thread_free(self) -> bool:
        return self.in_flight < self.cfg.threads

    def set_accept_enabled(self, enabled: bool) -> None:
        # gunicorn's loop asks to accept while it holds fewer than worker_connections connections;
        # accepting also needs a free thread. The loop asks again on its next turn, after a request ends.
        super().set_accept_enabled(enabled and self._thread_free())

    def accept(self, listener: Any) -> None:
        # Events are dispatched from one poll: the listener can still be reported in the poll that
        # filled the last thread. The connection then stays in the listen queue for another worker.
        if self._thread_free():
            super().accept(listener)

    def enqueue_req(self, conn: Any) -> None:
        with self._count:
            self.in_flight += 1
            in_flight = self.in_flight
        # Every thread busy before this one: the request waits, and its connection is let go after it.
        conn.shed = in_flight > self.cfg.threads
        if in_flight >= self.cfg.threads:
            super().set_accept_enabled(False)
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        try:
            return super().handle(conn)
        finally:
            with self._count:
                self.in_flight -= 1

    def handle_request(self, req: Any, conn: Any) -> bool:
        if getattr(conn, "shed", False):
            req.must_close = True  # the response says "Connection: close"; gunicorn then closes it
        return bool(super().handle_request(req, conn))
