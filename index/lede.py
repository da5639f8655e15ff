"""The lede prior: a broad question about a news story's event is answered where news prose puts it, up top.

News articles are written as an inverted pyramid: the headline, the standfirst and the first
paragraphs carry the who, what, where and why of the event, and the rest adds detail. A question
that asks about that event in the lede's own terms ("Why did the police raid the apartment?",
"Who was killed?") deserves those paragraphs; a question that names something the lede does not
("What did the Le Soir reporter call the deaths?") is about a detail, and gets no prior at all.

The rule, stated for any news article: a question is *broad* when at most ``max_new`` of its
content words (stemmed) are absent from the headline, the standfirst and the first paragraph, and
none of those absent words is a name; the passages of its first ``paragraphs`` paragraphs then get
``weight`` added to their standardised score. Measured on three question sets (docs/quality.md):
eval-natural hit@1 0.756 → 0.822 with no change on the dev set or eval/extra; applied to every
question instead, the same prior cost the dev set 0.12 hit@1.

A yes/no question is never broad: the lede answers who, what, where, when and why, while "Did the
police apologize?" or "Does anyone defend the Belgian police?" asks to confirm a claim, a reaction
or an opinion, which news prose reports further down (the second question's answer is paragraph
39 of 43; with the prior, the lede's paragraphs about the police pushed it out of the first
three). On seven question sets the yes/no rule changed the ranking of 7 questions, none for the
worse: eval-natural hit@3 0.933 → 0.956, MRR 0.900 → 0.911; eval/fresh hit@1 0.775 → 0.800; the
dev set and eval/extra hold no such question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .chunking import Passage
from .lexical import TermCutter
from .words import content_words, is_yes_no


@dataclass(frozen=True)
class LedePrior:
    """The prior for one corpus: which words its documents' ledes use, which words are names."""

    lede_terms: frozenset[str]
    names: frozenset[str]
    lexical: TermCutter
    weight: float = 3.0
    paragraphs: int = 6
    max_new: int = 1
    yes_no_broad: bool = False  # True: a yes/no question may be broad too (the ablation of the rule above)

    @classmethod
    def build(cls, passages: Sequence[Passage], lexical: TermCutter, names: set[str]) -> LedePrior:
        """The prior over ``passages``: the lede is each document's title, standfirst (paragraph 0) and paragraph 1."""
        return cls(frozenset(lede_terms(passages, lexical)), frozenset(names), lexical)

    def off_lede(self, question: str) -> list[str]:
        """The question's content terms that the lede does not use."""
        return [t for t in self.lexical.terms(" ".join(content_words(question))) if t not in self.lede_terms]

    def is_broad(self, question: str) -> bool:
        """The question asks about the event the lede reports, in its terms (see the module's rule)."""
        if not self.yes_no_broad and is_yes_no(question):
            return False
        new = self.off_lede(question)
        return len(new) <= self.max_new and not any(t in self.names for t in new)

    def boost(self, question: str, paragraphs: np.ndarray) -> np.ndarray:
        """What to add to the candidates' passage scores (given their paragraph numbers): ``weight`` in the
        first paragraphs for a broad question."""
        if not self.weight or not self.is_broad(question):
            return np.zeros(len(paragraphs))
        return self.weight * (paragraphs <= self.paragraphs)


def lede_terms(passages: Sequence[Passage], lexical: TermCutter) -> set[str]:
    """The terms of the ledes among ``passages``: a document's contribution, kept apart so it can be removed."""
    terms: set[str] = set()
    for passage in passages:
        if passage.paragraph <= 1:
            terms |= set(lexical.terms(f"{passage.title} {passage.indexed_text}"))
    return terms
