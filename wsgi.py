"""WSGI entry point for gunicorn: ``gunicorn -c gunicorn.conf.py wsgi:app``.

A missing model or an unreadable setting stops the server in gunicorn.conf.py's ``on_starting``,
in one line, before any worker loads this; a broken index leaves the app up, answering 503.
"""

from service import create_app

app = create_app()
