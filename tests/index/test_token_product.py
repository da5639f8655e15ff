"""ONNX Runtime's product of question and corpus token vectors, the corpus side in int8: numpy's to ~0.003."""

from __future__ import annotations

import numpy as np

from index.token_product import RowProduct, TokenProduct, quantize_rows


def test_the_product_is_numpys_product(retriever):
    tokens = retriever.index.token_vectors  # the article's stored float16 token vectors
    product = TokenProduct(tokens)
    query = retriever.encoder.encode_tokens(["Who was killed in the Verviers raid?"])[1][0].vectors
    expected = query.astype(np.float32) @ tokens.astype(np.float32).T
    got = product(query)
    assert got.shape == (len(query), len(tokens)) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=0.005)  # int8 with a scale per corpus token
    # Each question token's best match over the corpus, what MaxSim keeps, is the same token's.
    assert (np.take_along_axis(expected, got.argmax(axis=1)[:, None], 1)[:, 0] >= expected.max(axis=1) - 0.005).all()


def test_a_query_without_tokens_gives_an_empty_product():
    product = TokenProduct(np.eye(3, 4, dtype=np.float16))
    assert product(np.zeros((0, 4), dtype=np.float32)).shape == (0, 3)
    np.testing.assert_allclose(product(np.eye(2, 4, dtype=np.float32)), np.eye(2, 3), atol=0.01)
    assert TokenProduct(np.zeros((0, 4), dtype=np.float16))(np.eye(2, 4, dtype=np.float32)).shape == (2, 0)


def test_rows_given_per_call_score_as_the_whole_corpus_does():
    """Milvus fetches its candidates' rows per question: the same int8 product, bit for bit, on any subset."""
    rng = np.random.default_rng(3)
    tokens = rng.standard_normal((2_000, 384)).astype(np.float32)
    tokens /= np.linalg.norm(tokens, axis=1, keepdims=True)
    query = rng.standard_normal((9, 384)).astype(np.float32)
    whole = TokenProduct(tokens)(query)
    chosen = np.sort(rng.choice(len(tokens), 300, replace=False))
    rows, scale = quantize_rows(tokens[chosen])
    assert np.array_equal(RowProduct(384)(query, rows, scale), whole[:, chosen])
    assert RowProduct(384)(query, rows[:0], scale[:0]).shape == (9, 0)
