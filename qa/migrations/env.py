"""Alembic's entry point, as ``python -m qa.db`` runs it: on the connection it hands over, in its transaction.

There is no alembic.ini: ``qa.db.alembic_config`` names this folder and passes the connection.
"""

from alembic import context

from qa.db import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
