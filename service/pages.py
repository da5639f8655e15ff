"""The browser pages: the chat page (GET/POST /), its no-JavaScript feedback form and the article reader.

The page works without JavaScript: the form posts the question with the conversation so far in
hidden fields, and the server renders the whole transcript. With JavaScript (static/app.js) the same
form is sent to /api/ask with fetch instead. Either way the server holds no conversation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import Blueprint, abort, render_template, request, url_for
from markupsafe import Markup, escape
from pydantic import ValidationError

from index import Document, IndexError_, UnknownDocument
from qa import limits
from qa.feedback import FeedbackError
from qa.models import CitedPassage

from .conversation import ConversationError, Exchange, ask_request, history, parse_exchanges, trim
from .observability import record_answer
from .schemas import FeedbackRequest
from .state import get_answerer, get_feedback_store, get_pipeline

pages = Blueprint("pages", __name__)

# Offered on an empty page: a newcomer's first questions, each one the article answers well.
EXAMPLE_QUESTIONS = [
    "Who were Soufiane Amghar and Khalid Ben Larbi?",
    "Who is Marouane El Bali?",
    "How did El Bali try to escape?",
    "What was found in the apartment?",
]
# Up to this many documents the page names each in its introduction; beyond, it counts them (an archive).
LISTED_DOCUMENTS = 5
_MARKER = re.compile(r"\[(\d+)\]")
_RATING = re.compile(r"^(\d{1,3}):(up|down)$")


def get_documents() -> Mapping[str, Document]:
    """The documents of the corpus version the app answers from, by id (the pipeline follows it)."""
    return get_pipeline().documents


def render_chat(
    exchanges: list[Exchange],
    *,
    draft: str = "",
    error: str = "",
    rated: Mapping[int, str] | None = None,
    status: int = 200,
    chosen: str = "",
) -> tuple[str, int]:
    return (
        render_template(
            "chat.html",
            exchanges=exchanges,
            draft=draft,
            error=error,
            rated=rated or {},
            examples=EXAMPLE_QUESTIONS,
            documents=list(get_documents().values()),
            listed=LISTED_DOCUMENTS,
            chosen=chosen,
            limits=limits.as_json(),
        ),
        status,
    )


@pages.get("/")
def chat():
    """The empty chat page, with example questions."""
    return render_chat([])


@pages.post("/")
def ask():
    """No-JavaScript path: answer the posted question given the posted conversation, render the transcript."""
    draft = request.form.get("example") or request.form.get("question", "")
    try:
        exchanges = parse_exchanges(request.form, get_documents())
    except ConversationError as exc:
        return render_chat([], draft=draft, error=str(exc), status=400)
    try:
        body = ask_request(draft, exchanges)
    except ConversationError as exc:
        return render_chat(exchanges, draft=draft, error=str(exc), status=400)
    document = request.form.get("document", "").strip() or None
    try:
        result = get_answerer().ask(body.question, history(exchanges), body.top_k, document=document)
    except UnknownDocument as exc:
        return render_chat(exchanges, draft=draft, error=str(exc), status=400)
    except IndexError_:
        message = "Answers are unavailable right now: the article index is not loaded. Try again shortly."
        return render_chat(exchanges, draft=draft, error=message, status=503)
    record_answer(result)
    exchange = Exchange(body.question, result.answer, result.passages, result.related, result.searched)
    exchanges = trim([*exchanges, exchange])
    return render_chat(exchanges, chosen=document or "")


@pages.post("/feedback")
def feedback():
    """No-JavaScript path for 👍 / 👎: store the rating, re-render the same transcript with a thank-you."""
    draft = request.form.get("question", "")
    try:
        exchanges = parse_exchanges(request.form, get_documents())
    except ConversationError as exc:
        return render_chat([], draft=draft, error=str(exc), status=400)
    match = _RATING.match(request.form.get("rate", ""))
    if not match or int(match[1]) >= len(exchanges):
        return render_chat(exchanges, draft=draft, error="That rating could not be read.", status=400)
    turn, rating = int(match[1]), match[2]
    exchange = exchanges[turn]
    try:
        rated = FeedbackRequest.model_validate(
            {
                "rating": rating,
                "question": exchange.question,
                "answer": exchange.answer,
                "passage_ids": exchange.passage_ids,
            }
        )
        get_feedback_store().record(rated.rating, rated.question, rated.answer, rated.passage_ids, source="web")
    except ValidationError:
        return render_chat(exchanges, draft=draft, error="That answer cannot be rated.", status=400)
    except FeedbackError:
        message = "Sorry, your rating could not be saved just now. Please try again later."
        return render_chat(exchanges, draft=draft, error=message, status=503)
    return render_chat(exchanges, draft=draft, rated={turn: rating})


@pages.get("/articles/<document>")
def article(document: str):
    """The whole article, one anchor per paragraph (#p12); ``s``/``e`` mark a cited sentence."""
    doc = get_documents().get(document)
    if doc is None:
        abort(404, description=f"There is no article called “{document}”.")
    cited = cited_sentence(doc, request.args.get("s", type=int), request.args.get("e", type=int))
    return render_template("article.html", doc=doc, cited=cited)


def cited_sentence(doc: Document, start: int | None, end: int | None) -> tuple[int, int, int] | None:
    """(paragraph number, start, end within it) of a cited sentence, or None when the offsets don't fit one."""
    if start is None or end is None or not 0 <= start < end:
        return None
    for paragraph in doc.paragraphs:
        if paragraph.start <= start and end <= paragraph.end:
            return paragraph.number, start - paragraph.start, end - paragraph.start
    return None


@pages.app_template_filter("answer_markup")
def answer_markup(answer: str, turn: int, cited: int) -> Markup:
    """The answer text, escaped, with each [n] marker a link to the n-th cited passage below it."""
    parts, last = [], 0
    for match in _MARKER.finditer(answer):
        n = int(match[1])
        if not 1 <= n <= cited:
            continue
        parts.append(escape(answer[last : match.start()]))
        parts.append(Markup('<a class="marker" href="#t{}-c{}">[{}]</a>').format(turn, n, n))
        last = match.end()
    parts.append(escape(answer[last:]))
    return Markup("").join(parts)


@pages.app_template_filter("split_at")
def split_at(text: str, start: int, end: int) -> tuple[str, str, str]:
    """Text before, inside and after [start, end): how a highlighted sentence is cut out of its passage."""
    return text[:start], text[start:end], text[end:]


@pages.app_template_global()
def article_url(passage: CitedPassage, cited: bool = True) -> str:
    """The reader's link for a passage: the paragraph's anchor, with a cited sentence's offsets to highlight.

    Related reading is linked to its paragraph alone: the article page marks only what an answer cites.
    """
    anchor = f"p{passage.paragraph}"
    if not cited:
        return url_for("pages.article", document=passage.document, _anchor=anchor)
    start = passage.start + passage.highlight.start
    end = passage.start + passage.highlight.end
    return url_for("pages.article", document=passage.document, s=start, e=end, _anchor=anchor)
