"""The ranking both engines share: question encoding, late interaction's token weights, and the fused score.

An engine (FAISS in-process, ``retriever.py``; Milvus, ``milvus_retriever.py``) only proposes
candidate passages and gathers their signals into ``Candidates``; ``Ranker.rank`` turns those into
hits the same way for both, so a ranking can never differ by engine, only by what was fetched.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Self

import numpy as np

from .chunking import Passage, Sentence
from .counting import CountPrior, WordMeanings
from .encoder import Encoder, TokenVectors
from .fusion import IDF_POWER, Weights, standardise
from .lede import LedePrior
from .lru import LRU
from .question_names import NAME_WEIGHT, name_spans
from .reported import SPEAKER_WEIGHT, speaker_span
from .roles import Introduction, best_introduction, introductions
from .spelling import NameSpeller
from .words import content_words, corpus_names, function_word_ids, punctuation_ids

if TYPE_CHECKING:
    from .document_scope import DocumentScope
    from .retriever import Retriever


# A text's vector and token vectors, as ``Ranker._encode`` gives them.
Encoded = tuple[np.ndarray, TokenVectors]


class UnknownDocument(ValueError):
    """A search was scoped to a document the index does not hold."""

    def __init__(self, document: str, known: list[str]) -> None:
        shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
        super().__init__(f"There is no document {document!r} in this corpus; it holds {shown}.")
        self.document = document


# How many candidates each first-stage ranker contributes; every candidate is then rescored.
CANDIDATES = 64
# Up to this many corpus tokens, MaxSim scores the query against all of them at once, over int8 rows
# (token_product.py); the FAISS retriever holds them all, a Milvus worker quantizes what it fetches.
FULL_SCAN_TOKENS = 200_000
# Passages whose introductions (roles.py) a retriever keeps with their roles encoded.
INTRODUCED_PASSAGES = 256
# What a question or fragment sentence loses in ranking: more than any spread of standardised scores.
FRAGMENT_PENALTY = 100.0


@dataclass
class Hit:
    """A ranked passage with its best sentence (the one that answers, as far as retrieval can tell).

    ``token_matches`` holds, for each sentence of the passage (rows), each query token's weighted
    best match in it (columns; a row sums to the sentence's MaxSim score), so the answer can add
    the sentence that covers what the best one leaves out.
    """

    passage: Passage
    score: float
    sentence: Sentence
    token_matches: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


@dataclass
class SearchResult:
    hits: list[Hit]
    confidence: float  # highest dense cosine of the query with any sentence: calibrates abstention
    timings_ms: dict[str, float] = field(default_factory=dict)
    query_tokens: TokenVectors | None = None  # the query's token vectors, for coverage checks


@dataclass
class Candidates:
    """The candidate passages of one question and their signals, as an engine gathered them.

    Candidate ``c`` is ``passages[rows[c]]``; its sentences are contiguous in every per-sentence
    array, in passage order (``counts[c]`` of them, at least one each).
    """

    rows: np.ndarray
    passages: Sequence[Passage]
    counts: np.ndarray  # sentences of each candidate
    dense_s: np.ndarray  # cosine of the question with each candidate sentence
    dense_p: np.ndarray  # ... and with each candidate passage
    lex_s: np.ndarray  # BM25 of each candidate sentence
    lex_p: np.ndarray  # ... and passage
    fragments: np.ndarray  # each candidate sentence is a question or a fragment
    paragraphs: np.ndarray  # each candidate's paragraph number (the lede prior)
    token_maxima: Callable[[np.ndarray], np.ndarray]  # query token vectors -> best cosine in each sentence
    hub_s: np.ndarray | None = None  # each candidate sentence's hub score (index/hubness.py), if the engine has them


def _unit(weights: np.ndarray) -> np.ndarray:
    """``weights`` scaled to sum to one (equal shares when they sum to nothing)."""
    total = weights.sum()
    return weights / total if total > 0 else np.full(len(weights), 1.0 / len(weights))


def segment_maxima(sims: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each query token's best cosine within each run of ``sims``' columns (runs of ``lengths``; empty runs 0).

    ``sims`` holds the query tokens' cosines with a run of token rows, however the engine multiplied
    them (float32 over gathered rows, or the int8 product of token_product.py).
    """
    bounds = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    maxima = np.maximum.reduceat(sims, np.minimum(bounds, max(sims.shape[1] - 1, 0)), axis=1)
    maxima[:, lengths == 0] = 0.0
    return maxima


class IndexInfo(Protocol):
    """What the service reads of any engine's index: its manifest (corpus version, passages, build time)."""

    @property
    def manifest(self) -> dict: ...


class Ranker(ABC):
    """What every engine's retriever shares: the question cache, token weighting and the fused ranking.

    The answerer, abstention and follow-ups take any ``Ranker``: each engine gives ``search`` and
    ``uncovered_share`` over its own storage, and ``index.manifest``.
    """

    encoder: Encoder
    token_idf: np.ndarray
    index: IndexInfo
    lede: LedePrior | None  # the lede prior (lede.py), None when ranking without it
    count_prior: CountPrior | None  # the count prior (counting.py), None when ranking without it
    scope: DocumentScope | None = None  # several documents: the second stage (document_scope.py)
    document_ids: frozenset[str]  # the documents of the index (what ``search``'s ``document`` may name)
    _maxsim_weight: np.ndarray | None = None  # ``_token_weights``' table, None until used

    def search(
        self, query: str, top_k: int = 3, weights: Weights | None = None, document: str | None = None
    ) -> SearchResult:
        """The ``top_k`` passages for ``query``, best first; only ``document``'s when it is given.

        A question about what someone the question names by role said is searched with the name the
        article introduces them with (roles.py); over several documents, within the document the
        question itself finds first.
        """
        span = speaker_span(query) if self.roles else None
        if span is None or self.names.issuperset(content_words(query[span[0] : span[1]])):
            # No speaker, a pronoun ("she"), or one named already ("Taelman"): searched as asked.
            return self._search(query, top_k, weights, document)
        speaker = query[span[0] : span[1]]
        # The question and its speaker in one encoder run: a turn each in the queue of questions
        # encoded together (batching.py) would double this one's wait when many arrive at once.
        asked, alone = self._encode_all([query, speaker])
        first = None
        if document is None and len(self.document_ids) > 1:
            first = self._search(query, top_k, weights, None, asked)
            if not first.hits:
                return first
            document = first.hits[0].passage.document
        named = self._named_speaker(query, span, document, alone)
        if named is None:
            return first or self._search(query, top_k, weights, document, asked)
        return self._search(named, top_k, weights, document)

    def _named_speaker(
        self, query: str, span: tuple[int, int], document: str | None, encoded: Encoded | None = None
    ) -> str | None:
        """``query`` with the speaker in ``span`` (``encoded``, if it is) named as the article introduces
        them, or None (roles.py)."""
        speaker = query[span[0] : span[1]]
        found, surname = self._speakers.get((speaker.lower(), document))
        if not found:
            surname = self._surname_of(speaker, document, encoded)
            self._speakers.put((speaker.lower(), document), surname)
        return None if surname is None else query[: span[0]] + surname + query[span[1] :]

    def _surname_of(self, speaker: str, document: str | None, encoded: Encoded | None = None) -> str | None:
        """The surname of the person introduced with the role ``speaker`` names, if one is (roles.py)."""
        found = self._search(speaker, 1, None, document, encoded)
        if not found.hits or found.query_tokens is None:
            return None
        people, roles = self._introduced(found.hits[0].passage)
        if not people:
            return None
        weights = np.take(self.coverage_weight, found.query_tokens.ids, mode="clip")
        person = best_introduction(found.query_tokens, weights, people, roles)
        if person is None or person.surname.lower() in speaker.lower():
            return None
        return person.surname

    def _introduced(self, passage: Passage) -> tuple[list[Introduction], list[TokenVectors]]:
        """The people ``passage`` introduces and their roles' token vectors (roles.py), kept for the last
        ``INTRODUCED_PASSAGES`` passages."""
        found, known = self._introductions.get(passage.id)
        if found and known is not None:
            return known
        people = introductions(passage, self.names)
        roles = self.encoder.encode_tokens([person.role for person in people])[1] if people else []
        self._introductions.put(passage.id, (people, roles))
        return people, roles

    @abstractmethod
    def _search(
        self,
        query: str,
        top_k: int = 3,
        weights: Weights | None = None,
        document: str | None = None,
        encoded: Encoded | None = None,
    ) -> SearchResult:
        """``search`` as the engine ranks ``query`` itself, whoever it names (``encoded`` already, if given)."""

    @abstractmethod
    def uncovered_share(self, query_tokens: TokenVectors, passage: Passage, tau: float) -> float:
        """The share of the question's content that nothing in ``passage`` matches above cosine ``tau``."""

    def _init_ranking(
        self, encoder: Encoder, token_idf: np.ndarray, lede: LedePrior | None, weights: Weights | None,
        cache_size: int, idf_power: float = IDF_POWER, cased: tuple[set[str], set[str]] = (set(), set()),
    ) -> None:  # fmt: skip
        self.encoder = encoder
        self.token_idf = token_idf
        self.cache_size = cache_size
        self._cache: LRU[str, Encoded] = LRU(cache_size)
        # Speakers named by role, as resolved (roles.py): (speaker, document) -> the question's surname or None.
        self._speakers: LRU[tuple[str, str | None], str | None] = LRU(cache_size)
        # What the index says, however questions are cached: each passage's introductions, roles encoded.
        self._introductions: LRU[str, tuple[list[Introduction], list[TokenVectors]]] = LRU(INTRODUCED_PASSAGES)
        self.weights = weights or Weights()
        self.idf_power = idf_power
        self.lede = lede
        self.count_prior = CountPrior(meanings=WordMeanings(encoder))
        # In a question about what someone said, the speaker's tokens weigh less (reported.py).
        self.speakers = True
        # A speaker named by role is searched by the name the article gives them (roles.py).
        self.roles = True
        # A question's names weigh less in choosing the sentence that answers (question_names.py).
        self.names = corpus_names(*cased)
        self.name_weight = NAME_WEIGHT
        vocabulary = encoder.vocabulary()
        # Misspelt names read as the corpus's (spelling.py), from its cased words and the model's whole words.
        self.speller = NameSpeller.of(*cased, frozenset(w for w in vocabulary if w.isalpha()))
        # Punctuation in a question ("?") matches the article's own questions and quotes: it gets no
        # weight in late interaction (eval-natural answer 0.600 -> 0.622, dev and extra level).
        # Lookup tables by token id, so a question's tokens are checked with one index, not a sort.
        self.punctuation_mask = self._id_mask(punctuation_ids(vocabulary))
        self.content_mask = ~(self.punctuation_mask | self._id_mask(function_word_ids(vocabulary)))
        # Each token id's weight in the coverage check (idf squared, content only), looked up per question.
        self.coverage_weight = token_idf.astype(np.float64) ** 2 * self.content_mask
        # A passage is ranked by its best sentence that states something: a question or a fragment of
        # under four words ("So what do the kids do?") never answers on its own (natural hit@1 .822 -> .844).
        self.stating_only = True
        # The sentence-level dense signal is corrected for hubness (index/hubness.py): no set drops,
        # conversations and questions as readers ask them gain (docs/quality.md).
        self.hubness = True

    def configured(
        self,
        weights: Weights | None = None,
        idf_power: float | None = None,
        lede: bool = True,
        skip_punctuation: bool = True,
        stating_only: bool = True,
        hubness: bool = True,
        count_prior: bool = True,
        count_meaning: bool = True,
        speakers: bool = True,
        names: bool = True,
        roles: bool = True,
    ) -> Self:
        """A retriever over the same index and vectors, ranking another way (ablations, weight fits)."""
        other = copy.copy(self)
        other.count_prior = self.count_prior if count_prior else None
        if other.count_prior is not None and not count_meaning:  # the counted noun as written only
            other.count_prior = dataclasses.replace(other.count_prior, meanings=None)
        other.speakers = self.speakers and speakers
        other.name_weight = self.name_weight if names else 1.0
        other.roles = self.roles and roles
        other._speakers = LRU(self.cache_size)  # resolved by this ranking, not the one copied
        other.weights = weights or self.weights
        other.idf_power = self.idf_power if idf_power is None else idf_power
        other.lede = self.lede if lede else None
        other.punctuation_mask = self.punctuation_mask if skip_punctuation else np.zeros_like(self.punctuation_mask)
        other.stating_only = self.stating_only and stating_only
        other.hubness = self.hubness and hubness
        return other

    def require_document(self, document: str) -> None:
        """Raise ``UnknownDocument`` unless the index holds ``document``."""
        if document not in self.document_ids:
            raise UnknownDocument(document, sorted(self.document_ids))

    def _scoped(self) -> bool:
        return self.scope is not None and self.scope.usable

    def _in_document(self, document: str) -> Retriever:
        """The retriever of ``document`` alone, ranking as this one is configured to (ablations included)."""
        assert self.scope is not None
        child = self.scope.retriever(document)
        settings = self._ranking_settings()
        if settings == child._ranking_settings():  # as served: no copy per question
            return child
        return child.configured(**settings)

    def _ranking_settings(self) -> dict:
        """What ``configured`` can change, as its arguments: to tell whether another retriever ranks as this
        one, and to make it do so."""
        return {
            "weights": self.weights,
            "idf_power": self.idf_power,
            "lede": self.lede is not None,
            "skip_punctuation": bool(self.punctuation_mask.any()),
            "stating_only": self.stating_only,
            "hubness": self.hubness,
            "count_prior": self.count_prior is not None,
            "count_meaning": self.count_prior is not None and self.count_prior.meanings is not None,
            "speakers": self.speakers,
            "names": self.name_weight < 1.0,
            "roles": self.roles,
        }

    @property
    def idf_power(self) -> float:
        """The power of a query token's idf in its late-interaction weight (``fusion.IDF_POWER``)."""
        return self._idf_power

    @idf_power.setter
    def idf_power(self, power: float) -> None:
        self._idf_power = power
        self._maxsim_weight = None  # worked out again on next use

    @property
    def punctuation_mask(self) -> np.ndarray:
        """True at the token ids of punctuation, which weigh nothing in late interaction."""
        return self._punctuation_mask

    @punctuation_mask.setter
    def punctuation_mask(self, mask: np.ndarray) -> None:
        self._punctuation_mask = mask
        self._maxsim_weight = None

    def _token_weights(self) -> np.ndarray:
        """Each token id's weight in late interaction: its idf to ``idf_power``, 0 for punctuation.

        A table by token id, fixed by the index and the two settings above (changing either
        drops it): a question's weights are then one lookup (``np.take``, which clips ids as
        ``np.clip`` did) instead of a clip, two gathers, a cast and a power per question. Each
        entry is what that per-question arithmetic gave.
        """
        if self._maxsim_weight is None:
            self._maxsim_weight = self.token_idf.astype(np.float64) ** self.idf_power * ~self.punctuation_mask
        return self._maxsim_weight

    def _encode(self, query: str) -> Encoded:
        """The query's vector and token vectors, from a bounded LRU cache (repeat questions are common)."""
        return self._encode_all([query])[0]

    def _encode_all(self, texts: list[str]) -> list[Encoded]:
        """``_encode`` of each of ``texts``, those not cached encoded in one run."""
        cached = [self._cache.get(text)[1] for text in texts]
        missing = [text for text, known in zip(texts, cached, strict=True) if known is None]
        fresh: dict[str, Encoded] = {}
        if missing:
            vectors, tokens = self.encoder.encode_tokens(missing)
            fresh = {text: (v, t) for text, v, t in zip(missing, vectors, tokens, strict=True)}
            for text, entry in fresh.items():
                self._cache.put(text, entry)
        return [known if known is not None else fresh[text] for text, known in zip(texts, cached, strict=True)]

    def _id_mask(self, ids: np.ndarray) -> np.ndarray:
        """A table over token ids (as ``token_idf`` is indexed), true at ``ids``."""
        mask = np.zeros(len(self.token_idf), dtype=bool)
        mask[ids[ids < len(mask)]] = True
        return mask

    def _maxsim_of(
        self,
        qtok: TokenVectors,
        token_maxima: Callable[[np.ndarray], np.ndarray],
        counts: np.ndarray,
        query: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """IDF-weighted late interaction: each query token's best match in a sentence / passage.

        Returns the sentence scores, the passage scores (passages of ``counts`` sentences), and
        the weighted per-token matches of each sentence (query tokens x sentences) that the
        sentence scores sum.

        Weighting query tokens by their idf (raised to ``IDF_POWER``) keeps question words ("what",
        "did") from drowning out names and rare words. Given the ``query`` text, a question about what
        someone said weighs the speaker's tokens less (reported.py), and the sentences weigh the
        question's names less (question_names.py).
        """
        n_q, n_s = len(qtok.ids), int(counts.sum())
        if n_q == 0:
            return np.zeros(n_s), np.zeros(len(counts)), np.zeros((0, n_s))
        weights = np.take(self._token_weights(), qtok.ids, mode="clip")
        if query is not None and self.speakers:
            weights = weights * self._speaker_share(query, n_q)
        sentence_weights = weights * self._name_share(query, n_q) if query is not None else weights
        # Tokens of no weight (punctuation) add nothing to any score: they are left out of the product,
        # and their rows of the matches, which would be zero, with them.
        weights, sentence_weights = _unit(weights), _unit(sentence_weights)
        used = weights > 0
        weights, sentence_weights = weights[used], sentence_weights[used]
        per_sentence = token_maxima(qtok.vectors[used])  # (weighted query tokens, sentences)
        per_passage = np.maximum.reduceat(per_sentence, np.cumsum(counts) - counts, axis=1)
        return sentence_weights @ per_sentence, weights @ per_passage, sentence_weights[:, None] * per_sentence

    def _speaker_share(self, query: str, n_tokens: int) -> np.ndarray | float:
        """Each query token's share of its weight: ``SPEAKER_WEIGHT`` for the speaker's tokens in a
        question about what someone said (reported.py), 1 for the others and in any other question."""
        span = speaker_span(query)
        inside = self._tokens_within(query, [span] if span else [], n_tokens)
        return 1.0 if inside is None else np.where(inside, SPEAKER_WEIGHT, 1.0)

    def _name_share(self, query: str, n_tokens: int) -> np.ndarray | float:
        """Each query token's share of its weight in the sentence-level signals: ``name_weight`` for the
        tokens of the question's names (question_names.py), 1 for the others. Across several documents
        the names say which document a question is about, and weigh in full: an archive's first stage
        ranks so, and its second stage, within the chosen document, weighs them less."""
        if self.name_weight == 1.0 or len(self.document_ids) > 1:
            return 1.0
        inside = self._tokens_within(query, name_spans(query, self.names), n_tokens)
        return 1.0 if inside is None else np.where(inside, self.name_weight, 1.0)

    def _tokens_within(self, query: str, spans: list[tuple[int, int]], n_tokens: int) -> np.ndarray | None:
        """For each of the query's ``n_tokens`` tokens, whether it lies inside one of the character ``spans``;
        None when there is no span, or the question was cut at the model's length (its tokens are not all there)."""
        if not spans:
            return None
        tokens = self.encoder.token_spans(query)
        if len(tokens) != n_tokens:
            return None
        return np.array([any(a <= start and end <= b for a, b in spans) for start, end in tokens])

    def _rank(
        self, query: str, qtok: TokenVectors, found: Candidates, top_k: int, w: Weights
    ) -> tuple[list[Hit], dict[str, float]]:
        """The ``top_k`` hits among the candidates by the fused score, and the time late interaction and fusion took."""
        t0 = time.perf_counter()
        counts = found.counts
        maxsim_s, maxsim_p, matches = self._maxsim_of(qtok, found.token_maxima, counts, query)
        t1 = time.perf_counter()
        dense_s = found.dense_s
        if self.hubness and found.hub_s is not None:  # sentences close to everything lose that closeness
            dense_s = dense_s - found.hub_s
        # Each kind's three signals standardised in one call (``standardise`` takes a stack).
        dense, late, lexical = standardise(np.stack([dense_s, maxsim_s, found.lex_s]))
        sentence_score = w.sentence_dense * dense + w.sentence_maxsim * late + w.sentence_lexical * lexical
        if self.stating_only:  # below every stating sentence, so one counts whenever the passage has one
            sentence_score = sentence_score - FRAGMENT_PENALTY * found.fragments
        # Each candidate's sentences are contiguous (every passage has at least one): a segmented max.
        starts = np.cumsum(counts) - counts
        best = np.maximum.reduceat(sentence_score, starts)
        dense, late, lexical = standardise(np.stack([found.dense_p, maxsim_p, found.lex_p]))
        passage_score = best + w.passage_dense * dense + w.passage_maxsim * late + w.passage_lexical * lexical
        if self.lede is not None:
            passage_score = passage_score + self.lede.boost(query, found.paragraphs)
        if self.count_prior is not None:
            passage_score = passage_score + self.count_prior.boost(query, found.passages, found.rows)
        order = np.argsort(-passage_score, kind="stable")[:top_k]
        hits = []
        for c in order:
            mine = slice(starts[c], starts[c] + counts[c])
            k = int(np.argmax(sentence_score[mine]))
            passage = found.passages[found.rows[c]]
            # Its own rows (sentences x query tokens), not a view into every candidate's matches.
            token_matches = np.ascontiguousarray(matches[:, mine].T)
            hits.append(Hit(passage, float(passage_score[c]), passage.sentences[k], token_matches))
        t2 = time.perf_counter()
        return hits, {"maxsim": (t1 - t0) * 1000, "fusion": (t2 - t1) * 1000}

    def _uncovered(self, query_tokens: TokenVectors, tokens_t: np.ndarray, tau: float) -> float:
        """The share of the question's content that no column of ``tokens_t`` (dim x tokens) matches above ``tau``."""
        best = (query_tokens.vectors @ tokens_t).max(axis=1)
        weight = np.take(self.coverage_weight, query_tokens.ids, mode="clip")
        total = weight.sum()
        return float((weight * (best < tau)).sum() / total) if total > 0 else 0.0
