"""Follow-up questions: what a question refers to, from the conversation the request carries.

The service keeps no per-user state, so each request brings its ``history``. A follow-up such as
"How did he try to escape?" means nothing alone; when a question leans on earlier turns (a
pronoun or a demonstrative, or too few words to stand alone), the previous user question is
prepended for retrieval. A self-contained question is searched as it is, so history never
drags retrieval away from what was asked.
"""

from __future__ import annotations

import re

_REFERRING = re.compile(
    r"\b(he|him|his|himself|she|her|hers|herself|they|them|their|theirs|themselves|it|its|itself"
    r"|this|these|those|there|then|that one|the same|the latter|the former)\b",
    re.IGNORECASE,
)
_CONTENT_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][\w'\u2019-]+")
_QUESTION_WORDS = {
    "what",
    "who",
    "whom",
    "whose",
    "where",
    "when",
    "why",
    "how",
    "which",
    "did",
    "does",
    "do",
    "is",
    "was",
    "were",
    "are",
    "and",
    "or",
    "about",
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "more",
    "else",
    "tell",
    "me",
    "much",
    "many",
}


def needs_context(question: str) -> bool:
    """True when the question refers back (a pronoun, "those", "there") or is too short to stand alone."""
    if _REFERRING.search(question):
        return True
    content = [w for w in _CONTENT_WORD.findall(question) if w.lower() not in _QUESTION_WORDS]
    return len(content) < 2


def retrieval_query(question: str, history: list[dict]) -> str:
    """The text to search for: the question, preceded by the last user turn when it needs one."""
    previous = next((t["content"] for t in reversed(history) if t.get("role") == "user" and t.get("content")), "")
    if previous and needs_context(question):
        return f"{previous.strip()} {question.strip()}"
    return question
