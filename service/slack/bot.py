"""The Bolt app: ``/ask``, @mentions (threads are follow-ups), direct messages and the 👍 / 👎 buttons.

Bolt acknowledges each request before its answer is computed; the answer then goes out with
``respond`` (the slash command, through its response_url) or ``chat.postMessage`` (threads, DMs).
Nothing before the acknowledgement calls Slack's Web API, so Slack is answered at once whatever
the Web API's state: ``authorize`` hands Bolt the bot token from the settings, and the bot's own
ids (to strip its mention, to know its answers in a thread) come from ``auth.test``, asked after
an acknowledgement until it once succeeds.

The listeners are module-level functions. What they need (the pipeline, the feedback store, the
settings) is a ``Bot``, put into each request's context, from where Bolt passes it to any
listener or middleware with a ``bot`` argument.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from qa.feedback import FeedbackError, FeedbackStore
from qa.limits import MAX_QUESTION_CHARS, TOP_K
from qa.pipeline import Pipeline

from ..observability import record_answer
from .blocks import answer_blocks, parse_feedback_value
from .events import SeenEvents
from .history import history_from_replies
from .text import APOLOGY, FEEDBACK_FAILED, FEEDBACK_THANKS, NOT_READY, TOO_LONG, USAGE, escape, plain_text

log = logging.getLogger(__name__)

# What a call to Slack raises: an error answer (SlackApiError and the other SlackClientErrors), or
# no answer at all (URLError, timeouts and refused connections are OSErrors).
SLACK_ERRORS = (SlackClientError, OSError)
FEEDBACK_ACTION = re.compile(r"^qa_feedback_(up|down)$")


@dataclass
class Bot:
    """What the listeners need, in each request's context as ``bot``; and the bot's own ids once known."""

    token: str
    pipeline: Pipeline
    feedback: FeedbackStore
    seen: SeenEvents
    public_url: str
    answer_in_channel: bool
    user_id: str | None = None
    bot_id: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def attach(self, context: BoltContext, next_: Callable[[], None]) -> None:
        """Bolt middleware: every middleware and listener after this one can name ``bot``."""
        context["bot"] = self
        next_()

    def identify(self, client: WebClient) -> None:
        """Learn the bot's ids from ``auth.test`` unless known; raises ``SLACK_ERRORS`` when Slack cannot say."""
        with self._lock:  # one auth.test at a time: once it succeeds, never again
            if self.user_id is None:
                result = client.auth_test()
                self.user_id, self.bot_id = result.get("user_id"), result.get("bot_id")


def build_slack_app(bot: Bot, api_url: str) -> App:
    """The Bolt app answering with ``bot``, calling Slack's Web API at ``api_url``."""
    logger = slack_logger()
    app = App(
        # The edge (service/slack/__init__.py) checks the signature before the body is read: Bolt
        # reads it first, and both its reader and its check fail with a 500 on some bad input.
        request_verification_enabled=False,
        # No token here: ``authorize`` gives each request its own, without calling Slack.
        client=WebClient(base_url=api_url, logger=logger),
        before_authorize=bot.attach,
        authorize=authorize,
        process_before_response=False,
        logger=logger,
    )
    app.use(answer_each_event_once)
    app.command("/ask")(on_ask)
    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
    app.action(FEEDBACK_ACTION)(on_feedback)
    app.error(on_error)
    return app


def slack_logger() -> logging.Logger:
    """The logger of Bolt and of its Web API client, without two messages that only add noise.

    Bolt warns whenever SLACK_BOT_TOKEN is in the environment and a client is passed (it reads the
    variable on its own; ``authorize`` hands out that same token). The client logs an error on each
    failed attempt to reach Slack, where the listener that called it logs the failure once.
    """
    logger = logging.getLogger(f"{__name__}.bolt")
    if not logger.filters:
        noise = (warning_client_prioritized_and_token_skipped(), "Failed to send a request to Slack API server")
        logger.addFilter(lambda record: not record.getMessage().startswith(noise))
    return logger


