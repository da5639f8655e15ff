"""service.limit_storage: memory:// counts as the library counts, without a timer thread per request."""

from __future__ import annotations

import threading
import time

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

import service.limits  # noqa: F401  (registers the storage as memory://)
from service.limit_storage import SweptMemoryStorage


def test_memory_uri_is_this_storage():
    assert type(storage_from_string("memory://")) is SweptMemoryStorage


def test_it_limits_as_the_librarys_own_storage():
    """The same fixed-window decisions, hit for hit, as the library's MemoryStorage."""
    ours, theirs = SweptMemoryStorage(), MemoryStorage.__new__(MemoryStorage)
    MemoryStorage.__init__(theirs)
    limit = parse("5 per minute")
    a, b = FixedWindowRateLimiter(ours), FixedWindowRateLimiter(theirs)
    decisions = [(a.hit(limit, "client", str(n % 2)), b.hit(limit, "client", str(n % 2))) for n in range(14)]
    assert [x for x, _ in decisions] == [y for _, y in decisions]
    assert [x for x, _ in decisions].count(True) == 10  # five for each of the two keys
    assert a.get_window_stats(limit, "client", "0").remaining == b.get_window_stats(limit, "client", "0").remaining == 0


def test_a_counter_past_its_expiry_reads_as_zero():
    storage = SweptMemoryStorage()
    assert storage.incr("k", expiry=0.05) == 1
    assert storage.incr("k", expiry=0.05) == 2
    time.sleep(0.08)
    assert storage.get("k") == 0
    assert storage.incr("k", expiry=0.05) == 1


def test_expired_counters_of_clients_who_do_not_return_are_swept():
    storage = SweptMemoryStorage()
    time.sleep(0.05)  # the one timer the library's constructor starts has run; none runs after it
    for n in range(50):
        storage.incr(f"gone-{n}", expiry=0.01)
    time.sleep(0.03)
    assert storage.sweep(force=True) == 50
    assert not storage.storage and not storage.expirations


def test_counting_starts_no_thread():
    storage = SweptMemoryStorage()
    time.sleep(0.05)  # the library's constructor starts one timer of 10 ms
    before = threading.active_count()
    for n in range(300):
        storage.incr(f"client-{n % 7}", expiry=60)
    assert threading.active_count() == before
