"""Misspelt names, read as the names the article uses: "abaoud" is Abaaoud, "molenbek" Molenbeek.

Readers know how to spell English; they do not know how to spell the foreign names of a news
story, and they type them as they heard them. A misspelt name is a word the embedding model cuts
into unfamiliar pieces and BM25 does not find at all: "who is abaoud" fell from cosine 0.67 to
0.50, "who is virginie telman" and "what did grinyard say" were declined as off the article's
subject. So before searching, a question word that the corpus never uses, and that is within one
edit of exactly one of the corpus's names (two edits for words of seven letters or more), is
read as that name. Names are the words the corpus writes capitalised inside sentences and never in
lower case (``index.words``); the distance is Damerau-Levenshtein (a swap of two letters is one
edit), computed by RapidFuzz. Words of under four letters, function words, words the corpus uses
and whole words of the model's own vocabulary (its 30,522 WordPiece entries hold the common
English words: "ball" is one, and stays "ball" though Bali is one edit away) are never changed, and
a word two names are equally close to is left as it is. The reply
says what was searched (``qa.models.Answer.searched``) whenever a word was changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from .words import FUNCTION_WORDS

MIN_LETTERS = 4  # shorter words are too often another real word one edit away
LONG_WORD = 7  # from this length, two edits
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F]+")


@dataclass(frozen=True)
class NameSpeller:
    """Corrects misspelt names in questions toward one corpus's names (see the module)."""

    names: tuple[str, ...]  # lower case
    known: frozenset[str]  # words never changed: the corpus's and the model vocabulary's, lower case

    @classmethod
    def of(cls, upper: set[str], lower: set[str], model_words: frozenset[str]) -> NameSpeller:
        """From a corpus's cased words (``index.words.cased_words``) and the model's whole-word vocabulary."""
        names = {w for w in upper - lower if w not in FUNCTION_WORDS}
        usable = tuple(sorted(n for n in names if len(n) >= MIN_LETTERS and n.isalpha()))
        return cls(usable, frozenset(upper | lower) | model_words)

    def correct(self, text: str) -> str:
        """``text`` with each misspelt name replaced by the corpus's spelling, capitalised as names are written
        (the encoder and BM25 are uncased: only the reader sees the capital); otherwise as it was."""
        if not self.names:
            return text
        return _WORD.sub(lambda m: self._word(m.group()), text)

    def _word(self, word: str) -> str:
        key = word.lower()
        if len(key) < MIN_LETTERS or key in self.known or key in FUNCTION_WORDS:
            return word
        edits = 1 if len(key) < LONG_WORD else 2
        found = process.extract(key, self.names, scorer=DamerauLevenshtein.distance, score_cutoff=edits, limit=2)
        if not found or (len(found) == 2 and found[0][1] == found[1][1]):
            return word  # no name close enough, or two as close: not ours to choose
        name = found[0][0]
        return name[0].upper() + name[1:]