def authorize(bot: Bot, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
    """Bolt's authorize hook: the bot token and, once known, the bot's ids; never a call to Slack."""
    return AuthorizeResult(
        enterprise_id=enterprise_id,
        team_id=team_id,
        bot_token=bot.token,
        bot_user_id=bot.user_id,
        bot_id=bot.bot_id,
    )


def answer_each_event_once(body: dict[str, Any], bot: Bot, next_: Callable[[], None]) -> BoltResponse | None:
    """Bolt middleware: a redelivered event is acknowledged and dropped."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if event_id and not bot.seen.first_time(event_id):
        log.info("slack: event %s already taken; redelivery acknowledged and dropped", event_id)
        return BoltResponse(status=200, body="")
    next_()
    return None


def reply(bot: Bot, question: str, history: list[dict[str, str]]) -> dict[str, Any]:
    """The message to send for ``question``: an answer in blocks, or a short apology; never raises."""
    if len(question) > MAX_QUESTION_CHARS:
        return {"text": TOO_LONG}
    answerer = bot.pipeline.answerer
    if answerer is None:
        return {"text": NOT_READY}
    try:
        result = answerer.ask(question, history, TOP_K)
        message = {"text": escape(result.answer), "blocks": answer_blocks(question, result, bot.public_url)}
    except Exception:  # whatever went wrong, the user gets an apology rather than silence
        log.exception("slack: answering a question of %d characters failed", len(question))
        return {"text": APOLOGY}
    record_answer(result)
    return message


def on_ask(ack: Ack, command: dict[str, Any], respond: Respond, bot: Bot) -> None:
    """``/ask``: usage help at once when empty; otherwise an ack, then the answer through the response_url."""
    question = plain_text(command.get("text", ""))
    if not question:
        ack(text=USAGE)
        return
    ack()
    message = reply(bot, question, [])
    try:
        respond(response_type="in_channel" if bot.answer_in_channel else "ephemeral", **message)
    except SLACK_ERRORS as exc:
        log.error("slack: the answer to /ask was not sent (%s)", exc)


def on_mention(event: dict[str, Any], client: WebClient, bot: Bot) -> None:
    """A mention in a channel: answered in its thread, the thread so far as history."""
    if event.get("bot_id"):
        return
    answer_in_thread(bot, client, event, direct=False)


def on_message(event: dict[str, Any], client: WebClient, bot: Bot) -> None:
    """A direct message: answered in its thread, the thread so far as history."""
    # Only what a person writes in a direct message; edits, joins and bots' messages are not questions.
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return
    answer_in_thread(bot, client, event, direct=True)


def answer_in_thread(bot: Bot, client: WebClient, event: dict[str, Any], direct: bool) -> None:
    """Post the answer to a mention or a direct message in its thread; a failure to is logged once."""
    channel = event["channel"]
    try:
        bot.identify(client)
        if bot.user_id and event.get("user") == bot.user_id:
            return  # our own message (Bolt drops those too, once the bot's ids are known)
        message = thread_reply(bot, client, event, direct)
        client.chat_postMessage(channel=channel, thread_ts=event.get("thread_ts") or event["ts"], **message)
    except SLACK_ERRORS as exc:
        log.error("slack: the answer in %s was not sent (%s)", channel, exc)


def thread_reply(bot: Bot, client: WebClient, event: dict[str, Any], direct: bool) -> dict[str, Any]:
    """The message answering ``event``; in a thread, the thread before it is the question's history."""
    question = plain_text(event.get("text", ""), bot.user_id)
    if not question:
        return {"text": USAGE}
    history: list[dict[str, str]] = []
    if event.get("thread_ts"):
        channel, thread_ts = event["channel"], event["thread_ts"]
        try:
            replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=200)
        except SLACK_ERRORS as exc:
            log.warning(
                "slack: could not read thread %s in %s (%s); answering without history", thread_ts, channel, exc
            )
        else:
            messages: list[dict[str, Any]] = replies.get("messages", [])
            history = history_from_replies(messages, event["ts"], bot.user_id, bot.bot_id, direct)
    return reply(bot, question, history)


def on_feedback(ack: Ack, action: dict[str, Any], respond: Respond, bot: Bot) -> None:
    """A 👍 / 👎 click: the rating stored with the question and answer the button carries, then a thank-you."""
    ack()
    rating = action["action_id"].rsplit("_", 1)[1]
    try:
        question, answer, passage_ids = parse_feedback_value(action["value"])
        bot.feedback.record(rating, question, answer, passage_ids, source="slack")
        text = FEEDBACK_THANKS[rating]
    except FeedbackError:  # the database's: the store has logged why, in one line
        text = FEEDBACK_FAILED
    except (ValueError, KeyError, TypeError):
        log.exception("slack: feedback not stored: the button's value cannot be read")
        text = FEEDBACK_FAILED
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except SLACK_ERRORS as exc:
        log.error("slack: the feedback's confirmation was not sent (%s)", exc)


def on_error(error: Exception, body: dict[str, Any]) -> None:
    """Bolt's last resort for an error no listener handled."""
    log.error("slack: unhandled error %r for a %s request", error, body.get("type"), exc_info=error)
