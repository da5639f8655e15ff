"""The Slack bot: ``/ask``, @mentions (threads are follow-ups) and direct messages, with 👍 / 👎 feedback.

Built on Bolt for Python and mounted in the Flask app at ``/slack/events`` (events, the slash
command and interactivity all post there). Bolt verifies the v0 signature and the 5-minute
timestamp window, and acknowledges before the answer is computed; the answer is then sent with
``respond`` (slash command, through its response_url) or ``chat.postMessage`` (threads, DMs).
Slack redelivers an event it thinks was lost (``X-Slack-Retry-Num``, same ``event_id``); a small
SQLite table shared by every worker process makes sure each event is answered once.

The pure parts (text cutting, Block Kit building, history from a thread) are plain functions so
they can be tested without Slack.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from flask import Flask, request

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
TOP_K = 3
MAX_QUESTION = 1000  # the API's limit
SECTION_LIMIT = 3000  # Block Kit: characters in a section's or a context element's text
MAX_BLOCKS = 50  # Block Kit: blocks in one message
BUTTON_VALUE_LIMIT = 2000  # Block Kit: characters in a button's value
EXCERPT_CHARS = 600  # a cited passage is shown around its answering sentence, at most this long
HISTORY_TURNS, TURN_CHARS, HISTORY_CHARS = 20, 4000, 20_000  # the API's limits on history
EVENT_MEMORY_S = 24 * 3600  # how long an event id is remembered (Slack retries within minutes)

USAGE = (
    "Ask me about BuzzFeed News' article on the January 2015 Verviers anti-terror raid, e.g.\n"
    "`/ask How did El Bali try to escape?`\n"
    "You can also mention me in a channel (a further mention in the same thread is a follow-up) "
    "or send me a direct message."
)
APOLOGY = "Sorry, something went wrong while answering. Please try again in a moment."
NOT_READY = "Sorry, I can't answer right now: the article's index is not loaded. Please try again later."
TOO_LONG = f"Sorry, that question is too long: please ask in at most {MAX_QUESTION:,} characters."
FEEDBACK_THANKS = {"up": "Thanks! Your 👍 is recorded.", "down": "Thanks! Your 👎 is recorded; we'll look into it."}
FEEDBACK_FAILED = "Sorry, your feedback could not be stored. Please try again later."
# Replies of ours that are not answers, so never history.
NOT_ANSWERS = frozenset({USAGE, APOLOGY, NOT_READY, TOO_LONG})


# ---------------------------------------------------------------- pure parts: text


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ending with ``ellipsis`` when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[:limit]
    head = text[: room + 1]
    cut = head.rfind(" ")
    head = head[:cut] if cut > 0 else text[:room]  # one long word: cut inside it
    return head.rstrip(" ,;:") + ellipsis


def truncate_start(text: str, limit: int, ellipsis: str = "…") -> str:
    """Like ``truncate`` but keeps the end of ``text`` (the words just before a highlight)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ""
    tail = text[-(room + 1) :]
    cut = tail.find(" ")
    tail = tail[cut + 1 :] if cut >= 0 else text[-room:]
    return ellipsis + tail.lstrip()


def escape(text: str) -> str:
    """Slack's three control characters escaped, as its mrkdwn requires."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_ENTITY = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """A Slack message as the user meant it: the bot's mention removed, links and names as their labels."""

    def entity(match: re.Match) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "" if target[1:] == bot_user_id else "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or ""
        return label or target

    return " ".join(unescape(_ENTITY.sub(entity, text or "")).split())


