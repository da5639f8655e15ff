"""Reader feedback (👍 / 👎 on an answer), kept in SQLite so it can become evaluation questions.

    python -m qa.feedback export [--db PATH] [--out FILE]   # JSONL, one rating a line

The database runs in WAL mode, so a process killed mid-write never leaves a corrupt file, and a
full disk or a read-only path surfaces as ``FeedbackError`` with a message, never a half row.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

from . import sqlite
from .settings import SettingError, load_settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
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


class FeedbackError(Exception):
    """The feedback could not be stored (disk full, read-only path ...)."""


class FeedbackStore:
    """A small SQLite table of ratings; one connection per call, so it is safe across threads and forks."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite.connect(self.path)
        connection.execute(SCHEMA)
        return connection

    def record(
        self, rating: str, question: str, answer: str, passage_ids: list[str], source: str, comment: str = ""
    ) -> int:
        """Store one rating; return its id."""
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        try:
            connection = self._connect()
            try:
                with connection:
                    cursor = connection.execute(
                        "INSERT INTO feedback (created_at, rating, question, answer, passage_ids, source, comment)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (created, rating, question, answer, json.dumps(passage_ids), source, comment),
                    )
                if cursor.lastrowid is None:  # set by every INSERT; typed as optional
                    raise sqlite3.Error("no row id after the insert")
                return cursor.lastrowid
            finally:
                connection.close()
        except (sqlite3.Error, OSError) as exc:
            raise FeedbackError(f"Feedback could not be stored: {exc}.") from None

    def all(self) -> list[dict]:
        """Every rating, oldest first."""
        if not self.path.exists():
            return []
        connection = self._connect()
        try:
            connection.row_factory = sqlite3.Row
            rows = connection.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        finally:
            connection.close()
        return [{**dict(row), "passage_ids": json.loads(row["passage_ids"])} for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qa.feedback", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["export"])
    parser.add_argument("--db", default=None, help="SQLite file (default: QA_FEEDBACK_DB or the app default)")
    parser.add_argument("--out", default="-", help="output file, - for standard output")
    args = parser.parse_args(argv)
    try:
        db = args.db or load_settings()["FEEDBACK_DB"]
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = FeedbackStore(db).all()
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.out == "-":
        sys.stdout.write(lines)
    else:
        Path(args.out).write_text(lines, encoding="utf-8")
        print(f"wrote {len(rows)} ratings to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
