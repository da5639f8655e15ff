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

"What happened?" asks the same of the event the story reports, and so does "What happened in
<the story's setting>?" when every other content word of it is a word of the headline, the
standfirst or the first paragraph (``index.lede``): "What happened in Verviers?" of a story whose
lede reports the raid in Verviers. The inverted pyramid puts the answer to that question in the
standfirst and the lede. "What happened to X?", "what happened after/next/then ...?" ask about a
sequel or a person's fate, and "What happened in <a place the lede does not name>?" about a detail,
so the normal search answers them.
"""

from __future__ import annotations

import re

from index import Hit, Ranker, SearchResult, Sentence
from index.lede import LedePrior
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
# "What happened (in / at / during ...)?": what took place, not a sequel ("to", "after", "next", "then" ...).
_EVENT = re.compile(
    r"^what(?: has| had| exactly| really| actually)? (?:happened|happens|occurred|went on|went down|took place)"
    r"(?! (?:to|after|afterwards|next|then|later|since|before|when|because|with)\b)"
)
EVENT_WORDS = frozenset(["happened", "happens", "occurred", "went", "took", "place", "exactly", "really", "actually"])
# How many passages an overview search looks through for the document's first ones.
SCAN = 64


def is_overview(question: str, history: list[dict] | None = None, lede: LedePrior | None = None) -> bool:
    """``question`` asks what the article is about, or what happened in the event its lede reports (see the module)."""
    words = content_words(question)
    if words and all(w in TEXT_WORDS or w in SUMMARY_WORDS for w in words):
        return bool(set(words) & TEXT_WORDS) or not history
    return lede is not None and is_event_overview(question, history, lede)


def is_event_overview(question: str, history: list[dict] | None, lede: LedePrior) -> bool:
    """``question`` is "What happened (in <the lede's setting>)?"; alone in a conversation it asks of the last turn."""
    asked = " ".join(question.lower().replace("\u2019", "'").split())
    if not _EVENT.match(asked):
        return False
    rest = [w for w in content_words(asked) if w not in EVENT_WORDS]
    if not rest:
        return not history
    return not lede.off_lede(" ".join(rest))


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
