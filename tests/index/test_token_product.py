"""ONNX Runtime's product of question and corpus token vectors, the corpus side in int8: numpy's to ~0.003."""

from __future__ import annotations

import numpy as np

from index.token_product import TokenProduct


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
