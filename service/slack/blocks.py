"""The answer as Block Kit within Slack's limits: the answer, a line per cited passage, then 👍 / 👎."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from qa.models import Answer, CitedPassage

from .text import EXCERPT_CHARS, escape, excerpt, truncate

SECTION_LIMIT = 3000  # Block Kit: characters in a section's or a context element's text
MAX_BLOCKS = 50  # Block Kit: blocks in one message
BUTTON_VALUE_LIMIT = 2000  # Block Kit: characters in a button's value
FEEDBACK_BLOCK = "qa_feedback"
FEEDBACK_ACTIONS = {"up": "qa_feedback_up", "down": "qa_feedback_down"}


def article_url(base_url: str, document: str, paragraph: int) -> str:
    """The web page's anchor for one paragraph of a document."""
    return f"{base_url.rstrip('/')}/articles/{quote(document, safe='')}#p{int(paragraph)}"


def bold(text: str) -> str:
    """``text`` in mrkdwn bold; asterisks inside would end it early, so they become a look-alike."""
    return f"*{escape(text.replace('*', '∗'))}*" if text else ""


def citation_line(passage: CitedPassage, base_url: str, limit: int = EXCERPT_CHARS) -> str:
    """One cited passage: [n], a link to its paragraph naming document and paragraph, the sentence in bold."""
    label = f"{passage.document}, paragraph {passage.paragraph}".replace("|", "/")
    head = f"*[{passage.rank}]* <{article_url(base_url, passage.document, passage.paragraph)}|{escape(label)}>"
    # Escaping can lengthen the text (& is five characters): leave room for it within the block limit.
    room = min(limit, (SECTION_LIMIT - len(head) - 1) // 5 * 4)
    before, sentence, after = excerpt(passage.text, passage.highlight.start, passage.highlight.end, room)
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
    """(question, answer, passage ids) from a button's value; raises ValueError, KeyError or TypeError."""
    data = json.loads(value)
    return str(data["q"]), str(data["a"]), [str(p) for p in data["p"]]


def answer_blocks(question: str, result: Answer, base_url: str) -> list[dict[str, Any]]:
    """The reply as Block Kit: the short answer, a context line per cited passage, then 👍 / 👎."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(escape(result.answer), SECTION_LIMIT)}}
    ]
    passages = result.passages[: MAX_BLOCKS - 2]
    for passage in passages:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": citation_line(passage, base_url)}]})
    value = feedback_value(question, result.answer, [p.id for p in passages])
    buttons = [
        {
            "type": "button",
            "action_id": FEEDBACK_ACTIONS[rating],
            "text": {"type": "plain_text", "text": emoji, "emoji": True},
            "value": value,
        }
        for rating, emoji in (("up", "👍"), ("down", "👎"))
    ]
    blocks.append({"type": "actions", "block_id": FEEDBACK_BLOCK, "elements": buttons})
    return blocks
