"""index.lru: the bounded, thread-shared map behind the question cache, the speakers and the word vectors."""

from __future__ import annotations

import threading

from index.lru import LRU


def test_the_least_recently_used_entry_goes_first():
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == (True, 1)  # "a" is now the most recent ...
    cache.put("c", 3)  # ... so "b" goes
    assert list(cache) == ["a", "c"] and "b" not in cache and len(cache) == 2
    assert cache.get("b") == (False, None)


def test_a_value_of_none_is_told_from_a_missing_key():
    cache: LRU[str, str | None] = LRU(2)
    cache.put("his lawyers", None)
    assert cache.get("his lawyers") == (True, None)
    assert cache.get("the gardener") == (False, None)


def test_size_zero_keeps_nothing():
    cache: LRU[str, int] = LRU(0)
    cache.put("a", 1)
    assert not cache and cache.get("a") == (False, None)


def test_threads_share_it_within_its_bound():
    cache: LRU[int, int] = LRU(50)

    def fill(start: int) -> None:
        for i in range(start, start + 200):
            cache.put(i, i)
            cache.get(i - 1)

    threads = [threading.Thread(target=fill, args=(n * 1000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50 and all(cache.get(k) == (True, k) for k in list(cache))
