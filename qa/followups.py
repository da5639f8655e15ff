"""Follow-up questions: what a question refers to, from the conversation the request carries.

The service keeps no per-user state, so each request brings its ``history``. A follow-up such as
"How did he try to escape?" means nothing alone; when a question leans on earlier turns (a
pronoun or a demonstrative, or too few words to stand alone), the previous user question is
prepended for retrieval. A self-contained question is searched as it is, so history never
drags retrieval away from what was asked. A follow-up is searched twice, with its context and
alone, and the two rankings are fused (``search_followup``): the context says what it is about,
the question alone what it asks, which is often the next thing the article says.

In an archive of many documents, a follow-up stays in the document the previous answer was drawn
from (``answered_from``): "How old was he?" after an answer about the Verviers raid means a man of
that article, though a thousand others hold a "he" and an age.
"""

from __future__ import annotations

import re

import numpy as np

from index import Hit, Ranker, SearchResult
from index.words import FUNCTION_WORDS

_REFERRING = re.compile(
    r"\b(he|him|his|himself|she|her|hers|herself|they|them|their|theirs|themselves|it|its|itself"
    r"|this|these|those|there|then|that one|the same|the latter|the former)\b",
    re.IGNORECASE,
)
_CONTENT_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][\w'\u2019-]+")
_QUESTION_WORDS = {
    "what",
    "who",
    "whom",
    "whose",
    "where",
    "when",
    "why",
    "how",
    "which",
    "did",
    "does",
    "do",
    "is",
    "was",
    "were",
    "are",
    "and",
    "or",
    "about",
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "more",
    "else",
    "tell",
    "me",
    "much",
    "many",
}


# Words that do not make a question stand alone: English's function words ("why so late?" has one
# content word, so it leans on the question before: eval-natural conv_hit@3 0.70 -> 0.80), the
# question words above, and the imperatives of a conversation ("tell me more").
_NOT_CONTENT = FUNCTION_WORDS | _QUESTION_WORDS

# How many earlier user turns a chain of follow-ups may carry into the search.
MAX_CONTEXT_TURNS = 3
# An elliptical follow-up names a new subject but borrows the question ("And Ben Larbi?", "What
# about his brother?", "How about in Molenbeek?"): it needs the earlier question however many
# words it has.
_ELLIPTICAL_OPENING = re.compile(r"^\W*(and|also|what about|how about|what else|same for)\b", re.IGNORECASE)


def needs_context(question: str) -> bool:
    """True when the question refers back (a pronoun, "those", "there"), borrows the previous one
    ("And Ben Larbi?", "What about ..."), or is too short to stand alone."""
    if _REFERRING.search(question) or _ELLIPTICAL_OPENING.search(question):
        return True
    content = [w for w in _CONTENT_WORD.findall(question) if w.lower() not in _NOT_CONTENT]
    return len(content) < 2


def retrieval_query(question: str, history: list[dict]) -> str:
    """The text to search for: the question, preceded by the earlier user turns it leans on.

    Those are the previous user question and, when that one leaned on its own predecessor
    ("Who is Nils Duquet?" / "What's his specialty?" / "And what trend has he seen?"), the turns
    back to the last self-contained question, at most ``MAX_CONTEXT_TURNS`` of them, so the subject
    named three turns ago is not lost.
    """
    if not needs_context(question):
        return question
    turns = ((t.get("content") or "").strip() for t in history if t.get("role") == "user")
    asked = [turn for turn in turns if turn]
    context: list[str] = []
    for earlier in reversed(asked[-MAX_CONTEXT_TURNS:]):
        context.append(earlier)
        if not needs_context(earlier):
            break
    return " ".join([*reversed(context), question.strip()])


# How the two searches of a follow-up are fused: each one's passage scores standardised over what it
# returned (so both are in one unit), the search with context weighing this much against the one alone.
CONTEXT_WEIGHT = 1.5
# How deep each search looks: every passage of an article of 50; the 60 best of each in an archive.
FUSION_DEPTH = 60


def search_followup(
    retriever: Ranker, question: str, query: str, top_k: int, document: str | None = None
) -> SearchResult:
    """The passages for a follow-up: the rankings of ``query`` (with context) and ``question`` (alone), fused.

    "What does he say they have in common?" after "Who is the expert who follows young Belgians
    joining ISIS?": with the context, the expert's introduction ranks first again, though it was
    just shown; alone, the question finds what he says next, but could not tell who "he" is.
    Fused, both stay in the top three.

    The fusion adds each passage's standardised score from both searches (the one with context
    at ``CONTEXT_WEIGHT``), rather than reciprocal ranks: how far ahead a passage is says more
    than its rank. "Who is Marouane El Bali?" / "How did he try to escape during the raid?": with
    the context, the paragraph of his jump from the window leads by far; alone, "he" could be
    anyone, and a dozen passages rank ahead of it. By ranks, it fell out of the top three (it is
    first in one ranking only); by scores, it is first. A passage one search did not return gets
    that search's lowest score. Conversations' last turns (docs/quality.md), first passage / top
    three, against reciprocal rank fusion: eval/reader 6 → 8 / 8 → 8 of 8, eval/fresh 2 → 4 / 4 → 6
    of 6, the dev set, eval/extra and eval-natural the same. The confidence and the query tokens,
    which abstention judges, stay those of the search with context. ``document`` scopes both.
    """
    if query.strip() == question.strip():
        return retriever.search(query, top_k=top_k, document=document)
    depth = max(top_k, FUSION_DEPTH)
    with_context = retriever.search(query, top_k=depth, document=document)
    alone = retriever.search(question, top_k=depth, document=document)
    hits: dict[str, Hit] = {}
    for result in (with_context, alone):
        for hit in result.hits:
            hits.setdefault(hit.passage.id, hit)
    score = dict.fromkeys(hits, 0.0)
    for weight, result in ((CONTEXT_WEIGHT, with_context), (1.0, alone)):
        if not result.hits:
            continue
        scores = np.array([hit.score for hit in result.hits])
        mean, spread = float(scores.mean()), float(scores.std()) or 1.0
        standard = {hit.passage.id: (hit.score - mean) / spread for hit in result.hits}
        lowest = min(standard.values())
        for passage in score:
            score[passage] += weight * standard.get(passage, lowest)
    best = sorted(score, key=lambda i: -score[i])[:top_k]  # stable: ties keep the with-context order
    timings = {k: v + alone.timings_ms.get(k, 0.0) for k, v in with_context.timings_ms.items()}
    return SearchResult([hits[i] for i in best], with_context.confidence, timings, with_context.query_tokens)


# How much of an earlier answer's opening must be found in a passage for it to be where it came from.
QUOTED_PREFIX = 60


def answered_from(retriever: Ranker, history: list[dict]) -> str | None:
    """The document the last answer in ``history`` was drawn from, or None (declined, or not the corpus's words).

    The request carries the conversation as text, not citations, so the answer's own words are searched
    for: an answer is sentences of one passage, verbatim, so the passage whose text holds its opening is
    where it came from, whatever the engine.
    """
    for turn in reversed(history):
        if turn.get("role") != "assistant":
            continue
        answer = (turn.get("content") or "").strip().removesuffix("[1]")
        opening = answer.split(" \u2026 ")[0].strip()  # sentences further on follow an ellipsis
        if len(opening) < QUOTED_PREFIX:  # too short to be sure of (and no answer is)
            return None
        for hit in retriever.search(opening, top_k=3).hits:
            if opening[:QUOTED_PREFIX] in hit.passage.text:
                return hit.passage.document
        return None
    return None
