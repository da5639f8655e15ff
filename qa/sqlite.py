"""Opening the small SQLite databases the service keeps (ratings, Slack's seen events), one way."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection to ``path`` (its folder made if needed), in WAL mode, waiting up to 10 s for a lock.

    WAL means a process killed mid-write never leaves a corrupt file, and readers never block the
    writer; every gunicorn worker opens its own connection per call, so nothing is shared across a fork.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=10)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection
