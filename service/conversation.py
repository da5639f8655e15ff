"""The chat page's conversation as it travels in the form, checked with the API's own limits.

The server keeps no conversation. Each exchange of the transcript comes back with the next
question as four hidden fields: ``q`` (the question), ``a`` (the answer), ``cites`` (JSON
references to the cited passages: document, offsets, highlighted sentence) and ``related`` (the
same references for the passages offered as related reading when the article does not answer).
The questions and answers are the API's ``history`` and are validated by the same ``AskRequest`` /
``Turn`` models, so the page accepts exactly what the API accepts. References carry no text: the
passage is re-read from the article into the answer's own ``CitedPassage``, so a tampered form can
at worst point at another part of the article.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, TypeAdapter, ValidationError
from werkzeug.datastructures import MultiDict

from index import Document
from qa.limits import MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_TOP_K, TOP_K, trim_history
from qa.models import CitedPassage, Declined, Highlight

from .schemas import AskRequest, Turn


class ConversationError(ValueError):
    """The form's question or conversation breaks a limit; the message is shown to the reader."""


class CiteRef(BaseModel):
    """Where a cited passage and its answering sentence lie in a document (offsets, no text)."""

    model_config = ConfigDict(extra="forbid")
    id: StrictStr = Field(max_length=200)
    document: StrictStr = Field(max_length=200)
    start: StrictInt = Field(ge=0)
    end: StrictInt = Field(ge=0)
    score: float
    highlight: tuple[StrictInt, StrictInt]


_CITES = TypeAdapter(list[CiteRef])
_TURNS = TypeAdapter(list[Turn])


@dataclass
class Exchange:
    """One question and its answer, with the passages it cites, or those offered as related reading."""

    question: str
    answer: str
    passages: list[CitedPassage] = field(default_factory=list)
    related: list[CitedPassage] = field(default_factory=list)
    searched: str | None = None  # the question as searched, when a misspelt name was read (Answer.searched)

    @property
    def answerable(self) -> bool:
        # An answer with no cited passage is the abstention: the API never cites for it.
        return bool(self.passages)

    @property
    def declined(self) -> Declined | None:
        """Why the question was declined, read from what the exchange shows (as ``Answer.declined``).

        Derived rather than carried, so the form cannot claim one thing and show another: an
        abstention that offers related reading is "not in the article", one that offers none is off topic.
        """
        if self.passages:
            return None
        return "not_in_article" if self.related else "off_topic"

    @property
    def passage_ids(self) -> list[str]:
        return [p.id for p in self.passages]

    def cites_json(self) -> str:
        """The hidden ``cites`` field: what is needed to re-read each cited passage from the article."""
        return _refs_json(self.passages)

    def related_json(self) -> str:
        """The hidden ``related`` field: the same references for the related-reading passages."""
        return _refs_json(self.related)


def _refs_json(passages: Sequence[CitedPassage]) -> str:
    return json.dumps(
        [
            {
                "id": p.id,
                "document": p.document,
                "start": p.start,
                "end": p.end,
                "score": p.score,
                "highlight": [p.highlight.start, p.highlight.end],
            }
            for p in passages
        ],
        separators=(",", ":"),
    )


def history(exchanges: Sequence[Exchange]) -> list[dict]:
    """The conversation as the API's ``history``: user and assistant turns, oldest first."""
    turns = []
    for exchange in exchanges:
        turns.append({"role": "user", "content": exchange.question})
        turns.append({"role": "assistant", "content": exchange.answer})
    return turns


def trim(exchanges: list[Exchange]) -> list[Exchange]:
    """Drop the oldest exchanges until the conversation fits the API's history limits.

    Done before the page is rendered, so the form it carries is always one the server accepts.
    """
    return trim_history(exchanges, turns=lambda _: 2, chars=lambda e: len(e.question) + len(e.answer))


def _passages(raw: str, documents: Mapping[str, Document]) -> list[CitedPassage]:
    """Rebuild one exchange's cited (or related) passages from the article, refusing references that do not fit it."""
    try:
        refs = _CITES.validate_json(raw or "[]")
    except ValidationError:
        raise ConversationError(_DAMAGED) from None
    if len(refs) > MAX_TOP_K:
        raise ConversationError(_DAMAGED)
    passages = []
    for rank, ref in enumerate(refs, start=1):
        doc = documents.get(ref.document)
        paragraph = next((p for p in doc.paragraphs if p.start <= ref.start < ref.end <= p.end), None) if doc else None
        low, high = ref.highlight
        if doc is None or paragraph is None or not 0 <= low < high <= ref.end - ref.start:
            raise ConversationError(_DAMAGED)
        passages.append(
            CitedPassage(
                id=ref.id,
                rank=rank,
                document=doc.id,
                title=doc.title,
                paragraph=paragraph.number,
                start=ref.start,
                end=ref.end,
                text=doc.source[ref.start : ref.end],
                score=ref.score,
                highlight=Highlight(start=low, end=high),
            )
        )
    return passages


_DAMAGED = "The conversation sent with the form could not be read. Start a new conversation."
_TOO_LONG = (
    f"This conversation is longer than can be sent along (at most {MAX_HISTORY_TURNS} turns and "
    f"{MAX_HISTORY_CHARS:,} characters). Start a new conversation."
)


def parse_exchanges(form: MultiDict, documents: Mapping[str, Document]) -> list[Exchange]:
    """The transcript carried by the form, validated with the API's history limits."""
    questions, answers = form.getlist("q"), form.getlist("a")
    cites, related = form.getlist("cites"), form.getlist("related")
    if not len(questions) == len(answers) == len(cites) == len(related):
        raise ConversationError(_DAMAGED)
    if 2 * len(questions) > MAX_HISTORY_TURNS:
        raise ConversationError(_TOO_LONG)
    exchanges = [Exchange(q, a) for q, a in zip(questions, answers, strict=True)]
    try:
        turns = _TURNS.validate_python(history(exchanges))
    except ValidationError:
        raise ConversationError(_TOO_LONG) from None
    if sum(len(t.content) for t in turns) > MAX_HISTORY_CHARS:
        raise ConversationError(_TOO_LONG)
    for exchange, raw_cites, raw_related in zip(exchanges, cites, related, strict=True):
        exchange.passages = _passages(raw_cites, documents)
        exchange.related = _passages(raw_related, documents)
        if exchange.passages and exchange.related:
            raise ConversationError(_DAMAGED)  # related reading is offered only in place of an answer
    searched = form.getlist("searched")  # one per exchange ("" when searched as asked); absent in older pages
    if searched and len(searched) != len(exchanges):
        raise ConversationError(_DAMAGED)
    for exchange, text in zip(exchanges, searched, strict=False):
        if len(text) > MAX_QUESTION_CHARS + 1:
            raise ConversationError(_DAMAGED)
        exchange.searched = text or None
    return exchanges


def ask_request(question: str, exchanges: Sequence[Exchange]) -> AskRequest:
    """Validate the question and the conversation exactly as POST /api/ask would."""
    try:
        return AskRequest.model_validate({"question": question, "history": history(exchanges), "top_k": TOP_K})
    except ValidationError as exc:
        fields = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        if "question" in fields:
            if len(question) > MAX_QUESTION_CHARS:
                raise ConversationError(
                    f"Your question is {len(question):,} characters long; please keep it to "
                    f"{MAX_QUESTION_CHARS:,} characters."
                ) from None
            raise ConversationError("Please type a question first.") from None
        raise ConversationError(_TOO_LONG) from None
