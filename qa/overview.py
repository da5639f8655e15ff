"""Questions about the article as a whole: what it is about, its gist, its main point.

A reader's first question is often about the document rather than anything in it: "What is this
story about?", "give me the gist", "what's the main point of the piece?". Such a question has no
word of its own beyond words for a text (*article*, *story*, *piece*) and for a summary (*gist*,
*point*, *summary*), so neither BM25 nor the vectors can find what answers it: "this story" matches
the credit line "Alice Dulczewski contributed to the reporting of this story", and "give me the
gist" is too far from every sentence to pass the relevance threshold at all. News prose answers it
in one place: the standfirst under the headline summarises the story, and the lede opens it (the
inverted pyramid). So such a question is answered from the top of the document, in reading order.

The rule is general English, no word of it is keyed to a document: a question is an *overview*
when every content word (``index.words.content_words``) is a word for a text or for its summary,
and it has at least one. Without a word for the text ("what's the point?"), a question in a
conversation is taken to lean on the earlier turns ("it" is the last subject), not to ask for the
article's gist. "Who wrote the article?" or "When was the story published?" are not overviews: they
ask for something in the byline, and the normal search finds it.
"""

from __future__ import annotations

from index import Hit, Ranker, SearchResult, Sentence
from index.words import content_words

# Words for a piece of writing, as readers name the one they are reading.
_TEXT = (
    "article articles story stories piece report reporting text feature essay investigation writeup post longread read"
)
TEXT_WORDS = frozenset(_TEXT.split())
# Words that ask for a summary, its parts, or its telling.
_SUMMARY = """
    gist summary summarise summarize sum overview recap tldr tl dr nutshell brief briefly short
    main point points argument arguments thesis takeaway takeaways key message idea ideas theme themes topic
    subject central overall big picture basically essentially general generally conclusion conclusions
    say says saying tell tells telling explain describe give matter matters significance important
"""
SUMMARY_WORDS = frozenset(_SUMMARY.split())
# How many passages an overview search looks through for the document's first ones.
SCAN = 64


def is_overview(question: str, history: list[dict] | None = None) -> bool:
    """``question`` asks what the article is about (see the module's rule)."""
    words = content_words(question)
    if not words or not all(w in TEXT_WORDS or w in SUMMARY_WORDS for w in words):
        return False
    return bool(set(words) & TEXT_WORDS) or not history


def overview(retriever: Ranker, question: str, top_k: int, document: str | None = None) -> SearchResult:
    """The first ``top_k`` passages of the document the question is closest to, in reading order.

    With one article that is the article's standfirst and lede; in an archive it is the document
    whose passage ranks first for the question, the only reading of "this story" a search can make,
    unless the reader named one (``document``). The confidence is the search's own.
    """
    result = retriever.search(question, top_k=SCAN, document=document)
    if not result.hits:
        return result
    chosen = result.hits[0].passage.document
    mine = [hit for hit in result.hits if hit.passage.document == chosen]
    mine.sort(key=lambda hit: (hit.passage.paragraph, hit.passage.start))
    return SearchResult(mine[:top_k], result.confidence, result.timings_ms, result.query_tokens)


def lead_sentences(hit: Hit, limit: int) -> list[Sentence]:
    """The first sentences of ``hit``'s passage that fit in ``limit`` words together (at least one)."""
    sentences = hit.passage.sentences
    taken = [sentences[0]]
    used = sentences[0].words
    for sentence in sentences[1:]:
        if used + sentence.words > limit:
            break
        taken.append(sentence)
        used += sentence.words
    return taken
