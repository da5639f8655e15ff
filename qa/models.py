"""The answer as every surface receives it: typed, and the one definition of the API's JSON shape.

``Answerer.ask`` returns an ``Answer``; the API serialises it (its OpenAPI schema is this model),
the chat page renders it and the Slack bot turns it into Block Kit. Field order is the JSON's.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


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
    """A short extractive answer with [n] markers and the passages they cite, or an abstention."""

    answer: str
    answerable: bool
    passages: list[CitedPassage]
    confidence: float
    took_ms: float
