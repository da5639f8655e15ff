"""Hubness: sentences that sit close to everything, and so come first for questions they do not answer.

In a space of sentence embeddings some points are *hubs*: near the centre of the corpus, they are
among the nearest neighbours of many queries whatever those ask. In a news story they are the
sentences that gather its general vocabulary ("the clash had been shockingly intense, a police
officer involved in the raid would later tell a friend, and the suspects ...") and outrank, for
"How many police were there?" or "What guns did they have?", the sentence that holds the answer.

The correction is the one cross-domain similarity local scaling (CSLS, Conneau et al. 2018, "Word
translation without parallel data") applies: each sentence's *hub score* is its mean cosine with
its ``k`` nearest sentences (k = 10 as there), and the ranking uses ``cos(question, s) - hub(s)``
for the sentence-level dense signal. Neighbours are taken from other passages only, so a passage of
sentences that explain one another is not counted as a hub. The confidence that abstention reads
stays the raw cosine: the correction reorders passages, it does not decide whether the article
answers. Measured on four question sets (docs/quality.md): no figure drops on any; eval/extra and
eval-natural conversations 0.933 → 1.000 and 0.900 → 1.000, eval/reader hit@1 0.750 → 0.800.

Hub scores are computed exactly, once per loaded index, with a blocked product of the sentence
vectors (the article's 219 sentences in under a millisecond). Above ``MAX_SENTENCES`` that product
would cost minutes at every worker's start; there the correction is off (zeros) and the ranking is
what it was without it.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 10
MAX_SENTENCES = 20_000
_BLOCK = 2048


def hub_scores(vectors: np.ndarray, groups: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Each row's mean cosine with its ``k`` nearest rows of another group (``groups[i]``: row i's passage).

    ``vectors`` are unit rows. Zeros when there are more than ``MAX_SENTENCES`` rows (see the module),
    and a row with fewer than ``k`` rows outside its group averages over those it has.
    """
    n = len(vectors)
    scores = np.zeros(n, dtype=np.float32)
    take = min(k, n - 1)
    if take <= 0 or n > MAX_SENTENCES:
        return scores
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    groups = np.asarray(groups)
    for start in range(0, n, _BLOCK):
        block = vectors[start : start + _BLOCK] @ vectors.T
        block[groups[start : start + _BLOCK, None] == groups[None, :]] = -np.inf
        nearest = -np.partition(-block, take - 1, axis=1)[:, :take]  # the best first: other groups' before -inf
        finite = np.isfinite(nearest)
        counts = finite.sum(axis=1)
        sums = np.where(finite, nearest, 0.0).sum(axis=1)
        scores[start : start + len(block)] = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return scores
