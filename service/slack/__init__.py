"""The Slack bot: ``/ask``, @mentions (threads are follow-ups) and direct messages, with 👍 / 👎 feedback.

Built on Bolt for Python and mounted by ``init_slack`` at ``/slack/events``, where Slack posts
events, the slash command and button clicks. This module is the edge: a request is refused with
401 unless it carries Slack's v0 signature made within the last five minutes, then with 400 if
its body is not what Slack sends; only then does Bolt see it (``bot.py``). Neither is an error
of ours, so neither is logged as one.

- ``text.py``: the bot's fixed replies; cutting, escaping and reading Slack's message text
- ``blocks.py``: an answer as Block Kit within Slack's limits, and what a 👍 / 👎 button carries
- ``history.py``: a thread as the conversation a follow-up question carries
- ``events.py``: the redelivery check (each event answered once, across worker processes)
- ``bot.py``: the Bolt app and its listeners
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, current_app, request
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.flask.handler import to_flask_response
from slack_sdk.signature import SignatureVerifier

from ..errors import error_response
from .bot import Bot, build_slack_app
from .events import SeenEvents

__all__ = ["init_slack"]

log = logging.getLogger(__name__)

REQUIRED = ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")
# Slack's request timestamp is whole seconds since the epoch. slack_sdk's check reads it with int(),
# which raises on anything else ("12ab", "1764446000.5"): such a timestamp is refused before it.
TIMESTAMP = re.compile(r"[0-9]{1,12}")


def init_slack(app: Flask) -> None:
    """Mount the bot at /slack/events when its secrets are set; otherwise say so once and leave the app as it is."""
    config = app.config
    missing = [key for key in REQUIRED if not config[key]]
    if missing:
        log.info("Slack bot not mounted: %s not set", " and ".join(missing))
        return
    bot = Bot(
        token=config["SLACK_BOT_TOKEN"],
        pipeline=app.extensions["qa"],
        feedback=app.extensions["feedback"],
        seen=SeenEvents(app.extensions["databases"].slack_events),
        public_url=config["PUBLIC_URL"],
        answer_in_channel=config["SLACK_ANSWER_IN_CHANNEL"],
    )
    app.extensions["slack"] = build_slack_app(bot, config["SLACK_API_URL"])
    app.add_url_rule("/slack/events", "slack_events", slack_events, methods=["POST"])
    log.info("Slack bot mounted at /slack/events")


def slack_events() -> Response:
    """Everything Slack posts: refused unless signed and readable, else handed to the Bolt app."""
    raw = request.get_data(as_text=True)
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not signed_by_slack(current_app.config["SLACK_SIGNING_SECRET"], raw, timestamp, signature):
        log.info("slack: request refused: no valid signature and timestamp")
        return error_response(401, "invalid_signature", "The request is not signed by Slack.")
    try:
        body = read_body(raw, request.mimetype)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep to read
        log.warning("slack: signed request refused: its body cannot be read (%s)", exc)
        return error_response(400, "invalid_body", "The request's body is not what Slack sends.")
    bolt: App = current_app.extensions["slack"]
    # Bolt gets the body as read here, as JSON, which its own reader takes as it is.
    bolt_request = BoltRequest(
        body=json.dumps(body),
        query=request.query_string.decode(errors="replace"),
        headers={**request.headers, "Content-Type": "application/json"},
    )
    return to_flask_response(bolt.dispatch(bolt_request))


def signed_by_slack(secret: str, body: str, timestamp: str, signature: str) -> bool:
    """True when ``signature`` is Slack's v0 signature of ``body`` at ``timestamp``, within the last five minutes."""
    # hmac.compare_digest raises on a non-ASCII string, as int() does on a timestamp that is not a number.
    if not TIMESTAMP.fullmatch(timestamp) or not signature.isascii():
        return False
    return SignatureVerifier(secret).is_valid(body, timestamp, signature)


def read_body(raw: str, mimetype: str) -> dict[str, Any]:
    """The body as Slack sends it: a JSON object (events), or a form (the slash command) whose
    ``payload`` field, when it has one, is a JSON object (button clicks). Raises ValueError otherwise.

    Bolt has a reader of its own, but it raises on bad JSON (a 500), and it reads any form whose
    text contains the word "payload" as a click, so ``/ask what was the payload?`` came out empty.
    """
    if mimetype == "application/json":
        body = json.loads(raw)
    else:
        body = dict(parse_qsl(raw, keep_blank_values=True))
        if "payload" in body:
            body = json.loads(body["payload"])
    if not isinstance(body, dict):
        raise ValueError(f"a JSON {type(body).__name__} where an object was expected")
    return body
