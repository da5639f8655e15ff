"""`memory://` rate-limit counts without a timer thread per request.

The ``limits`` library's in-memory storage expires counters from a ``threading.Timer`` of 10 ms that
it starts again on every count once the last one has run: under load, nearly one new thread per
request (about 165 µs to start here, and then a second thread contending for the interpreter lock
with the worker). Measured with ``python -m bench serve`` (docs/performance.md), the rate limit on
cost 5-10% of 16-way throughput.

This storage counts exactly as the library's does (it is its subclass: the same counters, locks and
fixed-window arithmetic; a counter past its expiry reads as zero and is dropped on that read), but
expired counters of clients that do not come back are swept inline, at most once a second, by
whichever request comes first. Defined with the library's ``memory`` scheme, it is what
``memory://`` means in this service once ``service.limits`` is imported (the library registers
storages by scheme as their classes are defined, the last one winning). Moving-window entries keep
the library's own expiry.
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

SWEEP_EVERY = 1.0  # seconds between sweeps of expired counters


class SweptMemoryStorage(MemoryStorage):
    """The library's in-memory storage, expiring counters lazily and sweeping inline (see the module)."""

    STORAGE_SCHEME = ["memory"]  # noqa: RUF012  (the library declares it so)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """As ``MemoryStorage.incr``, with the inline sweep in place of a timer."""
        self.get(key)
        self.sweep()
        with self.locks[key]:
            self.storage[key] += amount
            if self.storage[key] == amount:
                self.expirations[key] = time.time() + expiry
        return self.storage.get(key, 0)

    def decr(self, key: str, amount: int = 1) -> int:
        """As ``MemoryStorage.decr``, with the inline sweep in place of a timer."""
        self.get(key)
        self.sweep()
        with self.locks[key]:
            self.storage[key] = max(self.storage[key] - amount, 0)
        return self.storage.get(key, 0)

    def sweep(self, force: bool = False) -> int:
        """Drop every expired counter, at most once every ``SWEEP_EVERY`` seconds unless ``force``; how many."""
        now = time.time()
        if (now < self._next_sweep and not force) or not self._sweeping.acquire(blocking=False):
            return 0
        try:
            self._next_sweep = now + SWEEP_EVERY
            expired = [key for key, at in list(self.expirations.items()) if at <= now]
            for key in expired:
                with self.locks[key]:
                    if self.expirations.get(key, now + 1) <= now:
                        self.storage.pop(key, None)
                        self.expirations.pop(key, None)
                self.locks.pop(key, None)
            return len(expired)
        finally:
            self._sweeping.release()
