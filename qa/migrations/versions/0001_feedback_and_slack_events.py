"""The first tables: ratings (``feedback``) and Slack's seen event ids (``slack_events``).

They are created only where missing, so a SQLite file the service made before migrations existed
(``QA_DATABASE_URL=sqlite:///var/feedback.sqlite3 python -m qa.db upgrade``) is taken as it is.

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("rating", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("passage_ids", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("rating IN ('up', 'down')", name="feedback_rating"),
        sqlite_autoincrement=True,
        if_not_exists=True,
    )
    op.create_table(
        "slack_events",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
        if_not_exists=True,
    )
    op.create_index("slack_events_seen_at", "slack_events", ["seen_at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_table("slack_events")
    op.drop_table("feedback")