def excerpt(text: str, start: int, end: int, limit: int = EXCERPT_CHARS) -> tuple[str, str, str]:
    """(before, sentence, after): the passage cut to ``limit`` characters around its answering sentence.

    The sentence is kept whole when it fits; the context on each side is cut at a word with an ellipsis.
    """
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end <= start:  # no usable highlight: the passage from its start
        return truncate(text, limit), "", ""
    before, sentence, after = text[:start].strip(), text[start:end].strip(), text[end:].strip()
    if len(sentence) >= limit - 2:
        return ("…" if before else ""), truncate(sentence, limit - (1 if before else 0)), ""
    room = limit - len(sentence) - 2  # two separating spaces
    before_room = max(room // 2, room - len(after))
    before = truncate_start(before, before_room)
    after = truncate(after, room - len(before))
    return before, sentence, after


# ---------------------------------------------------------------- pure parts: Block Kit


def article_url(base_url: str, document: str, paragraph: int) -> str:
    """The web page's anchor for one paragraph of a document."""
    return f"{base_url.rstrip('/')}/articles/{quote(document, safe='')}#p{int(paragraph)}"


def bold(text: str) -> str:
    """``text`` in mrkdwn bold; asterisks inside would end it early, so they become a look-alike."""
    return f"*{escape(text.replace('*', '∗'))}*" if text else ""


def citation_line(passage: dict, base_url: str, limit: int = EXCERPT_CHARS) -> str:
    """One cited passage: [n], a link to its paragraph naming document and paragraph, the sentence in bold."""
    label = f"{passage['document']}, paragraph {passage['paragraph']}".replace("|", "/")
    head = f"*[{passage['rank']}]* <{article_url(base_url, passage['document'], passage['paragraph'])}|{escape(label)}>"
    highlight = passage.get("highlight") or {}
    # Escaping can lengthen the text (& is five characters): leave room for it within the block limit.
    room = min(limit, (SECTION_LIMIT - len(head) - 1) // 5 * 4)
    before, sentence, after = excerpt(passage["text"], highlight.get("start", 0), highlight.get("end", 0), room)
    body = " ".join(part for part in (escape(before), bold(sentence), escape(after)) if part)
    line = f"{head} {body}"
    return line if len(line) <= SECTION_LIMIT else truncate(line, SECTION_LIMIT)


def feedback_value(question: str, answer: str, passage_ids: list[str]) -> str:
    """What a 👍 / 👎 button carries back (Slack keeps no state for us): JSON within 2,000 characters."""
    q, a = question, answer
    while True:
        value = json.dumps({"q": q, "a": a, "p": passage_ids}, ensure_ascii=False)
        if len(value) <= BUTTON_VALUE_LIMIT:
            return value
        excess = len(value) - BUTTON_VALUE_LIMIT
        if len(a) > 200:
            a = truncate(a, max(200, len(a) - excess - 1))
        elif len(q) > 200:
            q = truncate(q, max(200, len(q) - excess - 1))
        else:
            passage_ids = passage_ids[:-1]
            if not passage_ids:
                q, a = truncate(q, 100), truncate(a, 100)


def parse_feedback_value(value: str) -> tuple[str, str, list[str]]:
    data = json.loads(value)
    return str(data["q"]), str(data["a"]), [str(p) for p in data["p"]]


def answer_blocks(question: str, result: dict, base_url: str) -> list[dict]:
    """The reply as Block Kit: the short answer, a context line per cited passage, then 👍 / 👎."""
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(escape(result["answer"]), SECTION_LIMIT)}}
    ]
    passages = result.get("passages", [])[: MAX_BLOCKS - 2]
    for passage in passages:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": citation_line(passage, base_url)}]})
    value = feedback_value(question, result["answer"], [p["id"] for p in passages])
    blocks.append(
        {
            "type": "actions",
            "block_id": "qa_feedback",
            "elements": [
                {
                    "type": "button",
                    "action_id": "qa_feedback_up",
                    "text": {"type": "plain_text", "text": "👍", "emoji": True},
                    "value": value,
                },
                {
                    "type": "button",
                    "action_id": "qa_feedback_down",
                    "text": {"type": "plain_text", "text": "👎", "emoji": True},
                    "value": value,
                },
            ],
        }
    )
    return blocks


