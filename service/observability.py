"""What an operator sees: a request id on every request, JSON log lines, Prometheus metrics at /metrics.

- ``X-Request-ID``: taken from the request when it is a sane token (letters, digits, ``._-``, at
  most 128 characters), generated otherwise; echoed on the response and put on every log line.
- Logs: one JSON object a line on stderr (``LOG_FORMAT=text`` for plain lines), including one
  ``request`` line per request (method, route, status, ms). Questions are never logged unless
  ``LOG_QUESTIONS`` is true; by default only their length is.
- Metrics (prometheus-client): requests by route, method and status, latency histograms by route,
  answers by ``answerable`` (``false`` counts abstentions) and the index size. Under gunicorn the
  workers write to ``PROMETHEUS_MULTIPROC_DIR`` (set by gunicorn.conf.py), so any worker answers
  /metrics with the totals of all of them.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
import time
import uuid

from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from index.batching import BatchingEncoder
from qa.models import Answer

log = logging.getLogger("service.access")

# Module-level: a metric is registered once per process, however many apps the process builds.
REQUESTS = Counter(
    "qa_http_requests_total", "HTTP requests by route, method and status.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "qa_http_request_duration_seconds",
    "Time to answer a request, by route.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ANSWERS = Counter("qa_answers_total", "Answers given, by answerable (false: the article doesn't say).", ["answerable"])
DECLINED = Counter(
    "qa_declined_total",
    "Questions declined, by why: not_in_article (on the article's subject, related passages offered) or off_topic.",
    ["reason"],
)
# How many questions each run of the model encoded (index/batching.py): 1 when requests come one at a
# time; under load, how much batching is saving.
ENCODE_BATCH = Histogram(
    "qa_encode_batch_questions", "Questions encoded together in one run of the model.", buckets=(1, 2, 4, 8, 16)
)
INDEX_PASSAGES = Gauge(
    "qa_index_passages", "Passages in the loaded index (0 when the index is not ready).", multiprocess_mode="livemax"
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged as a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id and any ``extra`` fields."""

    converter = staticmethod(time.gmtime)  # UTC; a plain function here would be typed as a method of the formatter

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is None and has_request_context():
            request_id = g.get("request_id")
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)  # in the log only, never in a response
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(config) -> None:
    """Log to stderr as JSON (or plain text with LOG_FORMAT=text), once per process."""
    root = logging.getLogger()
    root.setLevel(str(config.get("LOG_LEVEL", "INFO")).upper())
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # two lines per revision check (qa/db.py)
    if any(getattr(h, "_qa_handler", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    if str(config.get("LOG_FORMAT", "json")).lower() == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    handler._qa_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)


# A metric's series for given labels is always the same object: found once, not per request, since
# ``labels`` checks its arguments and takes a lock each time (three calls, 7 µs of a request).
# Bounded, as a client chooses the method it sends.
@functools.lru_cache(maxsize=1024)
def _request_series(route: str, method: str, status: str) -> tuple[Counter, Histogram]:
    """The request counter's and the latency histogram's series for a route, method and status."""
    return REQUESTS.labels(route=route, method=method, status=status), LATENCY.labels(route=route, method=method)


@functools.cache
def _answer_series(answerable: bool) -> Counter:
    return ANSWERS.labels(answerable=str(answerable).lower())


@functools.cache
def _declined_series(reason: str) -> Counter:
    return DECLINED.labels(reason=reason)


def record_answer(answer: Answer) -> None:
    """Count an answer (call wherever a question is answered: API, page, Slack)."""
    _answer_series(answer.answerable).inc()
    if answer.declined:
        _declined_series(answer.declined).inc()


def question_fields(question: str) -> dict:
    """What a log line may say about a question: its length, and its text only with LOG_QUESTIONS."""
    fields: dict = {"question_chars": len(question)}
    if current_app.config.get("LOG_QUESTIONS") is True:
        fields["question"] = question
    return fields


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def init_observability(app: Flask) -> None:
    """Request ids, the per-request log line and metrics; register before the other before_request hooks."""
    state = app.extensions.get("qa")
    answerer = getattr(state, "answerer", None)
    INDEX_PASSAGES.set(answerer.retriever.index.manifest["passages"] if answerer is not None else 0)
    encoder = getattr(getattr(answerer, "retriever", None), "encoder", None)
    if isinstance(encoder, BatchingEncoder):
        encoder.on_run = ENCODE_BATCH.observe

    @app.before_request
    def start_request() -> None:
        g.started = time.perf_counter()
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex

    @app.after_request
    def finish_request(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        requests, latency = _request_series(route, request.method, str(response.status_code))
        requests.inc()
        latency.observe(elapsed)
        if log.isEnabledFor(logging.INFO):  # the record's fields are built only when it is written
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "ms": round(elapsed * 1000, 2),
                },
            )
        return response

    def metrics() -> Response:
        return Response(generate_latest(_registry()), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
