"""Where the service keeps what its processes share: ratings, and Slack's seen event ids.

    python -m qa.db upgrade [--url URL]   # create the tables, or bring them to the latest revision
    python -m qa.db current [--url URL]   # the revision the database is at; exit 0 only at the latest

One storage layer (SQLAlchemy Core, the tables defined once below) over two backends:

- **SQLite**, the default: a file each (``QA_FEEDBACK_DB``, ``QA_SLACK_EVENTS_DB``), in WAL mode,
  its table made on first use as it always was: nothing to set up. Every worker on one machine
  shares the files.
- **PostgreSQL**, with ``QA_DATABASE_URL``: one database for both tables, shared by every worker
  of every instance. Its schema belongs to the Alembic migrations in ``qa/migrations/``, applied
  by the command above at deploy time and never by the service, whose workers would otherwise
  race to migrate. The service checks the revision instead, and says what to run when it is behind.

Whatever goes wrong (the database down, its tables missing or behind, its disk full) surfaces as
``DatabaseError`` with a sentence a user can be shown: no host, path or password in it. The
driver's own message goes to the log.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import psycopg.errors
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    URL,
    CheckConstraint,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    make_url,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql.dml import Insert

from .settings import SettingError, load_settings

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE = "python -m qa.db upgrade"
EVENTS_FILE = "slack_events.sqlite3"  # beside the feedback file unless QA_SLACK_EVENTS_DB says otherwise

UNREACHABLE = "the database cannot be reached just now"
NOT_MIGRATED = f"the database's tables are missing or out of date (an operator must run {UPGRADE})"
FULL = "the database or its disk is full"

metadata = MetaData()

# The columns, types and constraint of the SQLite files made before SQLAlchemy, so those files
# are read and written as they are. ``created_at`` stays ISO 8601 text ("2025-01-15T10:00:00Z")
# and ``passage_ids`` a JSON list as text, the same on both backends, as the export writes them.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("rating", Text, CheckConstraint("rating IN ('up', 'down')", name="feedback_rating"), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("passage_ids", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    sqlite_autoincrement=True,  # an id is never reused, as in the files made before
)

slack_events = Table(
    "slack_events",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("seen_at", Float, nullable=False),  # seconds since the epoch
    Index("slack_events_seen_at", "seen_at"),  # each event deletes those older than a day
)


class DatabaseError(Exception):
    """The database could not be used; the message can be shown to a user.

    ``full`` tells a database with no room left (the caller can do nothing about it but report
    it) from one that cannot be reached or is not migrated (worth trying again later).
    """

    def __init__(self, message: str, *, full: bool = False) -> None:
        super().__init__(message)
        self.full = full


def database_url(raw: str | URL) -> URL:
    """``raw`` as a SQLAlchemy URL: ``postgresql://`` and ``postgres://`` are taken through psycopg (3)."""
    try:
        url = make_url(raw.strip() if isinstance(raw, str) else raw)
    except ArgumentError:
        raise SettingError("QA_DATABASE_URL is not a database URL (postgresql://user@host:5432/db).") from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


