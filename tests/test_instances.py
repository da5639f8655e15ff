"""Many instances, one service: two gunicorns on two ports sharing one Milvus, one PostgreSQL and one Redis.

Everything an instance keeps for itself would split the service in two behind a load balancer:
the index (Milvus Lite in server mode, as a Milvus cluster would serve it), the ratings and
Slack's seen events (PostgreSQL), the per-client counts (Redis). Each test sends its requests to
both instances and checks they behave as one. The engines are real, started here on free
loopback ports and stopped here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from bench.gunicorn import ROOT
from bench.milvus import MilvusLiteServer
from qa.db import upgrade
from tests.conftest import Server, wait_ready
from tests.service.slack.test_slack import BOT_USER, PUBLIC_URL, QUIET, SECRET, TOKEN, FakeSlack, send_event

pytestmark = pytest.mark.slow

ADDED = """The Lantern Street Ferry Returns

LIEGE, Belgium — The Lantern Street ferry crossed the Meuse again on Monday after eleven years in dry dock, \
carrying forty-two passengers and a brass band.

The city paid 1.3 million euros to restore the boat, a 1931 steam ferry that carried workers to the steel mills.

The captain of the Lantern Street ferry, Odile Marchetti, said the crossing took nine minutes.
"""


class Instance(Server):
    """One instance of the service; ``env`` is its settings, for the commands an operator runs beside it."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(env)
        self.env = env


@pytest.fixture(scope="module")
def milvus(tmp_path_factory):
    srv = MilvusLiteServer(tmp_path_factory.mktemp("milvus"))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def engine_env(milvus, corpus_dir, tmp_path_factory) -> dict[str, str]:
    """The settings that put the index in ``milvus``, built there by the CLI as an operator would."""
    corpus = tmp_path_factory.mktemp("corpus")
    for document in Path(corpus_dir).glob("*.txt"):
        (corpus / document.name).write_bytes(document.read_bytes())
    env = {
        "QA_VECTOR_STORE": "milvus",
        "QA_MILVUS_URI": milvus.uri,
        "QA_CORPUS_DIR": str(corpus),
        "QA_INDEX_DIR": str(tmp_path_factory.mktemp("index")),
    }
    cli(env, "index", "build")
    return env


@pytest.fixture(scope="module")
def pair(engine_env, postgres, redis_server, fake_slack, tmp_path_factory):
    """Two instances of two workers each, on their own ports, configured alike, as behind a load balancer."""
    database = postgres.new_database()
    upgrade(database)
    unused = tmp_path_factory.mktemp("unused")
    env = {
        **engine_env,
        "QA_DATABASE_URL": database,
        "QA_FEEDBACK_DB": str(unused / "feedback.sqlite3"),
        "QA_RATELIMIT_STORAGE_URI": redis_server.uri,
        "QA_RATELIMIT_KEY_PREFIX": f"instances-{uuid.uuid4().hex}",
        "QA_RATELIMIT_ASK": "5 per minute",  # per reader: each test reads as its own address (X-Forwarded-For)
        "QA_TRUSTED_PROXIES": "1",
        "QA_PUBLIC_URL": PUBLIC_URL,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": fake_slack.url + "/api/",
    }
    servers = [Instance(env), Instance(env)]
    try:
        for server in servers:
            wait_ready(server.url + "/readyz")
        yield servers
    finally:
        logs = [server.stop() for server in servers]
        for log in logs:
            assert "Traceback" not in log, log
        assert not any(unused.iterdir())  # nothing fell back to an instance's own files


def cli(env: dict[str, str], *args: str) -> str:
    """``python -m ARGS`` with the instances' settings, as an operator runs it; its output."""
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def call(server: Instance, path: str, body: dict | None = None, reader: str = "192.0.2.1") -> tuple[int, dict]:
    """GET or POST JSON to ``path`` as the reader at address ``reader`` (the load balancer says so)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "X-Forwarded-For": reader}
    try:
        with urllib.request.urlopen(urllib.request.Request(server.url + path, data, headers), timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def answer_of(body: dict) -> tuple:
    """What a reader sees of an answer: its text and its cited passages."""
    return body["answer"], [(p["id"], p["score"]) for p in body["passages"]]


def test_either_instance_gives_the_same_answer(pair):
    first, second = pair
    for n, question in enumerate(["Who is El Bali?", "How many people died in the raid?", "What is Molenbeek?"]):
        reader = f"192.0.2.{10 + n}"
        one, other = (call(server, "/api/ask", {"question": question}, reader) for server in pair)
        assert one[0] == other[0] == 200
        assert answer_of(one[1]) == answer_of(other[1])
    assert call(first, "/readyz")[1]["corpus_version"] == call(second, "/readyz")[1]["corpus_version"]


def test_a_rating_stored_through_one_is_exported_through_the_other(pair, engine_env):
    first, second = pair
    comment = f"rated through the first instance {uuid.uuid4().hex}"
    rating = {"rating": "up", "question": "Who is El Bali?", "answer": "A suspect. [1]", "comment": comment}
    status, body = call(first, "/api/feedback", rating, reader="192.0.2.20")
    assert status == 201, body
    exported = [json.loads(line) for line in cli(second.env, "qa.feedback", "export").splitlines()]
    assert [row["id"] for row in exported if row["comment"] == comment] == [body["id"]]


def test_a_slack_redelivery_reaching_the_other_instance_is_dropped(pair, fake_slack):
    channel = f"C{uuid.uuid4().hex[:8]}"
    event = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> Where is Verviers?"}
    event = {**event, "channel": channel, "ts": "1700000400.000100"}
    event_id = f"Ev{uuid.uuid4().hex}"
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert send_event(pair[0], event, event_id=event_id)[0] == 200
    assert send_event(pair[1], event, event_id=event_id, extra_headers=retry)[0] == 200
    fake_slack.wait_for("/api/chat.postMessage", channel=channel)
    time.sleep(QUIET)
    assert len(fake_slack.find("/api/chat.postMessage", channel=channel)) == 1


def test_the_per_client_rate_limit_is_counted_once_for_both(pair):
    statuses = [
        call(server, "/api/ask", {"question": "Where is Verviers?"}, reader="192.0.2.30")[0]
        for server in pair * 3  # first, second, first, second, first, second
    ]
    assert statuses == [200, 200, 200, 200, 200, 429]
    # Another reader behind the same load balancer still has the whole budget.
    assert call(pair[1], "/api/ask", {"question": "Where is Verviers?"}, reader="192.0.2.31")[0] == 200


def test_a_document_added_through_the_cli_is_answered_by_both(pair, engine_env, tmp_path):
    before = [call(server, "/readyz")[1]["corpus_version"] for server in pair]
    article = tmp_path / "lantern-ferry.txt"
    article.write_text(ADDED, encoding="utf-8")
    cli(engine_env, "index", "add", str(article))
    question = {"question": "Who is the captain of the Lantern Street ferry?"}
    for n, server in enumerate(pair):
        deadline = time.monotonic() + 30
        while call(server, "/readyz")[1]["corpus_version"] == before[n]:
            assert time.monotonic() < deadline, "the instance still serves the corpus it had"
            time.sleep(0.5)
        status, body = call(server, "/api/ask", question, reader=f"192.0.2.{40 + n}")
        assert status == 200 and body["answerable"], body
        assert body["passages"][0]["document"] == "lantern-ferry"
        assert "Odile Marchetti" in body["answer"]
