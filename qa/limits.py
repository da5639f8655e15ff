"""The limits on a question and the conversation it carries, and the rule that keeps a conversation within them.

One place for the numbers: the API's request schema, the chat page (server and ``app.js``, which
the page hands them to) and the Slack bot all read them from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, overload

MAX_QUESTION_CHARS = 1000
MAX_HISTORY_TURNS = 20
MAX_TURN_CHARS = 4000
MAX_HISTORY_CHARS = 20_000
TOP_K = 3  # passages returned when the request does not say
MAX_TOP_K = 10
# Some character that is white space neither to Python nor to JSON Schema's (ECMA) regexes: the two
# disagree on \s (\x1c-\x1f, \x85, \ufeff), so the class is spelled out and means the same to both.
NOT_BLANK = re.compile(r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]")

TurnT = TypeVar("TurnT", bound=Mapping[str, str])
ItemT = TypeVar("ItemT")


def not_blank(value: str) -> str:
    """``value`` as it is when it holds more than white space; ValueError, worded for a person, when not.

    The one rule for a question on every surface (API, page, OpenAI endpoint, MCP tools).
    """
    if not NOT_BLANK.search(value):
        raise ValueError("must contain more than white space")
    return value


def as_json() -> dict[str, int]:
    """The limits a browser needs, as the page hands them to app.js."""
    return {
        "maxQuestionChars": MAX_QUESTION_CHARS,
        "maxHistoryTurns": MAX_HISTORY_TURNS,
        "maxHistoryChars": MAX_HISTORY_CHARS,
        "topK": TOP_K,
    }


# Turns alone (each counts one turn and the characters of its "content"), or any items and how to count them.
@overload
def trim_history(items: Sequence[TurnT]) -> list[TurnT]: ...


@overload
def trim_history(
    items: Sequence[ItemT], turns: Callable[[ItemT], int], chars: Callable[[ItemT], int]
) -> list[ItemT]: ...


def trim_history(
    items: Sequence[Any],
    turns: Callable[[Any], int] = lambda _: 1,
    chars: Callable[[Any], int] = lambda t: len(t["content"]),
) -> list[Any]:
    """The latest ``items`` that fit the history limits: the oldest are dropped first.

    An item is a turn (a ``{"role", "content"}`` dict, by default) or a group of turns, such as
    the page's question-and-answer exchange, counted by ``turns`` and ``chars``.
    """
    kept = list(items)
    while kept and (sum(turns(i) for i in kept) > MAX_HISTORY_TURNS or sum(chars(i) for i in kept) > MAX_HISTORY_CHARS):
        kept.pop(0)
    return kept
