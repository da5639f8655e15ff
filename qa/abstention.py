"""When the article does not answer: a question off its subject, or on its subject but not answered by it.

Three checks, each general to any document and measured on three question sets (docs/quality.md):

1. **Relevance.** The question's best dense cosine with any sentence is at least ``threshold``
   (``qa.settings.ABSTAIN_THRESHOLD``): below it the question is about something else
   (``off_topic``), and nothing is cited or offered.
2. **Coverage.** Above it, the question may still ask what the article does not give: the
   population of a town it names, the name of a judge it does not name. Such a question matches
   the article's setting ("Verviers", "the raid") but not its focus. So the question's content
   (every token but punctuation and function words, weighted by idf squared) must be matched by
   the first passage's own token vectors: when more than ``coverage_share`` of it matches nothing
   above cosine ``coverage_tau``, the article is taken not to answer (``not_in_article``), and
   the closest passages are offered as related reading.
3. **Answer type.** A question that says what kind of answer it wants (``qa.question``) is
   answered only by sentences that hold something of that kind and not in the question: "How
   many ...?" a quantity (a numeral, a number word, "none", or that it is not known), "When ...?"
   a time, "What year ...?" a date, "Who was the ...?" / "Which judge ...?" a person's or a body's
   name, "Which city ...?" a place's name. A name is looked for in the best sentence alone, not
   its companion: news prose attributes each quotation to a named speaker, so the sentence beside
   the best one often names someone ("…, asked Taelman.") without answering "Which judge
   authorized the raid?". A quantity, a time or a date is looked for in the whole answer: the
   best sentence often names the subject and the next gives the figure ("Marouane El Bali had been
   in a bathroom …" / "…, El Bali, who was 25 at the time, …"). (Quantities judged on the best
   sentence alone refused "How old was Marouane El Bali?"; times, an eval-natural follow-up.)
   "What is the name of the N?" wants the name beside one of the N's words ("a Molenbeek resident
   named Khyyat Nourdin"), not any name in the sentence (``qa.question``).

Just under the threshold (from ``rescue_floor``), a question whose content the first passage
matches almost whole (at most ``rescue_share`` unmatched above ``rescue_tau``) is answered: its
wording is far from the article's but every word of it is there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from index import Ranker, SearchResult, Sentence

from .models import Declined
from .question import Kind, analyse
from .settings import ABSTAIN_THRESHOLD

ALL_KINDS: frozenset[Kind] = frozenset(("quantity", "time", "date", "person", "place"))
# What is looked for in the best sentence alone, not the whole answer (see the module).
IN_BEST: frozenset[Kind] = frozenset(("person", "place"))


@dataclass(frozen=True)
class Abstention:
    """The rules deciding that the article does not answer; each can be switched off for ablations.

    Natural near-topic / extra out-of-scope questions refused: without coverage or answer type
    0.000 / 0.10, with coverage 0.111 / 0.20, with the quantity check too 0.222 / 0.30, with every
    answer type (``qa.question``) 0.778 / 0.55; no in-scope question of the three sets is refused by
    either. The rescue band turns eval-natural's one false abstention into an answer.
    """

    threshold: float = ABSTAIN_THRESHOLD
    coverage: bool = True
    coverage_tau: float = 0.25
    coverage_share: float = 0.35
    answer_types: frozenset[Kind] = ALL_KINDS
    rescue: bool = True
    rescue_floor: float = 0.30
    rescue_tau: float = 0.5
    rescue_share: float = 0.3
    beside: bool = True  # "the name of the N" wants a name beside the N's words (qa.question)

    def judge(
        self,
        question: str,
        retriever: Ranker,
        result: SearchResult,
        answer: Sequence[Sentence],
        best: Sentence | None = None,
    ) -> Declined | None:
        """None when the first hit answers ``question`` (``answer`` its sentences, ``best`` the one that
        answers), else why it does not."""
        if not result.hits or result.query_tokens is None:
            return "off_topic"
        first = result.hits[0].passage
        if result.confidence < self.threshold:
            rescued = (
                self.rescue
                and result.confidence >= self.rescue_floor
                and retriever.uncovered_share(result.query_tokens, first, self.rescue_tau) <= self.rescue_share
            )
            if not rescued:
                return "off_topic"
        if self.coverage and retriever.uncovered_share(result.query_tokens, first, self.coverage_tau) > (
            self.coverage_share
        ):
            return "not_in_article"
        asked = analyse(question)
        if not self.beside:
            asked = dataclasses.replace(asked, named=frozenset())
        if best is not None and asked.kind in IN_BEST:
            answer = [best]
        if asked.kind in self.answer_types and not asked.answered_by(" ".join(s.text for s in answer)):
            return "not_in_article"
        return None