class Database:
    """One database, reached through one SQLAlchemy engine per process.

    ``creates`` names the tables it makes itself when they are missing (a SQLite file the service
    owns); without them its schema is the migrations', checked once per process before first use.

    The engine is made in the process that first uses it, never inherited: a gunicorn worker makes
    its own after the fork, and one made before a fork (a preloaded app) is given an empty pool in
    the child, which leaves the parent's connections alone (``dispose(close=False)``). SQLite opens
    a connection per call (``NullPool``), as it always did: opening a file costs microseconds, and a
    connection never outlives its call. PostgreSQL keeps a small pool per worker, since a
    connection costs a TCP and authentication round trip: a worker answers up to WEB_THREADS requests at
    once (and Bolt's listener threads may want a few more), so past the one pooled connection a few
    more are opened and closed as needed, and each
    connection is pinged before use, so a restarted database costs no failed request.
    """

    def __init__(self, url: str | URL, creates: tuple[Table, ...] = ()) -> None:
        self.url = database_url(url)
        self.creates = creates
        self._engine: Engine | None = None
        self._pid = 0
        self._prepared = False
        self._lock = threading.Lock()  # a worker's threads make one engine between them

    @classmethod
    def sqlite_file(cls, path: Path | str, *tables: Table) -> Database:
        """A SQLite file at ``path`` that makes ``tables`` when they are missing."""
        return cls(URL.create("sqlite", database=str(path)), creates=tables)

    @property
    def path(self) -> Path | None:
        """The file, for a SQLite database; None for a server."""
        if self.url.get_backend_name() == "sqlite" and self.url.database not in (None, "", ":memory:"):
            return Path(str(self.url.database))
        return None

    @property
    def migrated(self) -> bool:
        """True when the schema is the migrations' (``python -m qa.db upgrade``), not made by the service."""
        return not self.creates

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    def engine(self) -> Engine:
        """This process's engine, made on first use."""
        with self._lock:
            if self._engine is None:
                self._engine = self._make_engine()
            elif self._pid != os.getpid():
                self._engine.dispose(close=False)
            self._pid = os.getpid()
            return self._engine

    def _make_engine(self) -> Engine:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.url.get_backend_name() == "sqlite":
            engine = create_engine(self.url, poolclass=NullPool, connect_args={"timeout": 10})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        # A database that does not answer fails a request in 3 s (5 s waiting for a pooled connection),
        # well within gunicorn's 30 s timeout.
        connect_args = {} if "connect_timeout" in self.url.query else {"connect_timeout": 3}
        engine = create_engine(
            self.url, pool_size=1, max_overflow=4, pool_timeout=5, pool_pre_ping=True, connect_args=connect_args
        )
        weakref.finalize(self, _close_pool, engine, os.getpid())
        return engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction, committed when the block ends; any failure as ``DatabaseError``."""
        try:
            with self.engine().begin() as connection:
                if not self._prepared:
                    self._prepare(connection)
                yield connection
        except SQLAlchemyError as exc:
            log.error("database %r: %s", self, driver_message(exc))
            raise self._failure(exc) from None
        except OSError as exc:  # the SQLite file's folder cannot be made
            log.error("database %r: %s", self, exc)
            raise DatabaseError(UNREACHABLE) from None

    def _prepare(self, connection: Connection) -> None:
        """Make the tables (a SQLite file), or check the migrations reached ours; once per process."""
        if self.creates:
            for table in self.creates:
                connection.execute(CreateTable(table, if_not_exists=True))
                for index in table.indexes:
                    connection.execute(CreateIndex(index, if_not_exists=True))
        elif not schema_is_current(connection):
            raise DatabaseError(NOT_MIGRATED)
        self._prepared = True

    def _failure(self, exc: SQLAlchemyError) -> DatabaseError:
        """The error a user is shown for ``exc``: full, not migrated, or (anything else) unreachable."""
        cause = getattr(exc, "orig", None) or exc
        if (
            isinstance(cause, psycopg.errors.DiskFull)
            or getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        ):
            return DatabaseError(FULL, full=True)
        missing = psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn
        if isinstance(cause, missing) or str(cause).startswith(("no such table", "no such column")):
            self._prepared = False  # the tables went away: check the revision again next time
            return DatabaseError(NOT_MIGRATED)
        return DatabaseError(UNREACHABLE)

    def problem(self) -> str | None:
        """What keeps the database from being used now, as a sentence; None when it can be.

        A SQLite file the service makes is not opened (it is made when first written). Nothing is
        logged: the caller (a readiness probe, every few seconds) reports it.
        """
        if not self.migrated:
            return None
        try:
            with self.engine().connect() as connection:
                return None if schema_is_current(connection) else NOT_MIGRATED
        except SQLAlchemyError as exc:
            return str(self._failure(exc))


def _close_pool(engine: Engine, pid: int) -> None:
    """Close the pooled connections of a database no longer used (or at exit), in the process that opened them."""
    if os.getpid() == pid:
        engine.dispose()


def _sqlite_pragmas(connection: sqlite3.Connection, _record: object) -> None:
    """WAL: a process killed mid-write never leaves a corrupt file, and readers never block the writer."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


