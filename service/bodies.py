"""A body over ``MAX_CONTENT_LENGTH`` is refused with 413 after it has been read, so the client gets the 413.

Refused unread, the body is still arriving when gunicorn closes the connection (as it does after
a response it does not keep alive, draining 64 KiB at most), and the kernel answers the rest with a
reset: an async client (httpx's, and so the MCP SDK's) then reports a broken connection, never
the 413. Reading the body first costs milliseconds for a few megabytes on loopback; past
``DRAIN_LIMIT`` the body is left unread and the client may see the reset, as before.
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

DRAIN_LIMIT = 16 * 1024 * 1024  # bytes read from a refused body at most
_CHUNK = 64 * 1024


def refuse_oversized_body() -> None:
    """Before any view: a declared body over the limit is read to its end, then refused with 413."""
    declared = request.content_length or 0
    if declared <= int(current_app.config["MAX_CONTENT_LENGTH"]):
        return
    if declared <= DRAIN_LIMIT:
        stream = request.environ["wsgi.input"]
        remaining = declared
        while remaining > 0 and (chunk := stream.read(min(_CHUNK, remaining))):
            remaining -= len(chunk)
    raise RequestEntityTooLarge()
