"""What English words and a model's vocabulary say about a question: function words, punctuation, names.

General language knowledge, no list keyed to any document: the function words are English's
closed classes (question words, auxiliaries, pronouns, determiners, prepositions, conjunctions),
which say what kind of answer is wanted rather than what it is about; punctuation tokens say
nothing at all; a name is a word a corpus writes capitalised inside sentences and never in lower case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np

from .chunking import Sentence
from .lexical import TermCutter

# By class, one a line: determiners, question words, auxiliaries, modals, pronouns, quantifiers,
# prepositions, conjunctions and adverbs, and what is left of contractions ("it's", "don't").
_CLOSED_CLASSES = """
    a an the this that these those some any each every all both either neither no not
    who whom whose what which when where why how whoever whatever
    is am are was were be been being do does did done doing have has had having
    will would shall should can could may might must
    i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
    many much one ones someone anyone anything something
    of in on at to from by with about into onto over under after before during since until for
    as than like through between among against without within upon off out up down
    and or but nor so if then else also too very just only even still yet
    there here s t d ll re ve m
"""
FUNCTION_WORDS = frozenset(_CLOSED_CLASSES.split())
# Months and weekdays: capitalised, and no names of anyone or anywhere.
CALENDAR_WORDS = frozenset(
    (
        *("january", "february", "march", "april", "may", "june", "july", "august"),
        *("september", "october", "november", "december"),
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    )
)
# What a follow-up may say before its question ("and did he …", "so how many …"), as a pattern to open others.
FOLLOW_UP_OPENING = r"^\W*(?:(?:and|so|but|also|then|ok|okay|well)\W+)*"
# The auxiliaries and modals: a question that opens with one asks whether something is so.
AUXILIARIES = (
    "is", "are", "was", "were", "am", "do", "does", "did", "can", "could",
    "will", "would", "shall", "should", "may", "might", "must", "has", "have", "had",
)  # fmt: skip
_YES_NO = re.compile(rf"{FOLLOW_UP_OPENING}(?:{'|'.join(AUXILIARIES)})\b", re.IGNORECASE)

# A word as names are read: a corpus's cased words (``cased_words``) and a question's names are cut alike.
WORD = re.compile(r"[A-Za-z\u00C0-\u024F][\w\u00C0-\u024F]*")
_TERM = re.compile(r"\w+")


def content_words(text: str) -> list[str]:
    """The words of ``text`` that are not function words, lower-cased, in order."""
    return [w for w in _TERM.findall(text.lower()) if w not in FUNCTION_WORDS]


def is_yes_no(question: str) -> bool:
    """``question`` asks whether something is so ("Did the police apologize?", "and does anyone defend them"):
    it opens with an auxiliary or a modal, after any "and", "so" or "well" a follow-up starts with."""
    return _YES_NO.match(question) is not None


def punctuation_ids(vocabulary: Mapping[str, int]) -> np.ndarray:
    """Ids of the tokens that are punctuation only ("?", "'", "##,"): they say nothing of what is asked."""
    ids = [
        i
        for token, i in vocabulary.items()
        if token.removeprefix("##") and all(unicodedata.category(c).startswith("P") for c in token.removeprefix("##"))
    ]
    return np.array(sorted(ids), dtype=np.int64)


def function_word_ids(vocabulary: Mapping[str, int]) -> np.ndarray:
    """Ids of the tokens that are whole function words."""
    return np.array(sorted(vocabulary[w] for w in FUNCTION_WORDS if w in vocabulary), dtype=np.int64)


def name_terms(sentences: Iterable[Sentence], lexical: TermCutter) -> set[str]:
    """Stemmed terms of the words the corpus writes capitalised inside a sentence and never in lower case."""
    upper, lower = cased_words(sentences)
    return names_of(upper, lower, lexical)


def cased_words(sentences: Iterable[Sentence]) -> tuple[set[str], set[str]]:
    """The words written capitalised inside a sentence, and those written in lower case (a document's share)."""
    upper: set[str] = set()
    lower: set[str] = set()
    for sentence in sentences:
        for word in WORD.findall(sentence.text)[1:]:  # a sentence's first word is capitalised anyway
            (upper if word[0].isupper() else lower).add(word.lower())
    return upper, lower


def corpus_names(upper: set[str], lower: set[str]) -> frozenset[str]:
    """The words of a corpus that are names (lower-cased, as written): capitalised inside a sentence
    somewhere (``upper``), never in lower case (``lower``), and no function word ("The", "In")."""
    return frozenset(w for w in upper - lower if w not in FUNCTION_WORDS)


def names_of(upper: set[str], lower: set[str], lexical: TermCutter) -> set[str]:
    """Names from the cased words of a whole corpus (``corpus_names``), as BM25's stemmed terms."""
    return set(lexical.terms(" ".join(sorted(corpus_names(upper, lower)))))


def is_fragment(sentence: Sentence) -> bool:
    """A question, or under four words: a sentence that does not state anything on its own."""
    text = sentence.text.strip()
    return sentence.words < 4 or text.rstrip("\"'\u201d\u2019)").endswith("?")
