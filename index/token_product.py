"""Late interaction's one big product, question tokens x every corpus token, run by ONNX Runtime.

MaxSim over a small corpus is one float32 matrix product of the question's token vectors (about
8 x 384) with every corpus token vector (384 x 6,391 here), then a maximum per sentence. numpy
hands the product to OpenBLAS, which on one thread takes 0.79 ms for that shape on this machine;
ONNX Runtime's MatMul (MLAS, the library the question encoder already runs on) computes the same
float32 product in 0.20 ms (docs/performance.md). The corpus matrix is the graph's constant, so
it is laid out once, at load.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
CONTRIB = "com.microsoft"  # ONNX Runtime's own operators, shipped with every CPU build


class TokenProduct:
    """``product(query_vectors)`` ~= ``query_vectors @ tokens.T``, the corpus side held as int8.

    Each corpus token vector is stored as int8 with its own scale (its largest component maps to
    127), and ONNX Runtime's DynamicQuantizeMatMul quantizes the question's vectors on the fly and
    multiplies in integers. The product's error is at most ~0.003 in cosine; what it saves is
    memory traffic: the encoder's 90 MB of weights push the corpus matrix out of the cache on every
    question, and reading 2.5 MB of int8 instead of 9.8 MB of float32 back from memory is most of
    the gain (0.24 against 0.71 ms a question here, docs/performance.md).
    """

    def __init__(self, tokens: np.ndarray, threads: int = 1) -> None:
        self.count, dimension = tokens.shape
        rows, scale = quantize_rows(tokens)
        constants = {"corpus": np.ascontiguousarray(rows.T), "scale": scale, "zero": np.zeros(self.count, np.int8)}
        self._session = _session(dimension, threads, constants)

    def __call__(self, query_vectors: np.ndarray) -> np.ndarray:
        """Each query token's cosine with every corpus token (rows: query tokens)."""
        query = np.ascontiguousarray(query_vectors, dtype=np.float32)
        if not len(query) or not self.count:
            return np.zeros((len(query), self.count), dtype=np.float32)
        return self._session.run(None, {"query": query})[0]


class RowProduct:
    """``product(query_vectors, rows, scale)``: the same int8 product over rows given per call.

    For an engine that fetches its candidates' token rows per question (Milvus): each row quantized
    as ``TokenProduct`` quantizes it (``quantize_rows``), the same operator, so every score is bit for
    bit the one ``TokenProduct`` gives over the whole corpus (tested), and a ranking never differs by
    engine through late interaction's arithmetic.
    """

    def __init__(self, dimension: int, threads: int = 1) -> None:
        self._session = _session(dimension, threads, {})

    def __call__(self, query_vectors: np.ndarray, rows: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Each query token's cosine with each of ``rows`` (int8, one token per row, ``scale`` each)."""
        query = np.ascontiguousarray(query_vectors, dtype=np.float32)
        if not len(query) or not len(rows):
            return np.zeros((len(query), len(rows)), dtype=np.float32)
        feeds = {"query": query, "corpus": np.ascontiguousarray(rows.T), "scale": scale}
        return self._session.run(None, {**feeds, "zero": np.zeros(len(rows), dtype=np.int8)})[0]


def quantize_rows(tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token vectors as int8 rows with one scale each (the row's largest component maps to 127)."""
    vectors = np.asarray(tokens, dtype=np.float32)
    largest = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, dtype=np.float32)
    scale = np.where(largest > 0, largest / 127.0, 1.0).astype(np.float32)
    return np.round(vectors / scale[:, None]).astype(np.int8), scale


def _session(dimension: int, threads: int, constants: dict[str, np.ndarray]) -> ort.InferenceSession:
    """DynamicQuantizeMatMul of the question's vectors by int8 corpus rows: graph constants, or inputs if not given."""
    inputs = [helper.make_tensor_value_info("query", TensorProto.FLOAT, ["tokens", dimension])]
    if not constants:
        inputs += [
            helper.make_tensor_value_info("corpus", TensorProto.INT8, [dimension, "count"]),
            helper.make_tensor_value_info("scale", TensorProto.FLOAT, ["count"]),
            helper.make_tensor_value_info("zero", TensorProto.INT8, ["count"]),
        ]
    graph = helper.make_graph(
        [helper.make_node("DynamicQuantizeMatMul", ["query", "corpus", "scale", "zero"], ["scores"], domain=CONTRIB)],
        "token_product",
        inputs,
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["tokens", "count"])],
        [numpy_helper.from_array(value, name) for name, value in constants.items()],
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(CONTRIB, 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8  # what every ONNX Runtime since 1.10 reads
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # one core per worker, as the encoder
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
