"""SeenEvents: a Slack event is taken once, whichever process sees it first, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bench.gunicorn import free_port
from qa.db import Database, slack_events
from service.slack.events import EVENT_MEMORY_S, SeenEvents


@pytest.fixture(params=["sqlite", "postgresql"])
def events_db(request, tmp_path) -> Database:
    """The seen events' database as the service opens it: a SQLite file it makes, or a migrated PostgreSQL."""
    if request.param == "sqlite":
        return Database.sqlite_file(tmp_path / "slack_events.sqlite3", slack_events)
    return Database(request.getfixturevalue("postgres_url"))


def test_a_redelivered_event_is_taken_once_across_processes(events_db):
    # Two SeenEvents with their own engine and connections, as two gunicorn workers (or instances) have.
    first_worker, second_worker = SeenEvents(events_db), SeenEvents(Database(events_db.url, events_db.creates))
    assert first_worker.first_time("Ev1") is True
    assert second_worker.first_time("Ev1") is False  # Slack's redelivery, at the other worker
    assert first_worker.first_time("Ev1") is False
    assert second_worker.first_time("Ev2") is True


def test_events_older_than_a_day_are_forgotten(events_db):
    seen = SeenEvents(events_db)
    with events_db.begin() as connection:
        connection.execute(slack_events.insert().values(event_id="EvOld", seen_at=time.time() - EVENT_MEMORY_S - 60))
    assert seen.first_time("EvNew") is True
    with events_db.begin() as connection:
        assert connection.execute(select(slack_events.c.event_id)).scalars().all() == ["EvNew"]


def test_when_the_database_is_down_the_event_is_answered_and_logged(caplog):
    seen = SeenEvents(Database(f"postgresql://qa@127.0.0.1:{free_port()}/qa"))
    assert seen.first_time("EvDown") is True
    assert seen.first_time("EvDown") is True  # answering twice is better than never
    assert "slack: cannot record event EvDown (the database cannot be reached just now); answering it anyway" in (
        caplog.text
    )
