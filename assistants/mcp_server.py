"""The article as an MCP server: tools to ask and search it, resources to read it around a citation.

    python -m assistants.mcp_server                      # stdio, for desktop assistants
    python -m assistants.mcp_server --http --port 8001   # streamable HTTP in a process of its own

The web app serves the same server at ``/mcp`` (``service/mcp_http.py``), which is how it is
deployed over HTTP; docs/assistants.md has the figures behind that choice. Either way the server
is built from the same pipeline the app answers with (``qa.pipeline.build_pipeline`` over
``qa.settings.load_settings``), never through Flask.

Tools: ``ask_article`` (the extractive answer with its [n] markers and each cited passage, or an
abstention that cites nothing) and ``search_article`` (ranked passages, none when the article is
about something else). Resources: ``article://documents`` (the list) and
``article://documents/<id>`` (a document's text, each paragraph numbered as citations number
them), with ``article://documents/<id>/paragraphs/<n>`` for one paragraph and its neighbours.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import urlsplit

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from mcp.types import Resource as MCPResource
from pydantic import AfterValidator, BaseModel, Field
from starlette.applications import Starlette
from threadpoolctl import threadpool_limits

from index import Document, IndexError_, UnknownDocument
from qa.answers import Answerer, cited_passage
from qa.limits import MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_TOP_K, TOP_K, not_blank
from qa.models import Answer, CitedPassage, Declined, Turn
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import load_settings

from .citations import RELATED_HEADING, article_url, document_url, sentence, sentence_span

log = logging.getLogger(__name__)

SERVER_NAME = "verviers-article"
# What the corpus is about, for an assistant deciding whether to call the tools; the documents'
# own titles, bylines and standfirsts follow it in each description (``corpus_summary``).
SUBJECT = "BuzzFeed News' investigation of the January 2015 anti-terror raid in Verviers, Belgium"
DOCUMENTS_URI = "article://documents"
MCP_PATH = "/mcp"


class Citation(BaseModel):
    """A passage of the article: where it is, the sentence that matters, and how to read around it."""

    n: int = Field(description="Its number: the [n] marker that cites it in the answer, or its rank.")
    document: str = Field(description="Document id (the corpus file name without .txt).")
    title: str
    paragraph: int = Field(description="Paragraph number as a reader counts (0 is the standfirst).")
    start: int = Field(description="Character offset of the passage in the document's text.")
    end: int
    sentence: str = Field(description="The highlighted sentence: what the answer is drawn from, or the best match.")
    sentence_start: int = Field(description="Character offset of that sentence in the document's text.")
    sentence_end: int
    text: str = Field(description="The whole passage.")
    url: str = Field(description="The paragraph on the web, the sentence marked when it is cited.")
    resource: str = Field(description="MCP resource with this paragraph and its neighbours, to read around it.")


class ArticleAnswer(BaseModel):
    """What ``ask_article`` returns: an answer quoted from the article with its citations, or an abstention."""

    answer: str = Field(
        description="Sentences quoted from the article with [n] markers, or that the article doesn't say."
    )
    answerable: bool = Field(description="False: the article does not answer this; nothing is cited.")
    declined: Declined | None = Field(
        description="When not answerable, why: not_in_article (on the subject, not answered) or off_topic."
    )
    citations: list[Citation] = Field(description="The passages the [n] markers cite; empty when not answerable.")
    related: list[Citation] = Field(
        description="Only when declined is not_in_article: passages on the subject that do NOT answer the question."
    )
    confidence: float = Field(description="Best cosine of the question with any sentence of the article.")
    searched: str | None = Field(
        default=None,
        description="What was searched when it differs from the question (a misspelt name read as the article has it).",
    )


class SearchResults(BaseModel):
    """What ``search_article`` returns: passages ranked by how well they match, none when nothing does."""

    query: str
    matched: bool = Field(description="False: nothing in the article matches the query; no passages are given.")
    passages: list[Citation]
    confidence: float


def _question(value: str) -> str:
    return not_blank(value).strip()


def _within_budget(history: list[Turn] | None) -> list[Turn] | None:
    if history and sum(len(t.content) for t in history) > MAX_HISTORY_CHARS:
        raise ValueError(f"at most {MAX_HISTORY_CHARS} characters in all")
    return history


Question = Annotated[
    str,
    Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="The question, in plain language."),
    AfterValidator(_question),
]
History = Annotated[
    list[Turn] | None,
    Field(
        max_length=MAX_HISTORY_TURNS,
        description=(
            "Earlier turns of this conversation, oldest first, so a follow-up such as 'How did he escape?' "
            f"is understood (at most {MAX_HISTORY_TURNS} turns, {MAX_HISTORY_CHARS:,} characters in all)."
        ),
    ),
    AfterValidator(_within_budget),
]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K, description="How many passages to return.")]
DocumentId = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=256,
        description=(
            "Answer from this document only: its id, as the citations' `document` and the resources' URIs give it. "
            "By default the search chooses (a corpus of several documents)."
        ),
    ),
]


def corpus_summary(documents: Sequence[Document]) -> str:
    """What the corpus is, from the documents themselves: title, byline, publisher and standfirst."""
    lines = []
    for doc in documents:
        by = ", ".join(part for part in (doc.metadata.get("byline"), doc.metadata.get("publisher")) if part)
        standfirst = next((p.text for p in doc.paragraphs if p.kind == "standfirst"), "")
        lines.append(f"“{doc.title}”" + (f" ({by})" if by else "") + (f": {standfirst}" if standfirst else ""))
    return "\n".join(lines)


def paragraph_uri(document: str, paragraph: int) -> str:
    return f"{DOCUMENTS_URI}/{document}/paragraphs/{paragraph}"


def citation(passage: CitedPassage, base_url: str, cited: bool = True) -> Citation:
    start, end = sentence_span(passage)
    return Citation(
        n=passage.rank,
        document=passage.document,
        title=passage.title,
        paragraph=passage.paragraph,
        start=passage.start,
        end=passage.end,
        sentence=sentence(passage),
        sentence_start=start,
        sentence_end=end,
        text=passage.text,
        url=article_url(base_url, passage, cited),
        resource=paragraph_uri(passage.document, passage.paragraph),
    )


def answer_text(result: ArticleAnswer) -> str:
    """The answer as the assistant's model reads it: the quote, then each source; or the abstention, plainly.

    When a misspelt name was read as the article spells it, the last line says what was searched.
    """
    searched = [f"Searched for: {result.searched}"] if result.searched else []
    if not result.answerable:
        lines = [result.answer, "Tell the user the article does not say; do not answer as if it did.", *searched]
        if result.related:
            lines += ["", RELATED_HEADING]
            lines += [f"- paragraph {c.paragraph} ({c.url}): “{c.sentence}”" for c in result.related]
        return "\n".join(lines)
    lines = [f"Answer, quoted from the article: {result.answer}", "", "Sources:"]
    lines += [f"[{c.n}] {c.title}, paragraph {c.paragraph} ({c.url}): “{c.sentence}”" for c in result.citations]
    return "\n".join([*lines, *searched])


def search_text(result: SearchResults) -> str:
    if not result.matched:
        return "Nothing in the article matches this query: the article is about something else. No passage is given."
    lines = [f"Passages of the article matching “{result.query}”, best first (matches, not answers):"]
    lines += [f"[{c.n}] paragraph {c.paragraph} ({c.url}): {c.text}" for c in result.passages]
    return "\n".join(lines)


def document_text(doc: Document, base_url: str) -> str:
    """A document as an assistant reads it: the headline, who wrote it, then each paragraph with its number."""
    meta = doc.metadata
    by = ", ".join(part for part in (meta.get("byline"), meta.get("publisher")) if part)
    lines = [f"# {doc.title}"]
    if by:
        lines.append(f"By {by}.")
    lines += [
        f"Document `{doc.id}`, on the web at {document_url(base_url, doc.id)}. Each paragraph is marked [pN] as "
        "citations number it ([p0] is the standfirst); its anchor on the web page is #pN.",
        "",
    ]
    for paragraph in doc.paragraphs:
        lines += [f"[p{paragraph.number}] {paragraph.text}", ""]
    return "\n".join(lines).rstrip() + "\n"


class ArticleServer(MCPServer):
    """An MCP server whose document resources are those of the moment: one listed per document it answers from.

    The corpus grows while the server runs (``python -m index add``), so the documents are asked of
    ``documents`` (the pipeline's) at each listing and each read, never fixed when the server is built.
    """

    def __init__(self, documents: Callable[[], Mapping[str, Document]], **settings: Any) -> None:
        super().__init__(**settings)
        self.documents = documents

    async def list_resources(self) -> list[MCPResource]:
        """The fixed resources (the list of documents), then one per document."""
        return [
            *await super().list_resources(),
            *(
                MCPResource(
                    uri=f"{DOCUMENTS_URI}/{doc.id}",
                    name=doc.id,
                    title=doc.title,
                    description=f"The whole text of “{doc.title}”, each paragraph numbered [pN] as citations cite it.",
                    mime_type="text/markdown",
                )
                for doc in self.documents().values()
            ),
        ]


def build_mcp_server(
    pipeline: Pipeline,
    public_url: str,
    threshold: float,
    on_answer: Callable[[Answer], None] | None = None,
) -> MCPServer:
    """The MCP server over ``pipeline``: its tools, and its documents as resources; links point at ``public_url``.

    ``threshold`` is the abstention threshold (``ABSTAIN_THRESHOLD``): below it a search matches nothing.
    ``on_answer`` is told of each answer (the web app counts them in its metrics). The documents are the
    pipeline's, read at each request (they follow the corpus version); the summary in the instructions and
    tool descriptions is of the documents there at start.
    """

    def documents() -> Mapping[str, Document]:
        return pipeline.documents

    summary = corpus_summary(list(documents().values()))
    server = ArticleServer(
        documents,
        name=SERVER_NAME,
        title="Ask the Verviers article",
        description="Question answering over one news article, with citations to its paragraphs.",
        instructions=(
            f"This server answers questions from {SUBJECT}, and from nothing else:\n"
            f"{summary}\n"
            "Answers are extractive: sentences quoted from the article with [n] markers that cite its paragraphs, "
            "never generated text. When ask_article says the article doesn't say, pass that on as it is."
        ),
        website_url=public_url,
        version="1.0.0",
        warn_on_duplicate_resources=False,
    )

    def answerer() -> Answerer:
        try:
            return pipeline.require()
        except IndexError_ as exc:
            raise ToolError(f"The article's index is not available: {exc}") from None

    def ask_article(
        question: Question, history: History = None, document: DocumentId = None
    ) -> Annotated[CallToolResult, ArticleAnswer]:
        turns = [turn.model_dump() for turn in history or []]
        try:
            answer = answerer().ask(question, turns, document=document)
        except UnknownDocument as exc:
            raise ToolError(str(exc)) from None
        if on_answer is not None:
            on_answer(answer)
        result = ArticleAnswer(
            answer=answer.answer,
            answerable=answer.answerable,
            declined=answer.declined,
            citations=[citation(p, public_url) for p in answer.passages],
            related=[citation(p, public_url, cited=False) for p in answer.related],
            confidence=answer.confidence,
            searched=answer.searched,
        )
        return CallToolResult(
            content=[TextContent(type="text", text=answer_text(result))],
            structured_content=result.model_dump(mode="json"),
        )

    def search_article(
        query: Question, top_k: TopK = TOP_K, document: DocumentId = None
    ) -> Annotated[CallToolResult, SearchResults]:
        try:
            found = answerer().retriever.search(query, top_k=top_k, document=document)
        except UnknownDocument as exc:
            raise ToolError(str(exc)) from None
        matched = bool(found.hits) and found.confidence >= threshold
        passages = [
            citation(cited_passage(rank, hit), public_url, cited=False) for rank, hit in enumerate(found.hits, 1)
        ]
        result = SearchResults(
            query=query, matched=matched, passages=passages if matched else [], confidence=round(found.confidence, 4)
        )
        return CallToolResult(
            content=[TextContent(type="text", text=search_text(result))],
            structured_content=result.model_dump(mode="json"),
        )

    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
    server.add_tool(
        ask_article,
        title="Ask the article",
        description=(
            f"Answer a question from {SUBJECT}, and only from it:\n"
            f"{summary}\n"
            "Call it for any question about that story: the raid, the people in it, the investigation, what the "
            "article reports or quotes. The answer is extractive: the article's own sentences with [n] markers, and "
            "for each [n] the cited passage (document, paragraph, character offsets, the highlighted sentence, a link "
            "to the paragraph). When the article does not answer, answerable is false, the answer says the article "
            "doesn't say, and nothing is cited: say so rather than answering from elsewhere. Pass earlier turns in "
            "history so follow-ups ('what happened to him?') are understood."
        ),
        annotations=read_only,
    )
    server.add_tool(
        search_article,
        title="Search the article",
        description=(
            f"Find the passages of {SUBJECT} that best match a query, best first, without composing an answer:\n"
            f"{summary}\n"
            "Each passage comes with its document, paragraph, offsets, best-matching sentence and link. Passages are "
            "matches, not answers; when nothing in the article matches (matched is false), none are given. Use "
            "ask_article to answer a question."
        ),
        annotations=read_only,
    )

    @server.resource(
        DOCUMENTS_URI,
        name="documents",
        title="The documents",
        description="The documents the answers come from: id, title, byline, paragraph count, resource and link.",
        mime_type="application/json",
    )
    def documents_resource() -> str:
        listing = [
            {
                "id": doc.id,
                "title": doc.title,
                "byline": doc.metadata.get("byline"),
                "publisher": doc.metadata.get("publisher"),
                "paragraphs": len(doc.paragraphs),
                "resource": f"{DOCUMENTS_URI}/{doc.id}",
                "url": document_url(public_url, doc.id),
            }
            for doc in documents().values()
        ]
        return json.dumps(listing, ensure_ascii=False, indent=2)

    @server.resource(
        DOCUMENTS_URI + "/{document}",
        name="document",
        title="A document",
        description="The whole text of a document, each paragraph numbered [pN] as citations number it.",
        mime_type="text/markdown",
    )
    def document_resource(document: str) -> str:
        doc = documents().get(document)
        if doc is None:
            raise ResourceNotFoundError(f"No document called {document!r}.")
        return document_text(doc, public_url)

    @server.resource(
        DOCUMENTS_URI + "/{document}/paragraphs/{paragraph}",
        name="paragraph",
        title="A paragraph and its neighbours",
        description="Paragraph n of a document with the one before and the one after, to read around a citation.",
        mime_type="text/markdown",
    )
    def paragraph_resource(document: str, paragraph: str) -> str:
        doc = documents().get(document)
        numbers = {p.number: p for p in doc.paragraphs} if doc else {}
        if doc is None or not paragraph.isdigit() or int(paragraph) not in numbers:
            raise ResourceNotFoundError(f"No paragraph {paragraph} in a document called {document!r}.")
        n = int(paragraph)
        around = [numbers[k] for k in (n - 1, n, n + 1) if k in numbers]
        head = f"# {doc.title}, paragraph {n} and its neighbours\n\n"
        return head + "\n\n".join(f"[p{p.number}] {p.text}" for p in around) + "\n"

    return server


def streamable_http_app(server: MCPServer, public_url: str, max_body: int) -> Starlette:
    """The server as an ASGI app answering at ``/mcp``: stateless, one JSON response per POST.

    Stateless, so any worker (or instance) can answer any request and nothing is kept between
    them; JSON responses, so a request holds a worker only while it is answered, never for an
    open event stream. Host and Origin are checked against loopback and ``public_url`` (the MCP
    SDK's DNS-rebinding protection); bodies are bounded by ``max_body``.
    """
    return server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        max_request_body_size=max_body,
        transport_security=transport_security(public_url),
    )


def transport_security(public_url: str) -> TransportSecuritySettings:
    """Requests are accepted for loopback and for the public address the service is reached at."""
    public = urlsplit(public_url)
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if public.netloc:
        hosts.append(public.netloc)
        origins.append(f"{public.scheme}://{public.netloc}")
    return TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=origins)


def from_settings(settings: Mapping[str, Any]) -> MCPServer:
    """The MCP server as the app would build it: the pipeline (and its documents) from ``settings``."""
    return build_mcp_server(build_pipeline(settings), settings["PUBLIC_URL"], float(settings["ABSTAIN_THRESHOLD"]))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m assistants.mcp_server``: stdio by default, ``--http`` for streamable HTTP."""
    parser = argparse.ArgumentParser(prog="python -m assistants.mcp_server", description=__doc__.splitlines()[0])
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP at /mcp instead of stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    settings = load_settings()
    logging.basicConfig(level=str(settings["LOG_LEVEL"]).upper(), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    # One thread for the math libraries, as gunicorn.conf.py gives each worker: OpenBLAS's idle
    # threads otherwise spin after every product. Measured here over HTTP, one call at a time:
    # p50 40 ms with the default, 20 ms with one thread (docs/assistants.md).
    threadpool_limits(1)
    server = from_settings(settings)
    if not args.http:
        server.run("stdio")  # stdout carries the protocol; logs go to stderr
        return
    app = streamable_http_app(server, settings["PUBLIC_URL"], int(settings["MAX_CONTENT_LENGTH"]))
    uvicorn.run(app, host=args.host, port=args.port, log_level=str(settings["LOG_LEVEL"]).lower())


if __name__ == "__main__":
    main()
