"""The answer as every surface receives it: typed, and the one definition of the API's JSON shape.

``Answerer.ask`` returns an ``Answer``; the API serialises it (its OpenAPI schema is this model),
the chat page renders it and the Slack bot turns it into Block Kit. Field order is the JSON's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from .limits import MAX_TURN_CHARS

# Why a question was declined: the article is about its subject but does not answer it ("not in
# the article": related passages are offered as further reading), or it is about something else.
Declined = Literal["not_in_article", "off_topic"]


class Turn(BaseModel):
    """One earlier turn of a conversation, as every surface passes the history on."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr = Field(max_length=MAX_TURN_CHARS)


class Highlight(BaseModel):
    """What the answer was drawn from (first passage) or the best-matching sentence (the others)."""

    start: int = Field(description="Start of the answering sentence within the passage text.")
    end: int


class CitedPassage(BaseModel):
    """One passage of the article cited for an answer, with where it lies in its document."""

    id: str
    rank: int
    document: str = Field(description="Document id (the corpus file name without .txt).")
    title: str
    paragraph: int = Field(description="Paragraph number as a reader counts (0 is the standfirst).")
    start: int = Field(description="Character offset of the passage in the document's source text.")
    end: int
    text: str
    score: float
    highlight: Highlight


class Answer(BaseModel):
    """A short extractive answer with [n] markers and the passages they cite, or an abstention.

    An abstention cites nothing (``passages`` is empty) and says why in ``declined``. When the
    article is about the question's subject without answering it, ``related`` holds the closest
    passages as further reading: never the answer, and shown as such.
    """

    answer: str
    answerable: bool
    passages: list[CitedPassage] = Field(description="The passages the answer cites, best first; empty when declined.")
    confidence: float
    took_ms: float
    declined: Declined | None = Field(
        description=(
            "Why the question was declined, when it was: not_in_article (the article covers the subject but does not "
            "answer this; see related) or off_topic (the article is about something else). Null for an answer."
        ),
    )
    related: list[CitedPassage] = Field(
        description="When declined as not_in_article: the closest passages, as related reading, not as an answer.",
    )
    searched: str | None = Field(
        default=None,
        description=(
            "The question as it was searched, when a misspelt name in it was read as the article's spelling "
            '("who is abaoud" searched as "who is abaaoud"); null when it was searched as asked.'
        ),
    )
