"""A Slack thread as the conversation a follow-up question carries: the API's ``history``."""

from __future__ import annotations

from typing import Any

from qa.limits import MAX_TURN_CHARS, trim_history

from .text import NOT_ANSWERS, plain_text, truncate, unescape


def history_from_replies(
    messages: list[dict[str, Any]], before_ts: str, bot_user_id: str | None, bot_id: str | None, direct: bool
) -> list[dict[str, str]]:
    """The API's ``history`` from a thread (``conversations.replies``), up to the message being answered.

    The bot's own answers are assistant turns; a user's message is a user turn when it addresses the
    bot (always, in a direct message), its mention stripped. Other bots and our non-answers are left
    out; the API's limits (``qa.limits``) keep the latest turns.
    """
    turns: list[dict[str, str]] = []
    for message in messages:
        if float(message.get("ts", 0)) >= float(before_ts):
            continue
        text = message.get("text") or ""
        ours = (bot_user_id and message.get("user") == bot_user_id) or (bot_id and message.get("bot_id") == bot_id)
        if ours:
            content = unescape(text).strip()
            if content and content not in NOT_ANSWERS:
                turns.append({"role": "assistant", "content": truncate(content, MAX_TURN_CHARS)})
        elif message.get("bot_id") or message.get("subtype"):
            continue
        elif direct or (bot_user_id and f"<@{bot_user_id}" in text):
            content = plain_text(text, bot_user_id)
            if content:
                turns.append({"role": "user", "content": truncate(content, MAX_TURN_CHARS)})
    return trim_history(turns)
