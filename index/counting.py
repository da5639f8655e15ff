"""The count prior: "How many N?" is answered where a number counts N.

English asks for a count with "how many" and the noun counted ("How many police took part in the
raid?"), and prose gives the count as a number in front of that noun, at most one word between:
"a few dozen Belgian police officers", "some 5,000 rounds", "three days before". A passage that
holds such a count of the question's noun, written as the question writes it, gets ``weight``
added to its standardised score. Nothing else is read into the question: a count of something
else is not a count of the noun asked about ("300 rounds at police" does not count police), and a
question that is not "how many N" gets nothing.

The noun is compared as written, not stemmed: a count above one names its noun in the plural, as
the question does ("How many rounds" / "300 rounds"), while the same stem after a number is often
a modifier of what is counted. "How many Belgians have gone to fight in Syria?" is not answered by
"a few dozen Belgian police officers": stemmed, the two matched, and at the weight below the lede
answered that out-of-scope question (eval/extra out-of-scope declined 0.55 → 0.50).

Why it is needed: the question's other words carry the ranking, and a count question's answer
often shares few of them. "How many police took part in the raid?" ranked 19th the lede sentence
that answers it ("a few dozen Belgian police officers in tactical gear amassed outside …"), under
passages that speak of the police and the raid at length. Measured on seven question sets
(docs/quality.md): the question and its hasty variant come first (eval-natural hit@1 0.867 →
0.889, hit@3 0.956 → 0.978, MRR 0.911 → 0.933, answer 0.756 → 0.778; eval/sloppy likewise), and
nothing else changes, abstention included. Every weight from 5 to 100 gives those figures (3 and
4 lift the question to third only): a passage that counts what was asked comes first unless the
fused ranking disagrees by more than most of its spread. The weight stays finite so that it does:
in an archive, other documents count the same nouns.

Readers count in their own words: "how many cops were there" asks what "a few dozen Belgian police
officers" counts. So the noun of a count (the last word of what follows the number, before a
function word: "police" in "dozen Belgian police", "rounds" in "300 rounds at police") also counts
when the model reads it as the question's word: the two words' vectors, each encoded alone, at
cosine ``SAME_MEANING`` or more ("cops" / "police" 0.93, "kids" / "children" 0.88). Only that last
word is compared by meaning, never the word before it, which may be a modifier ("Belgians" /
"Belgian" 0.88, the out-of-scope trap above; "Belgians" / "police" 0.34). Measured on seven
question sets: eval/reader's "how many cops were there", declined as not in the article, comes
first and is answered (hit@1 0.825 → 0.850, answer 0.800 → 0.825, false abstentions 0.025 → 0),
its hasty form on eval/sloppy likewise; nothing else changes on any set, and any threshold from
0.65 to 0.85 gives the same figures (below them, words of other meanings come close: "years" / "days" 0.62).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .chunking import Passage
from .encoder import Encoder
from .lru import LRU
from .words import FOLLOW_UP_OPENING, FUNCTION_WORDS

# "how many" and the word after it, the noun counted, after any "and", "so" ... a follow-up opens with.
_HOW_MANY = re.compile(rf"{FOLLOW_UP_OPENING}how many ([a-z]+)", re.IGNORECASE)
# Words of prose, numbers whole ("5,000", "2.5").
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
_NUMBER = re.compile(
    r"\d+(?:[.,]\d+)*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty"
    r"|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?"
)
# What may stand between a number and its noun: one word ("dozen Belgian police", "5,000 rounds").
BETWEEN = 1
# Passages whose counted nouns are kept: an archive's candidates vary, a single article's are all of it.
CACHE = 4096
# The least cosine at which a count's noun means the question's word (the vectors of the two words alone).
SAME_MEANING = 0.75


class WordMeanings:
    """Single words' vectors from the model, kept once encoded: the nouns of an article's counts are few.

    Shared by a worker's threads (gunicorn gthread) and by an archive's per-document retrievers.
    """

    def __init__(self, encoder: Encoder, size: int = CACHE) -> None:
        self.encoder = encoder
        self._vectors: LRU[str, np.ndarray] = LRU(size)

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """The unit vectors of ``words``, one row each; those not kept are encoded together, in one call."""
        distinct = list(dict.fromkeys(words))
        known = {w: v for w in distinct if (v := self._vectors.get(w)[1]) is not None}
        missing = [w for w in distinct if w not in known]
        if missing:  # encoded outside any lock: other threads' words are looked up meanwhile
            for word, vector in zip(missing, self.encoder.encode(missing), strict=True):
                known[word] = vector
                self._vectors.put(word, vector)
        return np.stack([known[w] for w in words])


@dataclass(frozen=True)
class CountPrior:
    """The count prior and its weight (added to a standardised passage score)."""

    weight: float = 5.0
    meanings: WordMeanings | None = None  # None: the noun is compared as written only
    same_meaning: float = SAME_MEANING

    @staticmethod
    def focus(question: str) -> str | None:
        """The noun a "how many N" question counts, lower-cased, or None for any other question.

        "How many were there?" counts what the conversation is about, not "were": a function word is no noun.
        """
        match = _HOW_MANY.match(question)
        noun = match.group(1).lower() if match else None
        return None if noun in FUNCTION_WORDS else noun

    def boost(self, question: str, passages: Sequence[Passage], rows: np.ndarray) -> np.ndarray:
        """What to add to the candidates' passage scores (candidate ``c`` is ``passages[rows[c]]``)."""
        focus = self.focus(question) if self.weight else None
        if focus is None:
            return np.zeros(len(rows))
        texts = [passages[r].text for r in rows]
        found = np.array([focus in counted(text) for text in texts], dtype=bool)
        if self.meanings is not None and not found.all():
            nouns = [count_nouns(text) for text in texts]
            vocabulary = sorted(set().union(*nouns) - {focus})
            if vocabulary:
                vectors = self.meanings.vectors([focus, *vocabulary])
                close = {
                    w
                    for w, cosine in zip(vocabulary, vectors[1:] @ vectors[0], strict=True)
                    if cosine >= self.same_meaning
                }
                found |= np.array([bool(n & close) for n in nouns], dtype=bool)
        return self.weight * found.astype(float)


@functools.lru_cache(maxsize=CACHE)
def _after_numbers(text: str) -> tuple[tuple[str, ...], ...]:
    """The (at most ``BETWEEN`` + 1) words after each number of ``text``, lower-cased: what a count may count.

    Kept per text: both readings below take them from here, and a single article's passages recur in
    every count question.
    """
    words = _WORD.findall(text.lower())
    return tuple(tuple(words[i + 1 : i + 2 + BETWEEN]) for i, word in enumerate(words) if _NUMBER.fullmatch(word))


def counted(text: str) -> frozenset[str]:
    """The words ``text`` may count, lower-cased: those at most ``BETWEEN`` words after a number."""
    return frozenset(word for after in _after_numbers(text) for word in after)


def count_nouns(text: str) -> frozenset[str]:
    """The noun of each count in ``text``, lower-cased: the last word of the (at most ``BETWEEN`` + 1) words
    after a number, before any function word or number ("police" in "dozen Belgian police", "rounds" in
    "300 rounds at police")."""
    nouns: set[str] = set()
    for after in _after_numbers(text):
        noun = None
        for word in after:
            if word in FUNCTION_WORDS or _NUMBER.fullmatch(word):
                break
            noun = word
        if noun is not None:
            nouns.add(noun)
    return frozenset(nouns)
