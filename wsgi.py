"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

import sys

from index import ModelError
from service import create_app

try:
    app = create_app()
    startup_error = app.extensions["qa"].error
except ModelError as exc:
    startup_error = exc
if isinstance(startup_error, ModelError):
    # Without a model nothing could ever be answered (unlike a broken index, which a rebuild fixes
    # while the process reports 503): say what to fix in one line rather than a traceback, and
    # exit with gunicorn's "app failed to load" status (4), which stops the master instead of
    # having it restart workers that would fail the same way.
    print(f"verviers-qa cannot start: {startup_error}", file=sys.stderr, flush=True)
    sys.exit(4)
