"""Reader feedback (👍 / 👎 on an answer), kept so it can become evaluation questions.

    python -m qa.feedback export [--db PATH|URL] [--out FILE]   # JSONL, one rating a line

The ratings live in the ``feedback`` table of ``qa.db``: a SQLite file by default (WAL mode, so a
process killed mid-write never leaves a corrupt file), PostgreSQL when ``QA_DATABASE_URL`` is set.
A rating that cannot be stored (the database down, not migrated, or full) raises
``FeedbackError`` with a message for the user, never a half row and never silence.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from sqlalchemy import select

from .db import Database, DatabaseError, feedback, open_databases
from .settings import SettingError, load_settings

log = logging.getLogger(__name__)


class FeedbackError(DatabaseError):
    """The feedback could not be stored; ``full`` when the database has no room, else it cannot be used now."""


class FeedbackStore:
    """The ratings table, in a ``Database`` (or the SQLite file at a path); safe across threads and forks."""

    def __init__(self, db: Database | Path | str) -> None:
        self.db = db if isinstance(db, Database) else Database.sqlite_file(db, feedback)

    def record(
        self, rating: str, question: str, answer: str, passage_ids: list[str], source: str, comment: str = ""
    ) -> int:
        """Store one rating; return its id."""
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        row = {
            "created_at": created,
            "rating": rating,
            "question": question,
            "answer": answer,
            "passage_ids": json.dumps(passage_ids),
            "source": source,
            "comment": comment,
        }
        try:
            with self.db.begin() as connection:
                row_id: int = connection.execute(feedback.insert().values(row).returning(feedback.c.id)).scalar_one()
        except DatabaseError as exc:
            log.error("feedback: a rating (%s, from %s) was not stored: %s", rating, source, exc)
            raise FeedbackError(f"Feedback could not be stored: {exc}.", full=exc.full) from None
        return row_id

    def all(self) -> list[dict]:
        """Every rating, oldest first; raises ``DatabaseError`` when the database cannot be read."""
        if self.db.path is not None and not self.db.path.exists():
            return []  # a SQLite file nothing was ever stored in; not made just to be read
        with self.db.begin() as connection:
            rows = connection.execute(select(feedback).order_by(feedback.c.id)).mappings().all()
        return [{**row, "passage_ids": json.loads(row["passage_ids"])} for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qa.feedback", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["export"])
    parser.add_argument(
        "--db", default=None, help="SQLite file or database URL (default: QA_DATABASE_URL, else QA_FEEDBACK_DB)"
    )
    parser.add_argument("--out", default="-", help="output file, - for standard output")
    args = parser.parse_args(argv)
    try:
        if args.db is None:
            store = FeedbackStore(open_databases(load_settings()).feedback)
        elif "://" in args.db:
            store = FeedbackStore(Database(args.db))
        else:
            store = FeedbackStore(args.db)
        rows = store.all()
    except (SettingError, DatabaseError) as exc:
        print(f"error: Ratings could not be read: {exc}", file=sys.stderr)
        return 1
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.out == "-":
        sys.stdout.write(lines)
    else:
        Path(args.out).write_text(lines, encoding="utf-8")
        print(f"wrote {len(rows)} ratings to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
