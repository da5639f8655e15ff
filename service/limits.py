"""Per-client rate limits (Flask-Limiter): questions and ratings share one budget per client address.

``RATELIMIT_ASK`` (default "300 per minute;5000 per hour") applies to the POST endpoints of the API
(/api/ask, /api/feedback), of the chat page, of the OpenAI-compatible endpoint (/v1/chat/completions)
and of the MCP server (/mcp). Counts live in memory by default,
so each gunicorn worker counts alone; ``RATELIMIT_STORAGE_URI=redis://host:6379`` shares them
between workers and instances. Should that store stop answering, each process falls back to
counting in memory (logged), rather than refusing every question or letting the error through.

A refused request gets 429 with ``Retry-After``: JSON ``{"error": {"code": "rate_limited", ...}}``
on the API, a short HTML page elsewhere (the chat page shows it to a person).
"""

from __future__ import annotations

import math
import time

from flask import Blueprint, Flask, Response
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from markupsafe import escape

from . import limit_storage  # noqa: F401  (its class registers as `memory://`: counts without a timer thread)
from .errors import _wants_json, error_response

# Blueprints whose POSTs (questions, ratings) count against RATELIMIT_ASK; GET pages are free.
LIMITED_BLUEPRINTS = ("api", "pages", "openai", "mcp")
EXEMPT_BLUEPRINTS = ("health",)


def init_rate_limits(app: Flask) -> Limiter:
    """Attach the limiter; call after every blueprint is registered."""
    limiter = Limiter(get_remote_address, app=app)  # storage, headers, fallback: RATELIMIT_* settings
    # The limit as a string, parsed once here: as a callable it was read and parsed on every request.
    shared = limiter.shared_limit(str(app.config["RATELIMIT_ASK"]), scope="questions", methods=["POST"])
    for blueprint in _registered(app, LIMITED_BLUEPRINTS):
        shared(blueprint)
    for blueprint in _registered(app, EXEMPT_BLUEPRINTS):
        limiter.exempt(blueprint)

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded) -> Response:
        message = f"Too many requests from your address: the limit is {exc.description}. Try again later."
        if _wants_json():
            response = error_response(429, "rate_limited", message)
        else:
            response = Response(
                "<!doctype html><html lang=en><meta charset=utf-8><title>Please wait a moment</title>"
                "<h1>Please wait a moment</h1>"
                f"<p>You have asked a lot of questions in a short time ({escape(exc.description)}). "
                "Please wait a minute, then try again.</p>"
                '<p><a href="/">Back to the questions</a></p></html>',
                429,
                mimetype="text/html",
            )
        response.headers["Retry-After"] = str(_retry_after(limiter))
        return response

    app.extensions["limiter"] = limiter
    return limiter


def _registered(app: Flask, names: tuple[str, ...]) -> list[Blueprint]:
    """The blueprints of ``names`` the app has registered.

    Flask types ``app.blueprints`` with its framework-neutral base class; Flask-Limiter treats
    anything but a ``flask.Blueprint`` as a view function, so the narrowing is checked, not assumed.
    """
    return [bp for name in names if isinstance(bp := app.blueprints.get(name), Blueprint)]


def _retry_after(limiter: Limiter) -> int:
    """Whole seconds until the breached window lets the client in again (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))
