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


class TokenProduct:
    """``product(query_vectors)`` = ``query_vectors @ tokens.T`` in float32, for a corpus fixed at load."""

    def __init__(self, tokens: np.ndarray, threads: int = 1) -> None:
        self.count, dimension = tokens.shape
        corpus = np.ascontiguousarray(tokens.T, dtype=np.float32)
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["query", "corpus"], ["scores"])],
            "token_product",
            [helper.make_tensor_value_info("query", TensorProto.FLOAT, ["tokens", dimension])],
            [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["tokens", self.count])],
            [numpy_helper.from_array(corpus, "corpus")],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8  # what every ONNX Runtime since 1.10 reads
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # one core per worker, as the encoder
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])

    def __call__(self, query_vectors: np.ndarray) -> np.ndarray:
        """Each query token's cosine with every corpus token (rows: query tokens)."""
        query = np.ascontiguousarray(query_vectors, dtype=np.float32)
        if not len(query):
            return np.zeros((0, self.count), dtype=np.float32)
        return self._session.run(None, {"query": query})[0]
