"""qa.db: the schema made and migrated by a command, ratings on a real PostgreSQL, SQLite files as before."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from bench.gunicorn import ROOT, free_port
from qa.db import Database, head_revision, metadata
from qa.feedback import FeedbackError, FeedbackStore
from qa.settings import SettingError, load_settings

UPGRADE = "python -m qa.db upgrade"


def run(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` from the project, with QA_DATABASE_URL set to ``url`` (or unset)."""
    env = {k: v for k, v in os.environ.items() if k != "QA_DATABASE_URL"}
    if url is not None:
        env["QA_DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_makes_the_schema_from_empty_and_a_second_run_changes_nothing(empty_postgres_url):
    before = run("qa.db", "current", url=empty_postgres_url)
    assert before.returncode == 1 and f"no revision (empty); the latest is {head_revision()}: run {UPGRADE}" in (
        before.stdout
    )
    first = run("qa.db", "upgrade", url=empty_postgres_url)
    assert first.returncode == 0, first.stderr
    assert f"upgraded from empty to {head_revision()}" in first.stdout
    assert tables(empty_postgres_url) == {"feedback", "slack_events", "alembic_version"}
    second = run("qa.db", "upgrade", url=empty_postgres_url)
    assert second.returncode == 0 and f"already at {head_revision()}" in second.stdout
    after = run("qa.db", "current", url=empty_postgres_url)
    assert after.returncode == 0 and f"at {head_revision()} (the latest)" in after.stdout


def test_two_upgrades_at_once_both_succeed_and_one_does_the_work(empty_postgres_url):
    # Two instances deploying together: the advisory lock makes the second wait, then find nothing to do.
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda _: run("qa.db", "upgrade", "--url", empty_postgres_url), range(2)))
    assert [d.returncode for d in done] == [0, 0], [d.stderr for d in done]
    assert sorted("upgraded from empty" in d.stdout for d in done) == [False, True]


def test_the_migrations_end_at_the_tables_the_code_defines(postgres_url):
    engine = create_engine(postgres_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    finally:
        engine.dispose()


def test_the_command_needs_a_database_url_and_shows_no_password():
    unset = run("qa.db", "upgrade")
    assert unset.returncode == 1 and "QA_DATABASE_URL is not set" in unset.stderr and "Traceback" not in unset.stderr
    down = run("qa.db", "current", "--url", f"postgresql://qa:s3cret@127.0.0.1:{free_port()}/qa")
    assert down.returncode == 1 and "Connection refused" in down.stderr
    assert "s3cret" not in down.stderr and "Traceback" not in down.stderr


def test_a_database_url_of_another_kind_is_refused_without_echoing_it():
    with pytest.raises(SettingError) as caught:
        load_settings({"QA_DATABASE_URL": "mysql://qa:s3cret@db/qa"})
    assert str(caught.value) == "QA_DATABASE_URL must be a URL starting with postgresql:// or sqlite://."
    assert load_settings({"QA_DATABASE_URL": "postgresql://qa@db/qa"})["DATABASE_URL"] == "postgresql://qa@db/qa"


def test_ratings_round_trip_through_postgresql(postgres_url):
    store = FeedbackStore(Database(postgres_url))
    first = store.record("up", "Who is El Bali?", "A suspect. [1]", ["verviers-raid:6:1"], source="api")
    second = store.record("down", "Where?", "Verviers. [1]", [], source="slack", comment="too short")
    assert second > first
    rows = FeedbackStore(Database(postgres_url)).all()  # another store, as another worker would be
    assert [(r["id"], r["rating"], r["question"], r["source"], r["comment"]) for r in rows] == [
        (first, "up", "Who is El Bali?", "api", ""),
        (second, "down", "Where?", "slack", "too short"),
    ]
    assert rows[0]["passage_ids"] == ["verviers-raid:6:1"] and rows[0]["created_at"].endswith("Z")


def test_export_reads_the_ratings_from_postgresql(postgres_url):
    FeedbackStore(Database(postgres_url)).record("up", "Q1", "A1", ["d:1:1"], source="web")
    FeedbackStore(Database(postgres_url)).record("down", "Q2", "A2", [], source="slack")
    for out in (run("qa.feedback", "export", url=postgres_url), run("qa.feedback", "export", "--db", postgres_url)):
        assert out.returncode == 0 and out.stderr == ""
        rows = [json.loads(line) for line in out.stdout.splitlines()]
        assert [(r["question"], r["rating"], r["passage_ids"]) for r in rows] == [
            ("Q1", "up", ["d:1:1"]),
            ("Q2", "down", []),
        ]


def test_a_database_that_is_not_migrated_refuses_ratings_until_it_is(empty_postgres_url):
    store = FeedbackStore(Database(empty_postgres_url))
    with pytest.raises(FeedbackError) as caught:
        store.record("up", "q", "a", [], source="api")
    assert not caught.value.full and UPGRADE in str(caught.value)
    assert "feedback" not in tables(empty_postgres_url)  # the service never makes a migrated schema itself
    assert run("qa.db", "upgrade", url=empty_postgres_url).returncode == 0
    assert store.record("up", "q", "a", [], source="api") == 1  # the same store, no restart


def test_a_database_that_cannot_be_reached_is_said_so(caplog):
    url = f"postgresql://qa@127.0.0.1:{free_port()}/qa"
    with pytest.raises(FeedbackError) as caught:
        FeedbackStore(Database(url)).record("down", "q", "a", [], source="web")
    assert str(caught.value) == "Feedback could not be stored: the database cannot be reached just now."
    assert not caught.value.full
    assert "a rating (down, from web) was not stored" in caplog.text
    export = run("qa.feedback", "export", url=url)
    assert export.returncode == 1 and "Traceback" not in export.stderr
    assert export.stderr.splitlines()[-1] == "error: Ratings could not be read: the database cannot be reached just now"
    assert "Connection refused" in export.stderr  # the driver's words, logged for the operator


OLD_SCHEMA = """
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    passage_ids TEXT NOT NULL,
    source TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
)
"""


def test_a_sqlite_file_from_before_keeps_working_and_can_be_adopted_by_the_migrations(tmp_path):
    db = tmp_path / "feedback.sqlite3"
    connection = sqlite3.connect(db)
    with connection:
        connection.execute(OLD_SCHEMA)
        connection.execute(
            "INSERT INTO feedback (created_at, rating, question, answer, passage_ids, source)"
            " VALUES ('2025-01-15T10:00:00Z', 'up', 'Old?', 'Yes. [1]', '[\"d:1:1\"]', 'web')"
        )
    connection.close()
    store = FeedbackStore(db)
    assert store.record("down", "New?", "No.", [], source="api") == 2
    assert [(r["id"], r["question"], r["passage_ids"]) for r in store.all()] == [
        (1, "Old?", ["d:1:1"]),
        (2, "New?", []),
    ]
    assert tables(f"sqlite:///{db}") == {"feedback"}  # no table of the other file's in it
    adopted = run("qa.db", "upgrade", "--url", f"sqlite:///{db}")
    assert adopted.returncode == 0, adopted.stderr
    assert run("qa.db", "current", "--url", f"sqlite:///{db}").returncode == 0
    assert [r["question"] for r in FeedbackStore(Database(f"sqlite:///{db}")).all()] == ["Old?", "New?"]


def test_a_sqlite_file_is_made_when_first_written_not_when_read(tmp_path):
    db = tmp_path / "var" / "feedback.sqlite3"
    assert FeedbackStore(db).all() == [] and not db.exists()
    FeedbackStore(db).record("up", "q", "a", [], source="web")
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        connection.close()
