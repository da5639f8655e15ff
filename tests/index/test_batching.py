"""Questions encoded together give what each gives alone, and a text that cannot be encoded fails alone."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.batching import MAX_BATCH, BatchingEncoder
from index.onnx_encoder import ONNX_FILE, OnnxEncoder

from ..conftest import EVAL_DIR, QUESTION


@pytest.fixture(scope="module")
def onnx_encoder(index_dir):
    return OnnxEncoder(index_dir / ONNX_FILE)


@pytest.fixture(scope="module")
def questions() -> list[str]:
    lines = (EVAL_DIR / "questions.jsonl").read_text(encoding="utf-8").splitlines() if EVAL_DIR.is_dir() else []
    asked = [json.loads(line)["question"] for line in lines if line.strip()]
    # Lengths from one token to many, so that batches pad their shorter questions.
    return [*asked[:22], "Who?", QUESTION, "why did the police raid the apartment in verviers and what did they find"]


def recording(encoder, max_batch: int = MAX_BATCH) -> tuple[BatchingEncoder, list[int]]:
    """A batching encoder over ``encoder`` and the list its batches' sizes are appended to."""
    batching = BatchingEncoder(encoder, max_batch=max_batch)
    sizes: list[int] = []
    batching.on_run = sizes.append
    return batching, sizes


def encode_at_once(encoder, texts: list) -> list:
    """Each text encoded on its own thread, all released together; each thread's result or exception."""
    start = threading.Barrier(len(texts))

    def one(text):
        start.wait()
        try:
            return encoder.encode_tokens([text])
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(texts)) as pool:
        return list(pool.map(one, texts))


def test_questions_asked_together_are_encoded_together_and_get_what_each_gets_alone(onnx_encoder, questions):
    batching, sizes = recording(onnx_encoder, max_batch=8)
    together = encode_at_once(batching, questions)
    assert sum(sizes) == len(questions)
    assert len(sizes) < len(questions)  # some questions shared a run
    assert max(sizes) <= 8
    for text, (vectors, tokens) in zip(questions, together, strict=True):
        alone_vectors, alone_tokens = onnx_encoder.encode_tokens([text])
        assert np.array_equal(vectors, alone_vectors)  # bit for bit, not close
        assert np.array_equal(tokens[0].ids, alone_tokens[0].ids)
        assert np.array_equal(tokens[0].vectors, alone_tokens[0].vectors)


def test_one_question_at_a_time_runs_alone(onnx_encoder):
    batching, sizes = recording(onnx_encoder)
    for _ in range(3):
        vectors, tokens = batching.encode_tokens([QUESTION])
        assert vectors.shape == (1, onnx_encoder.dimension) and len(tokens) == 1
    assert sizes == [1, 1, 1]


def test_a_text_that_cannot_be_encoded_fails_alone(onnx_encoder, questions):
    batching = BatchingEncoder(onnx_encoder, max_batch=8)
    texts: list = list(questions[:7])
    texts.insert(3, None)  # the tokenizer refuses it
    results = encode_at_once(batching, texts)
    assert isinstance(results[3], TypeError)
    for text, result in zip(texts, results, strict=True):
        if text is not None:
            assert np.array_equal(result[0], onnx_encoder.encode_tokens([text])[0])
    # The encoder is free again afterwards: nobody was left holding the turn.
    assert np.array_equal(batching.encode_tokens([QUESTION])[0], onnx_encoder.encode_tokens([QUESTION])[0])


def test_many_texts_at_once_are_not_queued(onnx_encoder, questions):
    """An index build encodes its texts in one call, straight through the wrapped encoder."""
    batching, sizes = recording(onnx_encoder)
    vectors, tokens = batching.encode_tokens(questions[:5])
    assert vectors.shape == (5, onnx_encoder.dimension) and len(tokens) == 5
    assert sizes == []
    assert batching.name == onnx_encoder.name and batching.checksum == onnx_encoder.checksum
