"""A bounded map that drops what was used least recently: the caches a worker's threads share.

The question cache, the speakers resolved by role and the passages' introductions (ranking.py), and
single words' vectors (counting.py) are each one of these: a lookup moves an entry to the front, and
past ``size`` entries the oldest goes. A size of 0 keeps nothing (the query cache switched off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most ``size`` entries, the least recently used dropped first; safe across threads (gunicorn gthread)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> tuple[bool, V | None]:
        """Whether ``key`` is held, and its value (now the most recent), or None."""
        with self._lock:
            if key not in self._items:
                return False, None
            self._items.move_to_end(key)
            return True, self._items[key]

    def put(self, key: K, value: V) -> None:
        """``value`` kept under ``key`` as the most recent, the least recent dropped past ``size``."""
        with self._lock:
            if not self.size:
                return
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[K]:
        """The keys, least recent first."""
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)
