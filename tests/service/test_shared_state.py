"""Ratings and Slack's seen events on PostgreSQL (QA_DATABASE_URL), end to end: a real gunicorn (2 workers)
on a real PostgreSQL cluster of its own, which the tests stop, start and strip of its tables.

A database that is down or not migrated costs the ratings (503, said to the user on every surface)
and nothing else: questions are still answered, on the API, the page and Slack.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from bench.gunicorn import ROOT
from qa.db import Database, alembic_config, slack_events, upgrade
from qa.feedback import FeedbackStore
from service.slack.blocks import feedback_value
from service.slack.text import FEEDBACK_FAILED, FEEDBACK_THANKS
from tests.conftest import PostgresServer, Server, wait_ready
from tests.service.slack.test_slack import BOT_USER, PUBLIC_URL, QUIET, SECRET, TOKEN, FakeSlack, send_event, send_form

pytestmark = pytest.mark.slow

QUESTION, ANSWER, PASSAGE_IDS = "Who is El Bali?", "A suspect. [1]", ["verviers-raid:6:1"]
RATING = {"rating": "up", "question": QUESTION, "answer": ANSWER, "passage_ids": PASSAGE_IDS}
UNREACHABLE = "Feedback could not be stored: the database cannot be reached just now."
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def cluster():
    """A PostgreSQL of this module's own, since its tests stop it."""
    srv = PostgresServer()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.stop()


class SharedStateServer(Server):
    """gunicorn keeping its ratings and Slack's seen events in the database at ``database_url``."""

    def __init__(self, env: dict[str, str], database_url: str) -> None:
        super().__init__({**env, "QA_DATABASE_URL": database_url})
        self.database_url = database_url


@pytest.fixture(scope="module")
def shared(cluster, fake_slack, index_dir, corpus_dir, tmp_path_factory):
    """gunicorn with QA_DATABASE_URL on ``cluster`` (migrated) and the Slack bot on the fake Slack."""
    url = cluster.new_database()
    upgrade(url)
    sqlite_file = tmp_path_factory.mktemp("unused") / "feedback.sqlite3"
    srv = SharedStateServer(
        {
            "QA_INDEX_DIR": str(index_dir),
            "QA_CORPUS_DIR": str(corpus_dir),
            "QA_FEEDBACK_DB": str(sqlite_file),
            "QA_PUBLIC_URL": PUBLIC_URL,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake_slack.url + "/api/",
        },
        url,
    )
    try:
        wait_ready(srv.url + "/readyz")
        yield srv
    finally:
        log = srv.stop()
        assert "Traceback" not in log, log
        assert not sqlite_file.exists() and not sqlite_file.with_name("slack_events.sqlite3").exists()


def call(url: str, data: bytes | None = None, content_type: str = "application/json") -> tuple[int, str]:
    """GET (or POST ``data``) ``url``; the status and the body, whatever the status."""
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def post_json(server, path: str, body: dict) -> tuple[int, dict]:
    status, text = call(server.url + path, json.dumps(body).encode())
    return status, json.loads(text)


def ready(server) -> dict:
    status, text = call(server.url + "/readyz")
    assert status == 200  # readiness is about answering, which needs no database
    return json.loads(text)


def ratings(server) -> list[dict]:
    return FeedbackStore(Database(server.database_url)).all()


@contextmanager
def database_down(cluster: PostgresServer) -> Iterator[None]:
    cluster.stop()
    try:
        yield
    finally:
        cluster.start()


class _Hidden(HTMLParser):
    """The chat page's hidden fields: the conversation the page carries."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.fields.append((attributes["name"] or "", attributes.get("value") or ""))


def rate_on_the_page(server, question: str) -> tuple[int, str]:
    """Ask on the chat page without JavaScript, then rate the answer 👍 with the page's form."""
    status, html = call(server.url + "/", urllib.parse.urlencode({"question": question}).encode(), FORM)
    assert status == 200
    page = _Hidden()
    page.feed(html)
    return call(server.url + "/feedback", urllib.parse.urlencode([*page.fields, ("rate", "0:up")]).encode(), FORM)


