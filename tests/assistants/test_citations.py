"""Citations as assistants pass them on: links, Markdown, and abstentions that never look like answers."""

from __future__ import annotations

from typing import Any, cast

import pytest
from mcp import Client

from assistants.citations import article_url, markdown_reply
from assistants.mcp_server import build_mcp_server
from qa.models import Answer, CitedPassage, Highlight
from qa.pipeline import Pipeline

BASE = "https://qa.example.org/"
TEXT = "Police arrived at night. El Bali jumped out of a window. He was caught."


def passage(rank: int, paragraph: int, title: str = "The Raid") -> CitedPassage:
    return CitedPassage(
        id=f"doc:{paragraph}:0",
        rank=rank,
        document="doc",
        title=title,
        paragraph=paragraph,
        start=100,
        end=100 + len(TEXT),
        text=TEXT,
        score=1.0,
        highlight=Highlight(start=25, end=56),
    )


def answer(**fields: Any) -> Answer:
    defaults = {"answer": "El Bali jumped out of a window. [1]", "answerable": True, "passages": [], "related": []}
    return Answer(**{**defaults, "confidence": 0.6, "took_ms": 1.0, "declined": None, **fields})


def test_a_cited_link_marks_its_sentence_and_related_reading_links_the_paragraph():
    p = passage(1, 6)
    assert article_url(BASE, p) == "https://qa.example.org/articles/doc?s=125&e=156#p6"
    assert article_url(BASE, p, cited=False) == "https://qa.example.org/articles/doc#p6"


def test_markdown_reply_links_each_marker_and_lists_the_sources():
    reply = markdown_reply(answer(passages=[passage(1, 6), passage(2, 9, title="A *bold* [title]")]), BASE)
    first, sources = reply.split("\n\n**Sources**\n\n")
    assert first == "El Bali jumped out of a window. [[1]](https://qa.example.org/articles/doc?s=125&e=156#p6)"
    assert sources.splitlines() == [
        "1. [The Raid, paragraph 6](https://qa.example.org/articles/doc?s=125&e=156#p6): "
        "“El Bali jumped out of a window.”",
        "2. [A \\*bold\\* \\[title\\], paragraph 9](https://qa.example.org/articles/doc?s=125&e=156#p9): "
        "“El Bali jumped out of a window.”",
    ]


def test_an_off_topic_abstention_is_the_abstention_alone():
    declined = answer(answer="The article doesn't say.", answerable=False, declined="off_topic")
    assert markdown_reply(declined, BASE) == "The article doesn't say."


def test_related_reading_is_labelled_as_not_answering():
    declined = answer(
        answer="The article doesn't say.", answerable=False, declined="not_in_article", related=[passage(1, 12)]
    )
    lines = markdown_reply(declined, BASE).splitlines()
    assert lines[0] == "The article doesn't say."
    assert "do not answer the question" in lines[2]
    assert (
        lines[4]
        == "- [The Raid, paragraph 12](https://qa.example.org/articles/doc#p12): “El Bali jumped out of a window.”"
    )
    assert "[1]" not in "\n".join(lines)


class Declining:
    """An answerer that finds the subject in the article but not the answer (``declined="not_in_article"``)."""

    def ask(self, question: str, history: list | None = None, top_k: int = 3, document: str | None = None) -> Answer:
        return answer(
            answer="The article doesn't say.", answerable=False, declined="not_in_article", related=[passage(1, 12)]
        )


@pytest.mark.anyio
async def test_mcp_gives_related_passages_apart_from_citations_and_says_they_do_not_answer():
    server = build_mcp_server(Pipeline(answerer=cast(Any, Declining())), BASE, threshold=0.34)
    async with Client(server) as client:
        result = await client.call_tool("ask_article", {"question": "What was the judge's name?"})
    data = result.structured_content
    assert data is not None
    assert (data["answerable"], data["declined"], data["citations"]) == (False, "not_in_article", [])
    assert data["related"][0]["url"] == "https://qa.example.org/articles/doc#p12"
    text = result.content[0].text  # type: ignore[union-attr]
    assert text.startswith("The article doesn't say.") and "do not answer the question" in text


def test_what_was_searched_opens_the_reply_when_a_name_was_respelt():
    reply = markdown_reply(answer(passages=[passage(1, 6)], searched="Who is El *Bali*?"), BASE)
    assert reply.startswith("*Searched for \u201cWho is El \\*Bali\\*?\u201d*\n\nEl Bali jumped")
    declined = answer(answer="The article doesn't say.", answerable=False, declined="off_topic", searched="x?")
    assert markdown_reply(declined, BASE) == "*Searched for \u201cx?\u201d*\n\nThe article doesn't say."
