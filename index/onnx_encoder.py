"""The same model through ONNX Runtime: identical vectors, a third of the time, no torch in the server.

``export_onnx`` turns the bundled weights into an ONNX graph of the transformer (token states
out); pooling and normalisation are done here in numpy exactly as sentence-transformers does them
(mean over real tokens, then L2), so the vectors match the torch path (tests check cosine >= 0.9999).
The export runs at index build time, with torch; serving needs only onnxruntime and tokenizers.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from .encoder import DEFAULT_MODEL_NAME, TokenVectors, default_model_dir, unit_rows, weights_checksum
from .errors import ModelError

ONNX_FILE = "model.onnx"


def export_onnx(model_dir: Path, out_path: Path) -> Path:
    """Export the transformer of a sentence-transformers folder to ONNX (dynamic batch and length)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # torch only here, at build time: the serving process never imports it (tests check).
    import torch
    from transformers import AutoModel

    class TokenStates(torch.nn.Module):
        """The transformer with keyword inputs and one output: the last layer's token states."""

        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    model = TokenStates(AutoModel.from_pretrained(str(model_dir), local_files_only=True))
    model.eval()
    ids = torch.tensor([[101, 7592, 2088, 102]], dtype=torch.long)
    mask = torch.ones_like(ids)
    types = torch.zeros_like(ids)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".onnx.tmp")
    # The TorchScript exporter is deprecated in favour of torch.export (which needs onnxscript and
    # more); it warns and traces noisily, but its graph is verified against the torch vectors in tests.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (ids, mask, types),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
            | {"last_hidden_state": {0: "batch", 1: "tokens"}},
            opset_version=17,
            dynamo=False,
        )
    tmp.replace(out_path)
    return out_path


class OnnxEncoder:
    """all-MiniLM-L6-v2 (or a local model folder) through ONNX Runtime, one session per process."""

    def __init__(self, onnx_path: Path, model_dir: Path | None = None, threads: int = 1) -> None:
        model_dir = Path(model_dir) if model_dir else default_model_dir()
        onnx_path = Path(onnx_path)
        if not onnx_path.exists():
            raise ModelError(f"No ONNX model at {onnx_path}.", "Build the index with `python -m index build`.")
        if not (model_dir / "tokenizer.json").exists():
            raise ModelError(
                f"No tokenizer.json in {model_dir}.", "Set QA_MODEL_DIR to a sentence-transformers folder."
            )
        options = ort.SessionOptions()
        # 2 workers on 2 cores share them through QA_ENCODER_THREADS (docs/performance.md).
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if threads > 1:  # idle pool threads sleep instead of spinning on cores the other workers need
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The shipped tokenizer.json pads every input to 128 tokens: a 10-token question would cost 10x.
        self.tokenizer.no_padding()
        self.max_seq_length = _max_seq_length(model_dir)
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.name = model_dir.name if model_dir.name != "model" else DEFAULT_MODEL_NAME
        self.model_dir = model_dir
        self.max_tokens = self.max_seq_length - 2
        self.checksum = weights_checksum(model_dir)
        self.dimension = int(self.session.get_outputs()[0].shape[-1] or 384)
        self._inputs = {i.name for i in self.session.get_inputs()}

    def _run(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token states, attention mask and ids for a batch padded to its longest text."""
        # One text (a question) is cut on this thread: encode_batch hands even one to the tokenizer's
        # thread pool, whose threads then compete with the other worker for the two cores.
        encodings = [self.tokenizer.encode(texts[0])] if len(texts) == 1 else self.tokenizer.encode_batch(list(texts))
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), length), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (states,) = self.session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        return states, mask, ids

    def _batches(self, texts: list[str], size: int = 32):
        # Sorting by length keeps padding small when a whole corpus is encoded.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), size):
            yield order[start : start + size]

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.encode_tokens(texts)[0]

    def encode_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        """Sentence vectors (mean pooling, L2) and each text's token ids and unit token vectors."""
        texts = list(texts)
        sentence = np.zeros((len(texts), self.dimension), dtype=np.float32)
        tokens: dict[int, TokenVectors] = {}  # by position in ``texts``, filled batch by batch
        for batch in self._batches(texts):
            states, mask, ids = self._run([texts[i] for i in batch])
            weights = mask[:, :, None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            sentence[batch] = unit_rows(pooled)
            for row, i in enumerate(batch):
                n = int(mask[row].sum())
                tokens[i] = TokenVectors(ids[row, 1 : n - 1].copy(), unit_rows(states[row, 1 : n - 1]))
        return sentence, [tokens[i] for i in range(len(texts))]

    def vocabulary(self) -> dict[str, int]:
        return dict(self.tokenizer.get_vocab())

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        return [(start, end) for start, end in encoding.offsets]


def _max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256