def history_from_replies(
    messages: list[dict], before_ts: str, bot_user_id: str | None, bot_id: str | None, direct: bool
) -> list[dict]:
    """The API's ``history`` from a thread (``conversations.replies``), up to the message being answered.

    The bot's own answers are assistant turns; a user's message is a user turn when it addresses the
    bot (always, in a direct message), its mention stripped. Other bots and our non-answers are left
    out; the API's limits (20 turns, 4,000 characters each, 20,000 in all) keep the latest turns.
    """
    turns: list[dict] = []
    for message in messages:
        if float(message.get("ts", 0)) >= float(before_ts):
            continue
        text = message.get("text") or ""
        ours = (bot_user_id and message.get("user") == bot_user_id) or (bot_id and message.get("bot_id") == bot_id)
        if ours:
            content = unescape(text).strip()
            if content and content not in NOT_ANSWERS:
                turns.append({"role": "assistant", "content": truncate(content, TURN_CHARS)})
        elif message.get("bot_id") or message.get("subtype"):
            continue
        elif direct or (bot_user_id and f"<@{bot_user_id}" in text):
            content = plain_text(text, bot_user_id)
            if content:
                turns.append({"role": "user", "content": truncate(content, TURN_CHARS)})
    turns = turns[-HISTORY_TURNS:]
    while sum(len(t["content"]) for t in turns) > HISTORY_CHARS:
        turns.pop(0)
    return turns


# ---------------------------------------------------------------- redeliveries


