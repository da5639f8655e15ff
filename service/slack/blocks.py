"""The answer as Block Kit within Slack's limits: the answer, a line per cited passage, then 👍 / 👎.

A question the article covers without answering gets its related reading under a label instead
of citations; an off-topic one gets the answer text alone.
"""

from __future__ import annotations

import json
from typing import Any

from qa.links import paragraph_url
from qa.models import Answer, CitedPassage

from .text import EXCERPT_CHARS, escape, excerpt, truncate

SECTION_LIMIT = 3000  # Block Kit: characters in a section's or a context element's text
MAX_BLOCKS = 50  # Block Kit: blocks in one message
BUTTON_VALUE_LIMIT = 2000  # Block Kit: characters in a button's value
FEEDBACK_BLOCK = "qa_feedback"
FEEDBACK_ACTIONS = {"up": "qa_feedback_up", "down": "qa_feedback_down"}
RELATED_LABEL = "Related reading (not an answer):"


def bold(text: str) -> str:
    """``text`` in mrkdwn bold; asterisks inside would end it early, so they become a look-alike."""
    return f"*{escape(text.replace('*', '∗'))}*" if text else ""


def citation_line(passage: CitedPassage, base_url: str, limit: int = EXCERPT_CHARS, *, cited: bool = True) -> str:
    """One passage: [n], a link to its paragraph naming document and paragraph, the sentence in bold.

    Related reading (``cited=False``) has no [n] and no bold: it answers nothing, so nothing in it
    is set out as the answer; the excerpt is still cut around its closest sentence.
    """
    label = f"{passage.document}, paragraph {passage.paragraph}".replace("|", "/")
    head = f"<{paragraph_url(base_url, passage.document, passage.paragraph)}|{escape(label)}>"
    if cited:
        head = f"*[{passage.rank}]* {head}"
    # Escaping can lengthen the text (& is five characters): leave room for it within the block limit.
    room = min(limit, (SECTION_LIMIT - len(head) - 1) // 5 * 4)
    before, sentence, after = excerpt(passage.text, passage.highlight.start, passage.highlight.end, room)
    shown = bold(sentence) if cited else escape(sentence)
    body = " ".join(part for part in (escape(before), shown, escape(after)) if part)
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


def context(text: str) -> dict[str, Any]:
    """A context block of one mrkdwn line (Slack shows it small and grey, under the answer)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def answer_blocks(question: str, result: Answer, base_url: str) -> list[dict[str, Any]]:
    """The reply as Block Kit: the short answer, a context line per cited passage, then 👍 / 👎.

    Declined as not in the article: the answer, then the related passages under a label saying
    they are not an answer. Declined as off topic: the answer alone. When a misspelt name was read
    as the article spells it, a line under the answer says what was searched.
    """
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(escape(result.answer), SECTION_LIMIT)}}
    ]
    if result.searched:  # a misspelt name was read as the article spells it: say so, as the page does
        blocks.append(context(truncate(escape(f"Searched for \u201c{result.searched}\u201d"), SECTION_LIMIT)))
    passages = result.passages[: MAX_BLOCKS - len(blocks) - 1]  # room for the buttons
    blocks += [context(citation_line(passage, base_url)) for passage in passages]
    if result.declined == "not_in_article" and result.related:
        blocks.append(context(RELATED_LABEL))
        room = MAX_BLOCKS - len(blocks) - 1
        blocks += [context(citation_line(p, base_url, cited=False)) for p in result.related[:room]]
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