def driver_message(exc: SQLAlchemyError) -> str:
    """The driver's own words for ``exc``, on one line: for the log, never for a user."""
    return " ".join(str(getattr(exc, "orig", None) or exc).split())


def insert_or_ignore(connection: Connection, table: Table) -> Insert:
    """An INSERT that leaves an existing row with the same key alone (``ON CONFLICT DO NOTHING``)."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite_dialect}[connection.dialect.name]
    return dialect.insert(table).on_conflict_do_nothing()


@dataclass(frozen=True)
class Databases:
    """Where the service's shared state lives: the ratings, and Slack's seen event ids."""

    feedback: Database
    slack_events: Database

    @property
    def shared(self) -> Database | None:
        """The one migrated database both tables are in (``DATABASE_URL``); None with the SQLite files."""
        return self.feedback if self.feedback.migrated else None


def open_databases(settings: Mapping[str, Any]) -> Databases:
    """One database for both tables when ``DATABASE_URL`` is set; else a SQLite file each, made when first used."""
    if settings["DATABASE_URL"]:
        shared = Database(settings["DATABASE_URL"])
        return Databases(feedback=shared, slack_events=shared)
    feedback_file = Path(settings["FEEDBACK_DB"])
    events_file = settings["SLACK_EVENTS_DB"] or feedback_file.with_name(EVENTS_FILE)
    return Databases(
        feedback=Database.sqlite_file(feedback_file, feedback),
        slack_events=Database.sqlite_file(events_file, slack_events),
    )


# ------------------------------------------------------------------------------------------ migrations


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's settings, without an alembic.ini: the scripts in qa/migrations/, run on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The latest revision, the one this code's tables are."""
    head = _scripts().get_current_head()
    if head is None:  # qa/migrations/versions/ is part of the code
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions the database is at; empty when it was never migrated."""
    return MigrationContext.configure(connection).get_current_heads()


def schema_is_current(connection: Connection) -> bool:
    """True when the database is at the latest revision, or past it.

    A revision this code does not know was written by a later release: its migrations keep the
    tables usable by the release before (rolling deploys migrate first), so it is accepted.
    """
    known = {script.revision for script in _scripts().walk_revisions()}
    revisions = current_revisions(connection)
    return head_revision() in revisions or any(revision not in known for revision in revisions)


def upgrade(url: str | URL) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Apply the migrations the database lacks, in one transaction; (revisions before, after).

    On PostgreSQL an advisory lock makes a second ``upgrade`` started meanwhile (two instances
    deploying at once) wait for the first, then find nothing left to do.
    """
    engine = create_engine(make_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('qa.db upgrade'))"))
            before = current_revisions(connection)
            command.upgrade(alembic_config(connection), "head")
            return before, current_revisions(connection)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qa.db", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["upgrade", "current"])
    parser.add_argument("--url", default=None, help="database URL (default: QA_DATABASE_URL)")
    args = parser.parse_args(argv)
    try:
        raw = args.url or load_settings()["DATABASE_URL"]
        if not raw:
            raise SettingError(
                "QA_DATABASE_URL is not set. Without it ratings and Slack's event ids live in SQLite files, "
                "which the service makes itself: there is nothing to migrate."
            )
        url = database_url(raw)
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    shown = url.render_as_string(hide_password=True)
    head = head_revision()
    try:
        if args.command == "upgrade":
            before, after = upgrade(url)
            was = ", ".join(before) or "empty"
            print(f"{shown}: {'already at' if before == after else f'upgraded from {was} to'} {', '.join(after)}")
            return 0
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                revisions, current = current_revisions(connection), schema_is_current(connection)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        print(f"error: {shown}: {driver_message(exc)}", file=sys.stderr)
        return 1
    at = ", ".join(revisions) or "no revision (empty)"
    if not current:
        print(f"{shown}: at {at}; the latest is {head}: run {UPGRADE}")
        return 1
    print(f"{shown}: at {at}" + (" (the latest)" if head in revisions else f" (past {head}, from a later release)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