class SeenEvents:
    """Event ids already taken, in SQLite so every gunicorn worker sees the same set."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def first_time(self, event_id: str) -> bool:
        """Record ``event_id``; True when no process had recorded it before."""
        now = time.time()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10)
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                with connection:
                    connection.execute(
                        "CREATE TABLE IF NOT EXISTS slack_events (event_id TEXT PRIMARY KEY, seen_at REAL NOT NULL)"
                    )
                    connection.execute("DELETE FROM slack_events WHERE seen_at < ?", (now - EVENT_MEMORY_S,))
                    cursor = connection.execute(
                        "INSERT OR IGNORE INTO slack_events (event_id, seen_at) VALUES (?, ?)", (event_id, now)
                    )
                return cursor.rowcount == 1
            finally:
                connection.close()
        except (sqlite3.Error, OSError) as exc:
            # Answering twice is better than never: without the table, take the event.
            log.error("slack: cannot record event %s (%s); answering it anyway", event_id, exc)
            return True


# ---------------------------------------------------------------- the Bolt app


def build_slack_app(config: dict, answerer, client=None, feedback=None):
    """The Bolt app. ``answerer`` is an Answerer or a function returning one (or None while not ready)."""
    from slack_bolt import App, BoltResponse
    from slack_sdk import WebClient

    from .feedback import FeedbackError, FeedbackStore

    get_answerer: Callable = answerer if callable(answerer) and not hasattr(answerer, "ask") else lambda: answerer
    base_url = config.get("PUBLIC_URL") or DEFAULT_PUBLIC_URL
    in_channel = as_bool(config.get("SLACK_ANSWER_IN_CHANNEL", False))
    store = feedback or FeedbackStore(config["FEEDBACK_DB"])
    seen = SeenEvents(config.get("SLACK_EVENTS_DB") or Path(config["FEEDBACK_DB"]).with_name("slack_events.sqlite3"))
    if client is None:
        client = WebClient(token=config["SLACK_BOT_TOKEN"], base_url=config.get("SLACK_API_URL") or DEFAULT_API_URL)

    app = App(
        signing_secret=config["SLACK_SIGNING_SECRET"],
        client=client,
        # auth.test runs on the first request instead, so a Slack outage never stops the service starting.
        token_verification_enabled=False,
        process_before_response=False,
        logger=bolt_logger(),
    )

    @app.middleware
    def answer_each_event_once(body, next):
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not seen.first_time(event_id):
            log.info("slack: event %s already taken; redelivery acknowledged and dropped", event_id)
            return BoltResponse(status=200, body="")
        return next()

    def reply(question: str, history: list[dict]) -> dict:
        """The message to send for ``question``: an answer in blocks, or a short apology; never raises."""
        if len(question) > MAX_QUESTION:
            return {"text": TOO_LONG}
        try:
            qa = get_answerer()
            if qa is None:
                return {"text": NOT_READY}
            result = qa.ask(question, history, TOP_K)
            return {"text": escape(result["answer"]), "blocks": answer_blocks(question, result, base_url)}
        except Exception:
            log.exception("slack: answering %r failed", question)
            return {"text": APOLOGY}

    @app.command("/ask")
    def on_ask(ack, command, respond):
        question = plain_text(command.get("text", ""))
        if not question:
            ack(text=USAGE)
            return
        ack()
        message = reply(question, [])
        try:
            respond(response_type="in_channel" if in_channel else "ephemeral", **message)
        except Exception:
            log.exception("slack: could not send the answer to /ask")

    def answer_in_thread(event: dict, context, client, direct: bool) -> None:
        channel, ts = event["channel"], event["ts"]
        thread_ts = event.get("thread_ts") or ts
        bot_user_id, bot_id = context.get("bot_user_id"), context.get("bot_id")
        question = plain_text(event.get("text", ""), bot_user_id)
        if not question:
            message = {"text": USAGE}
        else:
            history: list[dict] = []
            if event.get("thread_ts"):
                try:
                    replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=200)
                    history = history_from_replies(replies.get("messages", []), ts, bot_user_id, bot_id, direct)
                except Exception:
                    log.exception(
                        "slack: could not read thread %s in %s; answering without history", thread_ts, channel
                    )
            message = reply(question, history)
        try:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
        except Exception:
            log.exception("slack: could not post the answer in %s", channel)

    @app.event("app_mention")
    def on_mention(event, context, client):
        if event.get("bot_id"):
            return
        answer_in_thread(event, context, client, direct=False)

    @app.event("message")
    def on_message(event, context, client):
        # Only what a person writes in a direct message; edits, joins and bots' messages are not questions.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if event.get("user") and event.get("user") == context.get("bot_user_id"):
            return
        answer_in_thread(event, context, client, direct=True)

    @app.action(re.compile(r"^qa_feedback_(up|down)$"))
    def on_feedback(ack, action, respond):
        ack()
        rating = action["action_id"].rsplit("_", 1)[1]
        try:
            question, answer, passage_ids = parse_feedback_value(action["value"])
            store.record(rating, question, answer, passage_ids, source="slack")
            text = FEEDBACK_THANKS[rating]
        except (FeedbackError, ValueError, KeyError, TypeError):
            log.exception("slack: feedback not stored")
            text = FEEDBACK_FAILED
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:
            log.exception("slack: could not confirm the feedback")

    @app.error
    def on_error(error, body):
        log.error("slack: unhandled error %r for a %s request", error, body.get("type"))

    return app


def bolt_logger() -> logging.Logger:
    """Bolt's logger, without the warning it gives whenever SLACK_BOT_TOKEN is in the environment and a
    client is passed (the client carries that same token; Bolt reads the variable on its own)."""
    from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

    logger = logging.getLogger(f"{__name__}.bolt")
    if not logger.filters:
        skipped = warning_client_prioritized_and_token_skipped()
        logger.addFilter(lambda record: record.getMessage() != skipped)
    return logger


def as_bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


SETTINGS = ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_API_URL")


def init_slack(app: Flask) -> None:
    """Mount the bot at /slack/events when its secrets are set; otherwise say so once and leave the app as it is."""
    for key in SETTINGS:  # Slack's own names, without the QA_ prefix; a test config wins
        app.config.setdefault(key, os.environ.get(key, ""))
    missing = [key for key in SETTINGS[:2] if not app.config[key]]
    if missing:
        log.info("Slack bot not mounted: %s not set", " and ".join(missing))
        return
    from slack_bolt.adapter.flask import SlackRequestHandler

    handler = SlackRequestHandler(build_slack_app(app.config, lambda: app.extensions["qa"].answerer))
    app.add_url_rule("/slack/events", "slack_events", lambda: handler.handle(request), methods=["POST"])
    app.extensions["slack"] = handler.app
    log.info("Slack bot mounted at /slack/events")
