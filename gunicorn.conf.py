"""gunicorn settings for the Q&A service (``gunicorn -c gunicorn.conf.py wsgi:app``).

Each choice is explained; the figures behind them are in docs/performance.md.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import gunicorn.http.wsgi

from gunicorn_worker import allowed_cores, free_core
from qa.settings import SettingError, load_settings, missing_model


def _cannot_start(reason: str) -> None:
    """One line on stderr and gunicorn's "app failed to load" status (4), which stops the master
    instead of having it restart workers that would fail the same way."""
    print(f"verviers-qa cannot start: {reason}", file=sys.stderr, flush=True)
    sys.exit(4)


# The service's settings, read as the app reads them: a value that cannot be read stops here.
try:
    _settings = load_settings()
except SettingError as _exc:
    _cannot_start(str(_exc))

# Loopback by default: put a reverse proxy in front to expose it. PORT as `make run PORT=...`.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"

# 2 cores: one worker per core (more workers than cores only contend for them). A question is
# CPU-bound (embedding), but a transformer encodes several questions at once for much less than each
# alone (2.2 ms a question in eights against 3.9 alone), so each worker serves WEB_THREADS requests at
# once and encodes the questions that arrive together in one run (index/batching.py, QA_ENCODE_BATCH).
# One request at a time costs what a sync worker's did; under load a worker answers more of them
# (docs/performance.md). The worker is gthread with two changes (gunicorn_worker.py): it accepts a
# connection only while it has a thread free, and closes, with its answer, a connection whose request
# had to wait; plain gthread lets the first worker to wake take every client that connects at once
# and keep-alive then holds them there while the other worker idles.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gunicorn_worker.BalancedThreadWorker"
threads = int(os.environ.get("WEB_THREADS", "8"))
# Under load each worker keeps to a core of its own (gunicorn_worker.py; c=16 p99 down by a fifth,
# docs/performance.md); WEB_PIN_CORES=0 leaves every thread to the scheduler.
_pin_cores = os.environ.get("WEB_PIN_CORES", "1")
if _pin_cores not in ("0", "1"):
    _cannot_start(f"WEB_PIN_CORES must be 0 or 1, not {_pin_cores!r}")

# An embedded Milvus Lite (QA_MILVUS_URI a .db path) is opened by one process only: with several
# workers all but one would answer 503 forever. Said at once, with the way out.
_milvus_uri = str(_settings["MILVUS_URI"])
if _settings["VECTOR_STORE"] == "milvus" and "://" not in _milvus_uri and workers > 1:
    _cannot_start(
        f"QA_MILVUS_URI={_milvus_uri} is an embedded Milvus Lite, which one process opens, not {workers} workers: "
        "run `milvus-lite server --data-dir DIR --port 19530` and set QA_MILVUS_URI=http://127.0.0.1:19530, "
        "or WEB_CONCURRENCY=1"
    )

# One thread per worker for the math libraries too. numpy's OpenBLAS otherwise starts a thread per
# core and spins it after each product; with 2 workers on 2 cores the spinning threads of one
# worker steal the core the other is answering on. Measured, one question at a time over HTTP:
# p50 24 ms with the default, 13 ms with one thread (docs/performance.md). Set before any
# worker imports numpy.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# The model and index are loaded in each worker after fork, not in the master: PyTorch (and
# ONNX Runtime) state created before fork is not safe to share, and a hung worker would outlive it.
preload_app = False

# Loading the model takes a few seconds; a request takes milliseconds. 30 s only catches a hang.
timeout = 30
# On SIGTERM, in-flight requests get this long to finish before workers are killed.
graceful_timeout = 20
keepalive = 5

# Bound request lines and headers (bodies are bounded by the app's MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 100

# gunicorn 27's control socket has one default path per user: several instances on one machine
# (tests, staging beside production) would fight over it, and nothing here uses it.
control_socket_disable = True

# The app logs one JSON line per request with its request id (service/observability.py), so
# gunicorn's own plain-text access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = str(_settings["LOG_LEVEL"]).lower()

# Responses name no server software or version: gunicorn sends "Server: gunicorn" and has no
# setting for it, so the name its responses use is replaced before any worker starts.
gunicorn.http.wsgi.SERVER = "verviers-qa"

# Prometheus metrics across workers: each worker writes its samples to files in this folder and
# /metrics (in any worker) adds them up. It must start empty, so a fresh one is made per start
# unless PROMETHEUS_MULTIPROC_DIR names one (then emptied). Set here, in the master, before any
# worker imports prometheus_client.
_made_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _made_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="qa-metrics-")


def on_starting(server):
    # A model folder that is not there can never serve: say so in one line and stop (exit 4)
    # before any worker starts (a worker finding it would end in tracebacks, one per worker).
    problem = missing_model(_settings["MODEL_DIR"]) if _settings["MODEL_DIR"] else None
    if problem:
        on_exit(server)
        _cannot_start(" ".join(problem))
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def pre_fork(server, worker):
    """The core the new worker keeps to under load: the one fewest live workers hold (gunicorn_worker.py)."""
    if _pin_cores == "1":
        worker.core = free_core(server.WORKERS.values(), allowed_cores(), server.num_workers)


def child_exit(server, worker):
    """A dead worker's live gauges leave /metrics; its counters stay in the totals."""
    # Not at the top: prometheus_client picks its multiprocess mode when first imported, so only after
    # PROMETHEUS_MULTIPROC_DIR is set above (workers, forked from this master, inherit the module).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
