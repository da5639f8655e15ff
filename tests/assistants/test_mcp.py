"""The MCP server through the SDK's own client, over stdio and over streamable HTTP, against real server processes.

Every test runs on both transports (``mcp_session`` in conftest.py): ``python -m assistants.mcp_server``
launched by the client, and the gunicorn app's /mcp.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest
from mcp import Client, ClientSession
from mcp.shared.exceptions import MCPError

from assistants.mcp_server import build_mcp_server
from index import load_corpus
from index.corpus import parse_document
from qa.pipeline import Pipeline

from .conftest import STDIO_PUBLIC_URL

pytestmark = pytest.mark.anyio

ESCAPE = "How did El Bali try to escape?"
OFF_TOPIC = "What is the capital of Australia?"
NOT_ANSWERED = "What is the population of Verviers?"  # the article's setting, not something it says


def ask_article_call(question: str) -> dict:
    """``ask_article`` as JSON-RPC, as a host POSTs it to a stateless server."""
    arguments = {"question": question}
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "ask_article", "arguments": arguments},
    }


async def ask(session: ClientSession, **arguments) -> dict:
    result = await session.call_tool("ask_article", arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def test_tools_say_what_the_corpus_is_and_take_bounded_arguments(mcp_session):
    session, _ = mcp_session
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == {"ask_article", "search_article"}
    for tool in tools.values():
        assert tool.description is not None
        assert (
            "Verviers" in tool.description
            and "The Anti-Terror Raid That Asked All The Wrong Questions" in tool.description
        )
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
    ask_schema = tools["ask_article"].input_schema
    assert ask_schema["required"] == ["question"]
    assert ask_schema["properties"]["question"]["maxLength"] == 1000
    assert tools["search_article"].input_schema["properties"]["top_k"]["maximum"] == 10
    assert tools["ask_article"].output_schema is not None


async def test_ask_article_answers_with_markers_and_each_cited_passage(mcp_session, corpus_dir):
    session, public_url = mcp_session
    result = await session.call_tool("ask_article", {"question": ESCAPE})
    data = result.structured_content
    assert data is not None and data["answerable"] is True and data["declined"] is None
    assert "jumped out of a window" in data["answer"] and data["answer"].endswith("[1]")
    source = (corpus_dir / "verviers-raid.txt").read_text(encoding="utf-8")
    first = data["citations"][0]
    assert (first["n"], first["document"], first["paragraph"]) == (1, "verviers-raid", 6)
    assert first["title"] == "The Anti-Terror Raid That Asked All The Wrong Questions"
    for cited in data["citations"]:
        assert source[cited["start"] : cited["end"]] == cited["text"]
        assert source[cited["sentence_start"] : cited["sentence_end"]] == cited["sentence"]
        assert cited["url"] == (
            f"{public_url}/articles/verviers-raid?s={cited['sentence_start']}&e={cited['sentence_end']}"
            f"#p{cited['paragraph']}"
        )
        assert cited["resource"] == f"article://documents/verviers-raid/paragraphs/{cited['paragraph']}"
    assert "jumped out of a window" in first["sentence"]
    assert data["related"] == []
    text = result.content[0].text  # what the assistant's model reads
    assert data["answer"] in text and first["url"] in text


async def test_a_misspelt_name_is_read_as_the_article_spells_it_and_said_so(mcp_session):
    session, _ = mcp_session
    result = await session.call_tool("ask_article", {"question": "How old was Marouane El Balli?"})
    data = result.structured_content
    assert data is not None and data["answerable"] is True and "25" in data["answer"]
    assert data["searched"] == "How old was Marouane El Bali?"
    assert result.content[0].text.endswith("Searched for: How old was Marouane El Bali?")
    plain = (await session.call_tool("ask_article", {"question": ESCAPE})).structured_content
    assert plain is not None and plain["searched"] is None


async def test_an_off_topic_question_reaches_the_assistant_as_an_abstention(mcp_session):
    session, _ = mcp_session
    result = await session.call_tool("ask_article", {"question": OFF_TOPIC})
    assert not result.is_error
    data = result.structured_content
    assert data is not None
    assert (data["answerable"], data["declined"], data["citations"], data["related"]) == (False, "off_topic", [], [])
    text = result.content[0].text
    assert text.startswith("The article doesn't say.") and "http" not in text


async def test_a_question_on_the_subject_the_article_does_not_answer_gets_related_reading_labelled_as_such(mcp_session):
    session, _ = mcp_session
    result = await session.call_tool("ask_article", {"question": NOT_ANSWERED})
    data = result.structured_content
    assert data is not None
    assert (data["answerable"], data["declined"], data["citations"]) == (False, "not_in_article", [])
    assert data["related"] and all("?s=" not in r["url"] for r in data["related"])  # nothing marked as cited
    text = result.content[0].text
    assert text.startswith("The article doesn't say.") and "they do not answer the question" in text


async def test_a_follow_up_is_understood_from_the_history(mcp_session):
    session, _ = mcp_session
    history = [
        {"role": "user", "content": "Who is Marouane El Bali?"},
        {"role": "assistant", "content": "Marouane El Bali had been in a bathroom in the back. [1]"},
    ]
    data = await ask(session, question="How did he try to escape?", history=history)
    assert any("jumped out of a window" in c["text"] for c in data["citations"])


async def test_a_question_can_be_scoped_to_a_document(mcp_session):
    session, _ = mcp_session
    scoped = await ask(session, question="How did El Bali try to escape?", document="verviers-raid")
    assert scoped["answerable"] and {c["document"] for c in scoped["citations"]} == {"verviers-raid"}
    assert scoped == await ask(session, question="How did El Bali try to escape?")


async def test_search_article_gives_ranked_passages_and_none_off_topic(mcp_session):
    session, public_url = mcp_session
    result = await session.call_tool("search_article", {"query": "Where were the Kalashnikovs bought?", "top_k": 2})
    data = result.structured_content
    assert data is not None and data["matched"] is True
    assert [p["n"] for p in data["passages"]] == [1, 2]
    assert "gun shop in Slovakia" in data["passages"][0]["text"]
    assert data["passages"][0]["url"] == f"{public_url}/articles/verviers-raid#p{data['passages'][0]['paragraph']}"
    off = (await session.call_tool("search_article", {"query": OFF_TOPIC})).structured_content
    assert off is not None and (off["matched"], off["passages"]) == (False, [])


async def test_resources_give_each_document_with_its_paragraph_numbers(mcp_session, corpus_dir):
    session, _ = mcp_session
    uris = {str(r.uri) for r in (await session.list_resources()).resources}
    assert uris == {"article://documents", "article://documents/verviers-raid"}
    listing = json.loads((await session.read_resource("article://documents")).contents[0].text)
    (doc,) = load_corpus(corpus_dir)
    assert listing == [
        {
            "id": "verviers-raid",
            "title": doc.title,
            "byline": "Joshua Hersh",
            "publisher": "BuzzFeed News",
            "paragraphs": len(doc.paragraphs),
            "resource": "article://documents/verviers-raid",
            "url": listing[0]["url"],
        }
    ]
    text = (await session.read_resource("article://documents/verviers-raid")).contents[0].text
    assert all(f"[p{p.number}] {p.text}" in text for p in doc.paragraphs)
    templates = (await session.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == [
        "article://documents/{document}",
        "article://documents/{document}/paragraphs/{paragraph}",
    ]
    around = (await session.read_resource("article://documents/verviers-raid/paragraphs/6")).contents[0].text
    assert [line[:4] for line in around.splitlines() if line.startswith("[p")] == ["[p5]", "[p6]", "[p7]"]


@pytest.mark.parametrize(
    "uri",
    [
        "article://documents/nope",
        "article://documents/nope/paragraphs/1",
        "article://documents/verviers-raid/paragraphs/999",
    ],
)
async def test_an_unknown_resource_is_a_clear_error(mcp_session, uri):
    session, _ = mcp_session
    with pytest.raises(MCPError, match=r"(?i)no document|no paragraph"):
        await session.read_resource(uri)


class GrowingCorpus:
    """An index source whose corpus version moves on when a test says so, as ``python -m index add`` makes it."""

    def __init__(self, documents: dict) -> None:
        self.now, self.docs = 1, documents

    def version(self) -> object:
        return self.now

    def load(self) -> Any:  # an answerer as far as a refresh reads it: these tests only read resources
        return SimpleNamespace(retriever=SimpleNamespace(index=SimpleNamespace(manifest={"corpus_version": self.now})))

    def documents(self) -> dict:
        return dict(self.docs)


async def test_document_resources_follow_the_corpus_version(corpus_dir, monkeypatch):
    """A document added while the server runs is listed and read; a removed one is no longer found."""
    monkeypatch.setattr(Pipeline, "CHECK_EVERY", 0.0)
    (doc,) = load_corpus(corpus_dir)
    gulls = parse_document("ostend-gulls", "Gulls Return\nOSTEND, Belgium — The gulls came back this spring.\n")
    source = GrowingCorpus({doc.id: doc})
    pipeline = Pipeline(source.load(), source=source, version=1, documents=source.documents())
    server = build_mcp_server(pipeline, STDIO_PUBLIC_URL, threshold=0.34)

    async def listed(client: Client) -> set[str]:
        return {str(r.uri) for r in (await client.list_resources()).resources}

    async with Client(server) as client:
        assert await listed(client) == {"article://documents", "article://documents/verviers-raid"}
        source.now, source.docs = 2, {doc.id: doc, gulls.id: gulls}
        assert "article://documents/ostend-gulls" in await listed(client)
        listing = json.loads((await client.read_resource("article://documents")).contents[0].text)  # type: ignore[union-attr]
        assert [d["id"] for d in listing] == ["verviers-raid", "ostend-gulls"]
        text = (await client.read_resource("article://documents/ostend-gulls")).contents[0].text  # type: ignore[union-attr]
        assert "The gulls came back this spring." in text
        source.now, source.docs = 3, {doc.id: doc}
        with pytest.raises(MCPError, match="No document called 'ostend-gulls'"):
            await client.read_resource("article://documents/ostend-gulls")
        assert await listed(client) == {"article://documents", "article://documents/verviers-raid"}


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("ask_the_oracle", {"question": ESCAPE}, "Unknown tool: ask_the_oracle"),
        ("ask_article", {}, "question"),
        ("ask_article", {"question": 42}, "question"),
        ("ask_article", {"question": "   "}, "white space"),
        ("ask_article", {"question": "x" * 1001}, "1000 characters"),
        ("ask_article", {"question": ESCAPE, "history": "earlier"}, "history"),
        ("ask_article", {"question": ESCAPE, "history": [{"role": "bot", "content": "x"}]}, "role"),
        ("ask_article", {"question": ESCAPE, "history": [{"role": "user", "content": "x" * 3000}] * 8}, "in all"),
        ("search_article", {"query": ESCAPE, "top_k": "many"}, "top_k"),
        ("search_article", {"query": ESCAPE, "top_k": 11}, "top_k"),
        ("ask_article", {"question": ESCAPE, "document": "no-such-article"}, "it holds verviers-raid"),
        ("search_article", {"query": ESCAPE, "document": ""}, "document"),
    ],
)
async def test_bad_input_gets_a_clear_error_and_the_server_keeps_serving(mcp_session, tool, arguments, says):
    session, _ = mcp_session
    result = await session.call_tool(tool, arguments)
    assert result.is_error
    assert says in result.content[0].text
    assert (await ask(session, question=ESCAPE))["answerable"] is True


async def test_a_5_mb_argument_is_refused_and_the_server_keeps_serving(mcp_session, request):
    session, _ = mcp_session
    huge = "x" * (5 * 1024 * 1024)
    if "stdio" in request.node.callspec.id:
        result = await session.call_tool("ask_article", {"question": huge})
        assert result.is_error and "1000 characters" in result.content[0].text
    else:
        with pytest.raises(MCPError, match=r"Request body too large: at most 65536 bytes\."):  # the app's 64 KiB
            await session.call_tool("ask_article", {"question": huge})
    assert (await ask(session, question=ESCAPE))["answerable"] is True


# Over HTTP only: the 2026 protocol (no handshake, the SDK's default) and the app's edge around /mcp.


async def test_the_sdk_client_s_default_protocol_works_over_http_too(server):
    async with Client(server.url + "/mcp") as client:
        result = await client.call_tool("ask_article", {"question": ESCAPE})
    assert result.structured_content is not None and result.structured_content["answerable"] is True


async def test_a_5_mb_post_to_mcp_is_refused_with_413_and_the_app_keeps_serving(server):
    async with httpx2.AsyncClient(base_url=server.url, timeout=30) as http:
        headers = {"Accept": "application/json, text/event-stream"}
        response = await http.post("/mcp", json=ask_article_call("x" * (5 * 1024 * 1024)), headers=headers)
        assert response.status_code == 413
        assert response.json()["error"]["data"] == {"status": 413, "reason": "request_entity_too_large"}
        answered = await http.post("/mcp", json=ask_article_call(ESCAPE), headers=headers)
    assert answered.status_code == 200 and answered.json()["result"]["structuredContent"]["answerable"] is True
