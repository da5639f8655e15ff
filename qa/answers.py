"""Turn ranked passages into the reply: a short extractive answer with [n] markers, or an honest abstention."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from index import Hit, Passage, Ranker, Sentence
from index.words import is_fragment

from .abstention import Abstention
from .followups import answered_from, needs_context, retrieval_query, search_followup
from .limits import TOP_K
from .models import Answer, CitedPassage, Declined, Highlight
from .normalise import with_question_mark
from .overview import is_overview, lead_sentences, overview

MAX_ANSWER_WORDS = 60
NOT_COVERED = "The article doesn't say. Nothing in it answers this question, so no passage is cited."
NOT_IN_ARTICLE = (
    "The article doesn't say. It covers this subject, but nothing in it answers this question; "
    "the closest passages are below as related reading, not as an answer."
)

Companion = Literal["coverage", "next", "none"]
# What a sentence that is not a neighbour of the best one must add over the neighbour to be taken
# instead, as a share of what the best sentence matches: a hair's gain is noise in the token
# matches, while the next sentence usually finishes the thought. Any share from 0.01 to 0.05 gives
# the same answers on the six question sets; 0.10 starts to cost the dev set (docs/quality.md).
FAR_MARGIN = 0.03


@dataclass(frozen=True)
class AnswerOptions:
    """How answers are made; the defaults are what the service serves, the others are for ablations.

    ``abstention``: when the article is taken not to answer (``qa.abstention``).
    ``use_history``: whether a follow-up borrows the earlier question (``qa.followups``).
    ``companion``: which sentence joins the best one in the answer (``answer_sentences``).
    ``whole_sentences``: an answer never starts from a question or a fragment (``answer_sentences``).
    ``fuse_followups``: a follow-up's ranking fuses its search with context and alone (``qa.followups``).
    ``overview``: a question about the article as a whole is answered from its top (``qa.overview``).
    ``spelling``: misspelt names are read as the corpus spells them (``index.spelling``).
    ``normalise``: a question typed without its question mark gets one (``qa.normalise``).
    ``far_margin``: what a sentence further off must add to be the companion instead of a neighbour.
    ``fill``: the answer takes the sentences around its span while they fit the word limit (``fill``).
    """

    abstention: Abstention = field(default_factory=Abstention)
    use_history: bool = True
    companion: Companion = "coverage"
    whole_sentences: bool = True
    fuse_followups: bool = True
    overview: bool = True
    spelling: bool = True
    normalise: bool = True
    far_margin: float = FAR_MARGIN
    fill: bool = True


@dataclass(frozen=True)
class Answerer:
    """Answers questions from the article with a retriever built once per process."""

    retriever: Ranker
    options: AnswerOptions = field(default_factory=AnswerOptions)

    def ask(
        self, question: str, history: list[dict] | None = None, top_k: int = TOP_K, document: str | None = None
    ) -> Answer:
        """The answer to ``question`` given the conversation so far; from ``document`` alone when it is given.

        An unknown ``document`` raises ``index.UnknownDocument`` (the API answers 400 with its message).
        """
        started = time.perf_counter()
        options = self.options
        asked = with_question_mark(question) if options.normalise else question
        question = self._read(question)
        history = [{**t, "content": self._read(t["content"])} if t["role"] == "user" else t for t in history or []]
        query = retrieval_query(question, history) if options.use_history else question
        archive = len(self.retriever.document_ids) > 1
        if archive and document is None and options.use_history and history and needs_context(question):
            document = answered_from(self.retriever, history)  # a follow-up stays in the last answer's document
        if options.overview and is_overview(question, history, self.retriever.lede):
            # What the article is about: its standfirst and lede answer, whatever the question matches.
            result = overview(self.retriever, question, top_k, document)
            span = lead_sentences(result.hits[0], MAX_ANSWER_WORDS - 1) if result.hits else []
            declined: Declined | None = None if result.hits else "off_topic"
        else:
            if options.fuse_followups:
                result = search_followup(self.retriever, question, query, top_k, document)
            else:
                result = self.retriever.search(query, top_k=top_k, document=document)
            span = (
                answer_sentences(result.hits[0], options.companion, options.whole_sentences, options.far_margin)
                if result.hits
                else []
            )
            best = best_sentence(result.hits[0], options.whole_sentences) if result.hits else None
            declined = options.abstention.judge(question, self.retriever, result, span, best)
        passages, related = [], []
        if declined is None:
            if options.fill:
                span = fill(span, result.hits[0].passage)
            answer = compose_answer(span, result.hits[0].passage)
            passages = [cited_passage(1, result.hits[0], span)]
            passages += [cited_passage(rank, hit) for rank, hit in enumerate(result.hits[1:], start=2)]
        elif declined == "not_in_article":
            answer = NOT_IN_ARTICLE
            related = [cited_passage(rank, hit) for rank, hit in enumerate(result.hits, start=1)]
        else:
            answer = NOT_COVERED
        return Answer(
            answer=answer,
            answerable=declined is None,
            passages=passages,
            confidence=round(result.confidence, 4),
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            declined=declined,
            related=related,
            searched=question if question != asked else None,
        )

    def _read(self, text: str) -> str:
        """A reader's text as it is searched: its question mark put back, misspelt names read as the corpus's."""
        if self.options.normalise:  # "how old was el bali" is searched as "how old was el bali?"
            text = with_question_mark(text)
        if self.options.spelling:
            text = self.retriever.speller.correct(text)
        return text


def best_sentence(hit: Hit, whole_sentences: bool = True) -> Sentence:
    """The sentence of ``hit`` that answers: its best-matching one, unless that is a question or a fragment.

    With ``whole_sentences``, a best sentence that is a question or a fragment of under four words
    ("Mohamed?", a quoted "So what do the kids do?") gives way to the passage's best-matching
    sentence that states something: such a sentence is never an answer on its own.
    """
    sentences = hit.passage.sentences
    k = sentences.index(hit.sentence)
    if whole_sentences and is_fragment(sentences[k]) and len(hit.token_matches) == len(sentences):
        stating = [j for j in range(len(sentences)) if not is_fragment(sentences[j])]
        if stating:
            best = k
            k = max(stating, key=lambda j: (hit.token_matches[j].sum(), -abs(j - best)))
    return sentences[k]


def answer_sentences(
    hit: Hit, companion: Companion = "coverage", whole_sentences: bool = True, far_margin: float = FAR_MARGIN
) -> list[Sentence]:
    """The sentences the answer is drawn from, in article order: the best one and a companion.

    The best-matching sentence is often the one that names the question's subject ("Marc
    Metdepenningen, a journalist for Le Soir, compares the raid ...") while what was asked sits a
    sentence or two on ("He called the two deaths ..."). So the companion is the sentence of the
    passage that adds most to what the best one matches: the sum, over query tokens, of how much
    better it matches each (``Hit.token_matches``), among sentences that fit the word limit with
    it. On a tie a neighbour wins, the next sentence before the previous one (news prose finishes
    a thought in the next sentence, or introduces it in the one before); a sentence further off is
    taken only if it adds something, and instead of the neighbour only if it adds more than
    ``far_margin`` of the best sentence's match beyond what the neighbour adds, so an answer never
    opens with an unrelated sentence.
    ``companion="next"`` always takes the next sentence, ``"none"`` the best one alone (ablations).
    The best sentence is ``best_sentence``'s.
    Answer accuracy: best alone 0.788, with the next sentence 0.827, with this companion 0.865 on
    the dev set; 0.757 (next) and 0.814 on eval/extra.
    """
    sentences = hit.passage.sentences
    k = sentences.index(best_sentence(hit, whole_sentences))
    room = MAX_ANSWER_WORDS - 1 - sentences[k].words  # one word for the marker
    if companion == "next":
        picks = [k + 1] if k + 1 < len(sentences) and sentences[k + 1].words <= room else []
    elif companion == "coverage" and len(hit.token_matches) == len(sentences):
        gains = np.maximum(hit.token_matches - hit.token_matches[k], 0.0).sum(axis=1)
        # Neighbours first, so that they win ties: the next sentence often finishes the thought, the
        # previous one introduces it.
        order = [j for j in [k + 1, k - 1, *range(len(sentences))] if 0 <= j < len(sentences) and j != k]
        fits = [
            j
            for j in order
            if sentences[j].words + (abs(j - k) > 1) <= room  # "…" is a word
            and (abs(j - k) == 1 or gains[j] > 1e-6)  # a sentence further off must add something
        ]
        picks = []
        if fits:
            further = max(fits, key=lambda j: gains[j])  # max keeps the first of equals
            neighbour = fits[0] if abs(fits[0] - k) == 1 else further
            needed = gains[neighbour] + far_margin * hit.token_matches[k].sum()
            picks = [further if further == neighbour or gains[further] > needed else neighbour]
    else:
        picks = []
    return [sentences[i] for i in sorted([k, *picks])]


def fill(span: list[Sentence], passage: Passage) -> list[Sentence]:
    """``span`` with what lies between its sentences, then after, then before it, added while it fits the word limit.

    The answer field is a reader's whole reply in a chat or on Slack: what finishes or introduces
    the answering sentences is worth its words ("Who survived?": the sentence naming "the other
    survivor" is followed by his name). Only sentences touching the span are taken, so the answer
    stays one run of the article's prose with at most the one gap the span had (filled if it fits),
    and a question or a fragment is never added at either end (the run stops there). Abstention has
    judged the span before this (more words would let more text pass for an answer).
    """
    order = passage.sentences
    taken = sorted(order.index(sentence) for sentence in span)
    used = sum(order[i].words for i in taken) + sum(b - a > 1 for a, b in itertools.pairwise(taken))
    gap = [j for j in range(taken[0], taken[-1] + 1) if j not in taken]
    if gap and used - 1 + sum(order[j].words for j in gap) <= MAX_ANSWER_WORDS - 1:  # no "…" then
        taken, used = sorted([*taken, *gap]), used - 1 + sum(order[j].words for j in gap)
    while True:
        # Never a question or a fragment at either end: "Mohamed?" or "So what do the kids do?" is no answer.
        around = [j for j in (taken[-1] + 1, taken[0] - 1) if 0 <= j < len(order) and not is_fragment(order[j])]
        fitting = [j for j in around if used + order[j].words <= MAX_ANSWER_WORDS - 1]
        if not fitting:
            return [order[i] for i in taken]
        taken = sorted([*taken, fitting[0]])
        used += order[fitting[0]].words


def compose_answer(sentences: list[Sentence], passage: Passage | None = None) -> str:
    """The answer text with its [1] marker: the sentences in article order, "…" where ``passage`` has one between.

    A sentence too long for the limit is cut at a word, with an ellipsis.
    """
    order = passage.sentences if passage else sentences
    parts = [sentences[0].text]
    for previous, sentence in itertools.pairwise(sentences):
        skipped = order.index(sentence) - order.index(previous) > 1
        parts.append(f"… {sentence.text}" if skipped else sentence.text)
    words = " ".join(parts).split()
    limit = MAX_ANSWER_WORDS - 1
    if len(words) > limit:
        return " ".join(words[: limit - 1]) + " … [1]"
    return " ".join(words) + " [1]"


def cited_passage(rank: int, hit: Hit, span: list[Sentence] | None = None) -> CitedPassage:
    """A cited passage as the answer carries it.

    ``highlight`` marks, within ``text``, what the answer was drawn from (``span``) in the first
    passage, and the best-matching sentence in the others.
    """
    p = hit.passage
    span = span or [hit.sentence]
    return CitedPassage(
        id=p.id,
        rank=rank,
        document=p.document,
        title=p.title,
        paragraph=p.paragraph,
        start=p.start,
        end=p.end,
        text=p.text,
        score=round(hit.score, 4),
        highlight=Highlight(start=span[0].start - p.start, end=span[-1].end - p.start),
    )