def click_feedback(server, fake: FakeSlack) -> str:
    """A 👍 click on a Slack answer; the text of the ephemeral reply it gets."""
    path = f"/response/click{time.monotonic_ns()}"
    value = feedback_value(QUESTION, ANSWER, PASSAGE_IDS)
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "team"},
        "user": {"id": "U1", "username": "reader", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1"},
        "trigger_id": f"trig{time.monotonic_ns()}",
        "channel": {"id": "C1", "name": "general"},
        "response_url": fake.url + path,
        "actions": [
            {
                "type": "button",
                "action_id": "qa_feedback_up",
                "block_id": "qa_feedback",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    status, _ = send_form(server, {"payload": json.dumps(payload)})
    assert status == 200
    (reply,) = fake.wait_for(path)
    return reply["body"]["text"]


def mention(server, fake: FakeSlack, event_id: str, retries: int = 0) -> list[dict]:
    """A mention of the bot, delivered once and redelivered ``retries`` times; the answers posted."""
    channel = f"C{event_id}"
    event = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> Where is Verviers?"}
    event = {**event, "channel": channel, "ts": "1700000400.000100"}
    for n in range(retries + 1):
        headers = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"} if n else {}
        assert send_event(server, event, event_id=event_id, extra_headers=headers)[0] == 200
    fake.wait_for("/api/chat.postMessage", channel=channel)
    time.sleep(QUIET)
    return fake.find("/api/chat.postMessage", channel=channel)


def test_ratings_from_every_surface_are_stored_in_postgresql(shared, fake_slack):
    ids = []
    for n in range(4):  # spread over both workers
        status, body = post_json(shared, "/api/feedback", {**RATING, "comment": f"api {n}"})
        assert status == 201, body
        ids.append(body["id"])
    status, _ = rate_on_the_page(shared, "How did El Bali try to escape?")
    assert status == 200
    assert click_feedback(shared, fake_slack) == FEEDBACK_THANKS["up"]
    rows = {row["id"]: row for row in ratings(shared)}
    assert [rows[i]["comment"] for i in ids] == ["api 0", "api 1", "api 2", "api 3"]
    assert {row["source"] for row in rows.values()} == {"api", "web", "slack"}
    assert ready(shared)["database"] == "ok"


def test_a_redelivered_slack_event_is_answered_once_across_workers(shared, fake_slack):
    event_id = f"EvShared{time.monotonic_ns()}"
    assert len(mention(shared, fake_slack, event_id, retries=3)) == 1
    engine = create_engine(shared.database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            taken = connection.execute(select(slack_events.c.event_id).where(slack_events.c.event_id == event_id))
            assert taken.scalars().all() == [event_id]
    finally:
        engine.dispose()


def test_with_the_database_down_ratings_get_503_and_questions_are_still_answered(shared, cluster, fake_slack):
    before = len(ratings(shared))
    with database_down(cluster):
        status, body = post_json(shared, "/api/feedback", RATING)
        assert (status, body) == (503, {"error": {"code": "feedback_unavailable", "message": UNREACHABLE}})
        status, answer = post_json(shared, "/api/ask", {"question": "How did El Bali try to escape?"})
        assert status == 200 and answer["answerable"]
        status, page = rate_on_the_page(shared, "How did El Bali try to escape?")
        assert status == 503 and "your rating could not be saved just now" in page
        assert click_feedback(shared, fake_slack) == FEEDBACK_FAILED
        # Slack's seen events cannot be checked either: the event is answered anyway (and logged).
        assert len(mention(shared, fake_slack, f"EvDown{time.monotonic_ns()}")) == 1
        health = ready(shared)
        assert (health["status"], health["database"]) == ("ready", "the database cannot be reached just now")
    # Back up: the pooled connections the restart broke are replaced, and no rating is refused.
    for _ in range(4):
        assert post_json(shared, "/api/feedback", RATING)[0] == 201
    assert len(ratings(shared)) == before + 4  # none of the refused ones, every one accepted since
    assert ready(shared)["database"] == "ok"
    log = Path(shared.log.name).read_text(errors="replace")
    assert "a rating (up, from api) was not stored: the database cannot be reached just now" in log
    assert "a rating (up, from web) was not stored" in log and "a rating (up, from slack) was not stored" in log


def test_without_its_tables_ratings_get_503_naming_the_upgrade_command(shared):
    engine = create_engine(shared.database_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
    finally:
        engine.dispose()
    status, body = post_json(shared, "/api/feedback", RATING)
    assert status == 503 and body["error"]["code"] == "feedback_unavailable"
    assert "python -m qa.db upgrade" in body["error"]["message"]
    assert "python -m qa.db upgrade" in ready(shared)["database"]
    assert post_json(shared, "/api/ask", {"question": "Where is Verviers?"})[0] == 200
    done = subprocess.run(
        [sys.executable, "-m", "qa.db", "upgrade", "--url", shared.database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    for _ in range(4):  # each worker takes the migrated tables without a restart
        assert post_json(shared, "/api/feedback", RATING)[0] == 201
    assert ready(shared)["database"] == "ok"
