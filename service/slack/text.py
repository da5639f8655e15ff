"""Slack's message text: the bot's fixed replies, cutting text to a length, escaping and reading mrkdwn."""

from __future__ import annotations

import re

from qa.limits import MAX_QUESTION_CHARS

EXCERPT_CHARS = 600  # a cited passage is shown around its answering sentence, at most this long

USAGE = (
    "Ask me about BuzzFeed News' article on the January 2015 Verviers anti-terror raid, e.g.\n"
    "`/ask How did El Bali try to escape?`\n"
    "You can also mention me in a channel (a further mention in the same thread is a follow-up) "
    "or send me a direct message."
)
APOLOGY = "Sorry, something went wrong while answering. Please try again in a moment."
NOT_READY = "Sorry, I can't answer right now: the article's index is not loaded. Please try again later."
TOO_LONG = f"Sorry, that question is too long: please ask in at most {MAX_QUESTION_CHARS:,} characters."
FEEDBACK_THANKS = {"up": "Thanks! Your 👍 is recorded.", "down": "Thanks! Your 👎 is recorded; we'll look into it."}
FEEDBACK_FAILED = "Sorry, your feedback could not be stored. Please try again later."
# Replies of ours that are not answers, so never history.
NOT_ANSWERS = frozenset({USAGE, APOLOGY, NOT_READY, TOO_LONG})

_ENTITY = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


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
    """The text Slack escaped, as it was written."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """A Slack message as the user meant it: the bot's mention removed, links and names as their labels."""

    def entity(match: re.Match[str]) -> str:
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
