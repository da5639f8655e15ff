"""The redelivery check: Slack resends an event it thinks was lost, and each event is answered once.

A redelivery carries ``X-Slack-Retry-Num`` and the same ``event_id``, and may reach any gunicorn
worker, so the ids taken are kept in a small SQLite table every worker process shares.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from qa import sqlite

log = logging.getLogger(__name__)

EVENT_MEMORY_S = 24 * 3600  # how long an event id is remembered (Slack retries within minutes)


class SeenEvents:
    """Event ids already taken, in SQLite so every gunicorn worker sees the same set."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def first_time(self, event_id: str) -> bool:
        """Record ``event_id``; True when no process had recorded it before."""
        now = time.time()
        try:
            connection = sqlite.connect(self.path)
            try:
                with connection:
                    connection.execute(
                        "CREATE TABLE IF NOT EXISTS slack_events (event_id TEXT PRIMARY KEY, seen_at REAL NOT NULL)"
                    )
                    connection.execute("DELETE FROM slack_events WHERE seen_at < ?", (now - EVENT_MEMORY_S,))
                    cursor = connection.execute(
                        "INSERT OR IGNORE INTO slack_events (event_id, seen_at) VALUES (?, ?)", (event_id, now)
                    )
                return cursor.rowcount == 1
            finally:
                connection.close()
        except (sqlite3.Error, OSError) as exc:
            # Answering twice is better than never: without the table, take the event.
            log.error("slack: cannot record event %s (%s); answering it anyway", event_id, exc)
            return True
