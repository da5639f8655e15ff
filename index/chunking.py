"""Cut paragraphs into sentences and passages that the embedding model reads whole.

A passage is a run of whole sentences of one paragraph. It never holds more tokens than the
model reads (counted with the model's own tokenizer), so nothing is silently truncated away,
and it is kept short (``max_words``) so a returned passage is focused. A single sentence longer
than the token limit is cut at token boundaries. Every span is a character range of the source.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Protocol

from .corpus import Document

# An abbreviation or an initial before a full stop does not end a sentence.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "jr",
    "sr",
    "mt",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "gov",
    "sen",
    "rep",
    "rev",
    "vs",
    "etc",
    "no",
    "nos",
    "vol",
    "fig",
    "inc",
    "ltd",
    "co",
    "corp",
    "jan",
    "feb",
    "mar",
    "apr",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
    "u.n",
    "approx",
    "dept",
    "est",
    "ft",
    "mme",
    "mlle",
    "messrs",
}
# The word before a full stop. It can only start where a run of word characters starts: the
# look-behind says so, and keeps a 10,000-character word from costing a quadratic search.
_WORD_BEFORE = re.compile(r"(?<![\w.])([\w.]+)\W*$")
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9\u00C0-\u024F])")


class Tokenizer(Protocol):
    """What chunking needs of a tokenizer: the character span of each token of a text."""

    def token_spans(self, text: str) -> list[tuple[int, int]]: ...


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str

    @property
    def words(self) -> int:
        """Its length in words, the unit of the passage and answer limits."""
        return word_count(self.text)


def word_count(text: str) -> int:
    """Words as the limits count them: runs of non-space characters."""
    return len(text.split())


@dataclass(frozen=True)
class Passage:
    """A citable run of sentences: document, paragraph (as a reader counts) and source offsets."""

    id: str
    document: str
    title: str
    paragraph: int
    start: int
    end: int
    text: str
    sentences: tuple[Sentence, ...]
    context: str = ""  # indexed with the text but not shown: e.g. the byline for the standfirst

    @property
    def indexed_text(self) -> str:
        return f"{self.context} {self.text}" if self.context else self.text


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Split ``text`` into sentences; spans are shifted by ``offset`` into the source."""
    spans, begin = [], 0
    for match in _BOUNDARY.finditer(text):
        before = _WORD_BEFORE.search(text[begin : match.start() + 1])
        word = before.group(1).rstrip(".").lower() if before else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        end = match.end()
        spans.append((begin, len(text[:end].rstrip())))
        begin = end
    if begin < len(text):
        spans.append((begin, len(text)))
    sentences = []
    for s, e in spans:
        piece = text[s:e]
        lead = len(piece) - len(piece.lstrip())
        s, e = s + lead, e - (len(piece) - len(piece.rstrip()))
        if e > s:
            sentences.append(Sentence(offset + s, offset + e, text[s:e]))
    return sentences


def _cut_long(sentence: Sentence, tokenizer: Tokenizer, max_tokens: int) -> list[Sentence]:
    """Cut a sentence that exceeds the token limit at token boundaries."""
    spans = tokenizer.token_spans(sentence.text)
    if len(spans) <= max_tokens:
        return [sentence]
    pieces = []
    for k in range(0, len(spans), max_tokens):
        chunk = spans[k : k + max_tokens]
        s = chunk[0][0] if k else 0
        e = spans[k + max_tokens][0] if k + max_tokens < len(spans) else len(sentence.text)
        text = sentence.text[s:e].rstrip()
        if text.strip():
            lead = len(text) - len(text.lstrip())
            pieces.append(Sentence(sentence.start + s + lead, sentence.start + s + len(text), text.lstrip()))
    return pieces


def chunk_paragraph(
    sentences: list[Sentence], tokenizer: Tokenizer, max_tokens: int, max_words: int
) -> list[list[Sentence]]:
    """Group sentences into runs of even length, each within ``max_words`` and ``max_tokens``."""
    total = sum(s.words for s in sentences)
    target = math.ceil(total / max(1, math.ceil(total / max_words)))
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    for sentence in sentences:
        candidate = [*current, sentence]
        words = sum(s.words for s in candidate)
        text = " ".join(s.text for s in candidate)
        too_long = words > max_words or (current and words > target + 10)
        if current and (too_long or len(tokenizer.token_spans(text)) > max_tokens):
            groups.append(current)
            current = [sentence]
        else:
            current = candidate
    if current:
        groups.append(current)
    return groups


def _context(doc: Document, kind: str) -> str:
    """Metadata a reader sees beside a paragraph, indexed with it: the byline sits by the standfirst."""
    if kind != "standfirst":
        return ""
    meta = doc.metadata
    if not meta.get("byline"):
        return f"{doc.title}."
    publisher = f" for {meta['publisher']}" if meta.get("publisher") else ""
    return f"{doc.title}: an article written by {meta['byline']}{publisher}."


def chunk_documents(
    documents: list[Document], tokenizer: Tokenizer, max_tokens: int, max_words: int = 80
) -> list[Passage]:
    """Cut every paragraph of every document into passages."""
    passages = []
    for doc in documents:
        for para in doc.paragraphs:
            sentences = [
                piece
                for sentence in split_sentences(para.text, para.start)
                for piece in _cut_long(sentence, tokenizer, max_tokens)
            ]
            for k, group in enumerate(chunk_paragraph(sentences, tokenizer, max_tokens, max_words)):
                start, end = group[0].start, group[-1].end
                passages.append(
                    Passage(
                        id=f"{doc.id}:{para.number}:{k + 1}",
                        document=doc.id,
                        title=doc.title,
                        paragraph=para.number,
                        start=start,
                        end=end,
                        text=doc.source[start:end],
                        sentences=tuple(group),
                        context=_context(doc, para.kind),
                    )
                )
    return passages
