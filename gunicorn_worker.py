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

**Under load, a worker keeps to a core of its own.** While it has three or more requests in flight, a
worker's threads run on one core, a different one for each worker (``core``, given by the master
before the fork: the core fewest live workers hold); as soon as it has none, they may run anywhere
again. Busy workers left to the scheduler were at times put on one core together, or moved away
from the caches they had filled, while a core sat idle: with both pinned, c=16 throughput rose by
a tenth and the 99th percentile fell by a fifth (docs/performance.md, issue 15). Pinned at all
times, a worker answering one question at a time shares its core with whatever else runs there
(the client, a proxy) while the other core idles: c=1 latency rose by a quarter. So the pin is taken
at the third request in flight (``PIN_AT``) and dropped when the worker is idle, and one client at
a time costs nothing. Off (``WEB_PIN_CORES=0``) the scheduler places every thread, and so it does when
there are more workers than cores.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

# A worker takes its core at this many requests in flight. Not 2: one client asking again the moment
# it has its answer makes 2 for the microseconds before the previous request's thread is done, and
# the pin would come and go with every question of a single client.
PIN_AT = 3


def allowed_cores() -> set[int]:
    """The cores this process may run on (taskset, a cgroup's cpuset); none where the system cannot say
    or set it (not Linux), and so nothing is pinned there."""
    return os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else set()


def free_core(workers: Iterable[Any], cores: Iterable[int], total: int) -> int | None:
    """The core fewest of the live ``workers`` hold (their ``core``), the lowest of equals, for a new one
    of ``total`` workers; None with more workers than cores, or one core: pinning would then only
    take the scheduler's choices away."""
    allowed = sorted(cores)
    if len(allowed) < 2 or total > len(allowed):
        return None
    held = [getattr(w, "core", None) for w in workers]
    return min(allowed, key=lambda c: (held.count(c), c))


class BalancedThreadWorker(ThreadWorker):
    """``gthread`` that accepts while a thread is free, sheds a connection whose request waited, and
    keeps to one core under load."""

    # The core this worker's threads keep to while it is busy: set by the master before the fork
    # (gunicorn.conf.py's pre_fork, ``free_core``); None, never pinned.
    core: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pinned = False
        self._all_cores = allowed_cores()  # what the service was started with (taskset, a cgroup)
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
        if in_flight >= PIN_AT and self.core is not None and not self._pinned:
            self._pin({self.core})
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        try:
            return super().handle(conn)
        finally:
            with self._count:
                self.in_flight -= 1
                idle = self.in_flight == 0
            if idle and self._pinned:
                self._pin(None)

    def _pin(self, cores: set[int] | None) -> None:
        """Every thread of this worker onto ``cores``, or back onto every core the process may use (None).

        Affinity is a thread's own: each is set (/proc/self/task lists them; threads started later
        inherit their starter's). Under ``_count``, so a pin and an unpin never cross.
        """
        with self._count:
            if (cores is not None) == self._pinned:
                return  # already so
            if cores is None and self.in_flight:
                return  # busy again since it was idle
            target = cores if cores is not None else self._all_cores
            for task in os.listdir("/proc/self/task"):
                with contextlib.suppress(OSError):  # the thread ended meanwhile
                    os.sched_setaffinity(int(task), target)
            self._pinned = cores is not None

    def handle_request(self, req: Any, conn: Any) -> bool:
        if getattr(conn, "shed", False):
            req.must_close = True  # the response says "Connection: close"; gunicorn then closes it
        return bool(super().handle_request(req, conn))
