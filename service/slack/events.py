"""The redelivery check: Slack resends an event it thinks was lost, and each event is answered once.

A redelivery carries ``X-Slack-Retry-Num`` and the same ``event_id``, and may reach any gunicorn
worker of any instance, so the ids taken are kept in the ``slack_events`` table of ``qa.db``
(a SQLite file every worker on the machine shares, or PostgreSQL shared by every instance).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from qa.db import Database, DatabaseError, insert_or_ignore, slack_events

log = logging.getLogger(__name__)

EVENT_MEMORY_S = 24 * 3600  # how long an event id is remembered (Slack retries within minutes)


class SeenEvents:
    """Event ids already taken, in a database every worker sees (or the SQLite file at a path)."""

    def __init__(self, db: Database | Path | str) -> None:
        self.db = db if isinstance(db, Database) else Database.sqlite_file(db, slack_events)

    def first_time(self, event_id: str) -> bool:
        """Record ``event_id``; True when no process had recorded it before."""
        now = time.time()
        try:
            with self.db.begin() as connection:
                connection.execute(slack_events.delete().where(slack_events.c.seen_at < now - EVENT_MEMORY_S))
                taken = insert_or_ignore(connection, slack_events).values(event_id=event_id, seen_at=now)
                # RETURNING gives the row only when it was inserted, on either backend.
                first = connection.execute(taken.returning(slack_events.c.event_id)).first() is not None
            return first
        except DatabaseError as exc:
            # Answering twice is better than never: without the table, take the event.
            log.error("slack: cannot record event %s (%s); answering it anyway", event_id, exc)
            return True
