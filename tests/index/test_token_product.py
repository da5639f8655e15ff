"""ONNX Runtime's product of question and corpus token vectors is numpy's, to float32 rounding."""

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
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()


def test_a_query_without_tokens_gives_an_empty_product():
    product = TokenProduct(np.eye(3, 4, dtype=np.float16))
    assert product(np.zeros((0, 4), dtype=np.float32)).shape == (0, 3)
    np.testing.assert_array_equal(product(np.eye(2, 4, dtype=np.float32)), np.eye(2, 3))
