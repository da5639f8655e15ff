"""gunicorn settings for the Q&A service (``gunicorn -c gunicorn.conf.py wsgi:app``).

Each choice is explained; the figures behind them are in docs/performance.md.
"""

import os

# Loopback by default: put a reverse proxy in front to expose it. PORT as `make run PORT=...`.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"

# 2 cores: one sync worker per core. A question is CPU-bound (embedding), so threads or async
# workers add no throughput, and more workers than cores only contend for them.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"

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

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
