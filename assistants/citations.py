"""An answer's citations as an assistant passes them on: links to the paragraphs, the highlighted sentence, Markdown.

The MCP tools and the OpenAI-compatible endpoint give the same links as the chat page: a cited
passage opens the article at its paragraph with the answering sentence marked
(``/articles/<document>?s=…&e=…#p<n>``); related reading opens the paragraph alone, since the page
marks only what an answer cites.
"""

from __future__ import annotations

import re

from qa.links import article_url, document_url, sentence_span
from qa.models import Answer, CitedPassage

__all__ = ["RELATED_HEADING", "article_url", "document_url", "markdown_reply", "sentence", "sentence_span"]

MARKER = re.compile(r"\[(\d+)\]")
# What would turn quoted article text into Markdown structure (emphasis, code, links, HTML).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
RELATED_HEADING = "Related passages (about the subject, but they do not answer the question):"


def sentence(passage: CitedPassage) -> str:
    """The highlighted stretch of the passage: what the answer is drawn from, or its best-matching sentence."""
    return passage.text[passage.highlight.start : passage.highlight.end]


def escape_markdown(text: str) -> str:
    """Article text that Markdown shows as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_reply(answer: Answer, base_url: str) -> str:
    """The answer as Markdown: each [n] a link to its paragraph, then the sources; or the abstention as it is.

    An abstention cites nothing. Related passages (``declined == "not_in_article"``) follow under a
    heading that says they do not answer the question, so a reader never takes them for the answer.
    When a misspelt name was read as the article spells it, an italic line first says what was searched.
    """
    searched = [f"*Searched for \u201c{escape_markdown(answer.searched)}\u201d*", ""] if answer.searched else []
    if not answer.answerable:
        lines = [*searched, answer.answer]
        if answer.related:
            lines += ["", f"*{RELATED_HEADING}*", ""]
            lines += [f"- {_source(p, base_url, cited=False)}" for p in answer.related]
        return "\n".join(lines)
    urls = {p.rank: article_url(base_url, p) for p in answer.passages}
    parts, last = [], 0
    for match in MARKER.finditer(answer.answer):
        url = urls.get(int(match[1]))
        parts.append(escape_markdown(answer.answer[last : match.start()]))
        parts.append(f"[{match[0]}]({url})" if url else escape_markdown(match[0]))
        last = match.end()
    parts.append(escape_markdown(answer.answer[last:]))
    lines = [*searched, "".join(parts), "", "**Sources**", ""]
    lines += [f"{p.rank}. {_source(p, base_url)}" for p in answer.passages]
    return "\n".join(lines)


def _source(passage: CitedPassage, base_url: str, cited: bool = True) -> str:
    label = escape_markdown(f"{passage.title}, paragraph {passage.paragraph}")
    return f"[{label}]({article_url(base_url, passage, cited)}): “{escape_markdown(sentence(passage))}”"
