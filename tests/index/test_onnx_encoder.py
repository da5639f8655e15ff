"""The served ONNX encoder gives sentence-transformers' own vectors, and keeps torch out of the server."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from index.onnx_encoder import ONNX_FILE, OnnxEncoder

from ..conftest import EVAL_DIR, ROOT


@pytest.fixture(scope="module")
def onnx_encoder(index_dir):
    return OnnxEncoder(index_dir / ONNX_FILE)


@pytest.fixture(scope="module")
def texts(retriever):
    corpus = [s.text for s in retriever.sentences] + [p.text for p in retriever.passages]
    questions = []
    if (EVAL_DIR / "questions.jsonl").exists():
        lines = (EVAL_DIR / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]
    return corpus + questions + ["Who?", "Liège, Molenbeek — “quotes” and émigrés"]


def test_onnx_vectors_equal_sentence_transformers(onnx_encoder, encoder, texts):
    cosines = (onnx_encoder.encode(texts) * encoder.encode(texts)).sum(axis=1)
    assert cosines.min() >= 0.9999


def test_onnx_token_vectors_and_ids_equal_sentence_transformers(onnx_encoder, encoder, texts):
    _, ours = onnx_encoder.encode_tokens(texts[:40])
    _, theirs = encoder.encode_tokens(texts[:40])
    for a, b in zip(ours, theirs, strict=True):
        assert np.array_equal(a.ids, b.ids)
        assert (a.vectors * b.vectors).sum(axis=1).min() >= 0.9999


def test_two_threads_give_one_threads_vectors_bit_for_bit(index_dir, onnx_encoder, texts):
    """A worker may encode on two threads (QA_ENCODER_THREADS): only the time may change, never a vector."""
    two = OnnxEncoder(index_dir / ONNX_FILE, threads=2)
    for text in texts[-12:]:
        ours, (our_tokens,) = two.encode_tokens([text])
        theirs, (their_tokens,) = onnx_encoder.encode_tokens([text])
        assert np.array_equal(ours, theirs) and np.array_equal(our_tokens.vectors, their_tokens.vectors)


def test_onnx_tokenizer_does_not_pad_short_questions(onnx_encoder):
    _, (tokens,) = onnx_encoder.encode_tokens(["How old was he?"])
    assert len(tokens.ids) == 5


def test_manifest_records_the_onnx_checksum(index_dir):
    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert ONNX_FILE in manifest["files"]


def test_serving_process_never_imports_torch(index_dir, corpus_dir):
    code = (
        "import sys; from service import create_app; "
        f"app = create_app({{'INDEX_DIR': {str(index_dir)!r}, 'CORPUS_DIR': {str(corpus_dir)!r}}}); "
        "assert app.extensions['qa'].answerer is not None; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'sentence_transformers')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
