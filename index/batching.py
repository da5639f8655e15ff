"""Questions asked at the same time encoded together: one ONNX Runtime run for every question waiting.

Encoding is most of what a question costs (docs/performance.md), and a transformer encodes a batch
for much less than the sum of its questions: on this machine's CPU, all-MiniLM-L6-v2 through ONNX
Runtime on one thread takes 3.9 ms for one dev-set question, 2.9 ms a question in twos, 2.4 in fours
and 2.2 in eights (``bench/serve.py``'s figures). A worker serving several requests at once (gunicorn
``gthread``) can have that: the first request to need the encoder runs it, on its own thread, for
itself and every question that is waiting; questions that arrive while it runs wait, and the first
of them runs the next batch for all of them. Nobody waits for a batch to fill, so one question at a
time costs what it did (a lock and a list).

The vectors do not depend on the batch: the graph masks padding, and ONNX Runtime's CPU kernels give
each row the same result bit for bit whatever the batch holds (checked on the 167 questions of three
question sets in batches of 8, and in the test suite). A failed batch is retried question by question,
so one text that cannot be encoded fails alone and never its neighbours.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .encoder import Encoder, TokenVectors

# Beyond 8 a batch costs as much a question as 8 (2.2 ms at 8, 2.3 at 16): more would only make the
# first questions of a batch wait for the last.
MAX_BATCH = 8


@dataclass
class _Waiting:
    """One question in the queue, and what it gets back: its vectors, its error, or the turn to run a batch."""

    text: str
    ready: threading.Event = field(default_factory=threading.Event)
    vector: np.ndarray | None = None
    tokens: TokenVectors | None = None
    error: BaseException | None = None
    lead: bool = False  # set with ``ready`` when this question's thread is to run the next batch

    def outcome(self) -> tuple[np.ndarray, list[TokenVectors]]:
        if self.error is not None:
            raise self.error
        assert self.vector is not None and self.tokens is not None
        return self.vector[None, :], [self.tokens]


class BatchingEncoder:
    """An ``Encoder`` whose single-question encodes, when they overlap in time, share one run of ``encoder``.

    Encoding several texts at once (an index build) goes straight to ``encoder``; so does everything
    that is not encoding (its name, checksum, vocabulary, token spans). ``on_run``, when set, is told
    each batch's size.
    """

    def __init__(self, encoder: Encoder, max_batch: int = MAX_BATCH) -> None:
        self.encoder = encoder
        self.max_batch = max_batch
        self.name = encoder.name
        self.dimension = encoder.dimension
        self.max_tokens = encoder.max_tokens
        self.checksum = encoder.checksum
        self._lock = threading.Lock()
        self._queue: deque[_Waiting] = deque()
        self._running = False  # a thread is running a batch (or has been handed the turn to)
        # Told each batch's size once it is encoded (the service's metrics: qa_encode_batch_questions).
        self.on_run: Callable[[int], None] | None = None

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.encode_tokens(texts)[0]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.encoder.token_spans(text)

    def vocabulary(self) -> dict[str, int]:
        return self.encoder.vocabulary()

    def encode_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        """Each text's vector and token vectors; one text waits for, or runs, the batch it joins."""
        texts = list(texts)
        if len(texts) != 1:
            return self.encoder.encode_tokens(texts)
        me = _Waiting(texts[0])
        with self._lock:
            self._queue.append(me)
            lead = not self._running
            self._running = True
        if not lead:
            me.ready.wait()
            if not me.lead:
                return me.outcome()
        self._run_batch()
        return me.outcome()

    def _run_batch(self) -> None:
        """Encode the questions at the head of the queue (this thread's among them), answer each, pass the turn on."""
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
        try:
            self._encode(batch)
        finally:  # whatever happened (a worker being stopped included), nobody is left waiting
            for waiting in batch:
                if waiting.vector is None and waiting.error is None:
                    waiting.error = RuntimeError("the question's encoding was interrupted")
            with self._lock:
                following = self._queue[0] if self._queue else None
                if following is None:
                    self._running = False
                else:
                    following.lead = True  # the turn passes to the longest waiting; _running stays set
            for waiting in batch:
                waiting.ready.set()
            if following is not None:
                following.ready.set()
            if self.on_run is not None:
                self.on_run(len(batch))

    def _encode(self, batch: list[_Waiting]) -> None:
        """Fill in each question's vectors, or, if the batch fails, each one's own outcome."""
        try:
            vectors, tokens = self.encoder.encode_tokens([w.text for w in batch])
        except Exception:
            for waiting in batch:  # alone, so that only a text that cannot be encoded fails
                try:
                    vectors, tokens = self.encoder.encode_tokens([waiting.text])
                    waiting.vector, waiting.tokens = vectors[0], tokens[0]
                except Exception as exc:
                    waiting.error = exc
            return
        for row, waiting in enumerate(batch):
            waiting.vector, waiting.tokens = vectors[row], tokens[row]
