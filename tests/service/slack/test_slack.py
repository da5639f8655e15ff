"""The Slack bot end to end: requests signed as Slack signs them, sent over HTTP to a real gunicorn
(2 workers), which answers through a small fake of Slack's Web API that records every call.

Answers arrive after the acknowledgement, so each test polls the fake's records with a bounded wait.
Bad input is checked against the same server and its log; an outage of the Web API against a
second server whose Web API address answers nothing until a test starts the fake there.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.gunicorn import free_port
from qa.feedback import FeedbackStore
from tests.conftest import Server, wait_ready

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-1-test-token"
BOT_USER, BOT_ID = "UQABOT", "BQABOT"
PUBLIC_URL = "https://qa.example.test"
WAIT = 30.0  # seconds an answer may take to arrive (first one loads nothing: the index is warm)
QUIET = 2.5  # seconds to watch for a call that must not happen

pytestmark = pytest.mark.slow
_ids = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid()}x{next(_ids)}"


class FakeSlack:
    """Slack's Web API (and response_url endpoints) on loopback: records each call, answers ok."""

    def __init__(self, port: int = 0) -> None:
        self.calls: list[dict] = []
        self.threads: dict[tuple[object, object], list[dict]] = {}  # (channel, thread ts) -> conversations.replies
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.handle_call()

            def do_POST(self):
                self.handle_call()

            def handle_call(self):
                url = urllib.parse.urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[-1] for k, v in urllib.parse.parse_qs(raw).items()}
                body.update({k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()})
                with fake.lock:
                    fake.calls.append({"path": url.path, "body": body})
                reply = fake.answer(url.path, body)
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str, body: dict) -> dict:
        if path == "/api/auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": "T1", "user": "qa", "team": "Team"}
        if path == "/api/conversations.replies":
            return {"ok": True, "messages": self.threads.get((body.get("channel"), body.get("ts")), [])}
        if path == "/api/chat.postMessage":
            return {"ok": True, "channel": body.get("channel"), "ts": f"{time.time():.6f}"}
        return {"ok": True}

    def find(self, path: str, **match) -> list[dict]:
        with self.lock:
            calls = list(self.calls)
        return [c for c in calls if c["path"] == path and all(c["body"].get(k) == v for k, v in match.items())]

    def wait_for(self, path: str, count: int = 1, **match) -> list[dict]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            found = self.find(path, **match)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no {path} call matching {match} within {WAIT} s; calls: {self.calls}")

    def involving(self, value: str) -> list[dict]:
        with self.lock:
            return [c for c in self.calls if value in json.dumps(c)]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def feedback_db(tmp_path_factory):
    return tmp_path_factory.mktemp("slack-feedback") / "feedback.sqlite3"


@pytest.fixture(scope="module")
def slack_server(fake_slack, feedback_db, index_dir, corpus_dir):
    srv = Server(
        {
            "QA_INDEX_DIR": str(index_dir),
            "QA_CORPUS_DIR": str(corpus_dir),
            "QA_FEEDBACK_DB": str(feedback_db),
            "QA_PUBLIC_URL": PUBLIC_URL,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake_slack.url + "/api/",
        }
    )
    try:
        wait_ready(srv.url + "/readyz")
        yield srv
    finally:
        log = srv.stop()
        assert "Traceback" not in log, log
        assert log.count("Slack bot mounted at /slack/events") == 2  # once per worker
        assert "will be unused" not in log  # Bolt's noise about the token in the environment is filtered


def signed_headers(body: str, timestamp: int | str | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the signing secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def post(url: str, body: str, content_type: str, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(
        url + "/slack/events", data=body.encode(), method="POST", headers={"Content-Type": content_type, **headers}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def send_event(server, event: dict, event_id: str | None = None, extra_headers=None, **sign) -> tuple[int, str]:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or unique("Ev"),
            "event_time": int(time.time()),
            "event": {"event_ts": event["ts"], **event},
        }
    )
    return post(server.url, body, "application/json", {**signed_headers(body, **sign), **(extra_headers or {})})


def send_form(server, fields: dict) -> tuple[int, str]:
    body = urllib.parse.urlencode(fields)
    return post(server.url, body, "application/x-www-form-urlencoded", signed_headers(body))


def slash_command(server, fake, text: str) -> tuple[int, str, str]:
    """Send ``/ask text``; return the status, the immediate reply and the path of its response_url."""
    path = "/response/" + unique("cmd")
    status, body = send_form(
        server,
        {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "command": "/ask",
            "text": text,
            "response_url": fake.url + path,
            "trigger_id": unique("trig"),
        },
    )
    return status, body, path


def ask_api(server, question: str, history: list[dict] | None = None) -> dict:
    data = json.dumps({"question": question, "history": history or []}).encode()
    req = urllib.request.Request(server.url + "/api/ask", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def context_texts(blocks: list[dict]) -> list[str]:
    return [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]


def as_list(blocks) -> list[dict]:
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def server_log(server) -> str:
    """What the running server has logged so far."""
    return Path(server.log.name).read_text(errors="replace")


def error_lines(log: str) -> list[str]:
    """Lines logged as errors: the app's JSON lines at ERROR, gunicorn's own, tracebacks."""
    return [line for line in log.splitlines() if '"level": "ERROR"' in line or "[ERROR]" in line or "Traceback" in line]


# ---------------------------------------------------------------- the slash command


def test_slash_command_answers_with_cited_passages(slack_server, fake_slack):
    question = "How did El Bali try to escape?"
    status, immediate, path = slash_command(slack_server, fake_slack, question)
    assert status == 200 and immediate == ""  # acknowledged at once, the answer follows
    (call,) = fake_slack.wait_for(path)
    reply = call["body"]
    assert reply["response_type"] == "ephemeral"
    expected = ask_api(slack_server, question)
    assert expected["answerable"] is True
    blocks = as_list(reply["blocks"])
    assert blocks[0] == {"type": "section", "text": {"type": "mrkdwn", "text": expected["answer"]}}
    lines = context_texts(blocks)
    assert len(lines) == len(expected["passages"]) >= 1
    for line, passage in zip(lines, expected["passages"], strict=True):
        doc, par = passage["document"], passage["paragraph"]
        link = f"<{PUBLIC_URL}/articles/{doc}#p{par}|{doc}, paragraph {par}>"
        assert line.startswith(f"*[{passage['rank']}]* {link} ")
        sentence = passage["text"][passage["highlight"]["start"] : passage["highlight"]["end"]].strip()
        assert f"*{sentence}*" in line
    assert "jumped out of a window" in lines[0]
    actions = blocks[-1]
    assert [e["action_id"] for e in actions["elements"]] == ["qa_feedback_up", "qa_feedback_down"]
    assert reply["text"] == expected["answer"]


def test_slash_command_without_text_gets_usage_help(slack_server, fake_slack):
    status, immediate, path = slash_command(slack_server, fake_slack, "   ")
    assert status == 200
    assert immediate.startswith("Ask me about BuzzFeed News' article")  # Slack shows a plain-text ack to the user
    assert "`/ask How did El Bali try to escape?`" in immediate
    time.sleep(QUIET)
    assert fake_slack.find(path) == []


def test_slash_command_whose_text_says_payload_is_answered(slack_server, fake_slack):
    # Bolt's own reader took any form with "payload" in its text for a button click, and found it empty.
    status, immediate, path = slash_command(slack_server, fake_slack, "What was the payload of the raid?")
    assert status == 200 and immediate == ""
    (call,) = fake_slack.wait_for(path)
    assert as_list(call["body"]["blocks"])[0]["type"] == "section"


def test_feedback_button_is_stored_with_the_answer(slack_server, fake_slack, feedback_db):
    question = "How many people were killed in the raid?"
    _, _, path = slash_command(slack_server, fake_slack, question)
    (call,) = fake_slack.wait_for(path)
    blocks = as_list(call["body"]["blocks"])
    down = blocks[-1]["elements"][1]
    passage_ids = json.loads(down["value"])["p"]
    click_path = "/response/" + unique("click")
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "team"},
        "user": {"id": "U1", "username": "reader", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1", "is_ephemeral": True},
        "trigger_id": unique("trig"),
        "channel": {"id": "C1", "name": "general"},
        "response_url": fake_slack.url + click_path,
        "actions": [{**down, "block_id": "qa_feedback", "action_ts": f"{time.time():.6f}"}],
    }
    status, _ = send_form(slack_server, {"payload": json.dumps(payload)})
    assert status == 200
    (confirmation,) = fake_slack.wait_for(click_path)
    assert "👎" in confirmation["body"]["text"] and confirmation["body"]["replace_original"] is False
    rows = [r for r in FeedbackStore(feedback_db).all() if r["question"] == question]
    assert len(rows) == 1
    row = rows[0]
    assert (row["rating"], row["source"], row["answer"]) == ("down", "slack", call["body"]["text"])
    assert row["passage_ids"] == passage_ids and len(passage_ids) >= 1


# ---------------------------------------------------------------- mentions and direct messages


def test_mention_is_answered_in_its_thread(slack_server, fake_slack):
    channel, ts = unique("C"), "1700000100.000100"
    event = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> How did El Bali try to escape?"}
    status, _ = send_event(slack_server, {**event, "channel": channel, "ts": ts})
    assert status == 200
    (call,) = fake_slack.wait_for("/api/chat.postMessage", channel=channel)
    assert call["body"]["thread_ts"] == ts
    assert "jumped out of a window" in context_texts(as_list(call["body"]["blocks"]))[0]
    assert fake_slack.find("/api/conversations.replies", channel=channel) == []  # a new thread has no history


def test_follow_up_mention_uses_the_thread_as_history(slack_server, fake_slack):
    channel, parent, follow_up = unique("C"), "1700000200.000100", "1700000200.000300"
    first_answer = ask_api(slack_server, "Who is Marouane El Bali?")["answer"]
    fake_slack.threads[(channel, parent)] = [
        {"type": "message", "user": "U1", "text": f"<@{BOT_USER}> Who is Marouane El Bali?", "ts": parent},
        {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": first_answer, "ts": "1700000200.000200"},
        {"type": "message", "user": "U1", "text": f"<@{BOT_USER}> How did he try to escape?", "ts": follow_up},
    ]
    # Alone, the follow-up does not find the escape: the thread's history is what makes it answerable.
    alone = ask_api(slack_server, "How did he try to escape?")
    assert not any("jumped out of a window" in p["text"] for p in alone["passages"][:1])
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> How did he try to escape?",
        "channel": channel,
        "ts": follow_up,
        "thread_ts": parent,
    }
    assert send_event(slack_server, event)[0] == 200
    (call,) = fake_slack.wait_for("/api/chat.postMessage", channel=channel)
    assert call["body"]["thread_ts"] == parent
    assert fake_slack.find("/api/conversations.replies", channel=channel, ts=parent)
    lines = context_texts(as_list(call["body"]["blocks"]))
    assert "jumped out of a window" in lines[0]
    history = [
        {"role": "user", "content": "Who is Marouane El Bali?"},
        {"role": "assistant", "content": first_answer},
    ]
    assert call["body"]["text"] == ask_api(slack_server, "How did he try to escape?", history)["answer"]


def test_direct_message_is_answered(slack_server, fake_slack):
    channel, ts = unique("D"), "1700000300.000100"
    event = {"type": "message", "channel_type": "im", "user": "U1", "text": "How did El Bali try to escape?"}
    assert send_event(slack_server, {**event, "channel": channel, "ts": ts})[0] == 200
    (call,) = fake_slack.wait_for("/api/chat.postMessage", channel=channel)
    assert call["body"]["thread_ts"] == ts
    assert "jumped out of a window" in context_texts(as_list(call["body"]["blocks"]))[0]


def test_question_outside_the_article_says_so_plainly(slack_server, fake_slack):
    channel, ts = unique("D"), "1700000350.000100"
    event = {"type": "message", "channel_type": "im", "user": "U1", "text": "What is the boiling point of mercury?"}
    assert send_event(slack_server, {**event, "channel": channel, "ts": ts})[0] == 200
    (call,) = fake_slack.wait_for("/api/chat.postMessage", channel=channel)
    blocks = as_list(call["body"]["blocks"])
    assert call["body"]["text"].startswith("The article doesn't say.")
    assert context_texts(blocks) == [] and blocks[-1]["type"] == "actions"


def test_redelivered_event_is_answered_once(slack_server, fake_slack):
    channel, ts, event_id = unique("C"), "1700000400.000100", unique("EvRetry")
    event = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> Where is Verviers?"}
    event = {**event, "channel": channel, "ts": ts}
    assert send_event(slack_server, event, event_id=event_id)[0] == 200
    # Slack's redeliveries: same event_id, numbered; each may reach either worker process.
    for n in (1, 2, 3):
        headers = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
        assert send_event(slack_server, event, event_id=event_id, extra_headers=headers)[0] == 200
    fake_slack.wait_for("/api/chat.postMessage", channel=channel)
    time.sleep(QUIET)
    assert len(fake_slack.find("/api/chat.postMessage", channel=channel)) == 1


def test_own_and_other_bot_messages_are_ignored(slack_server, fake_slack):
    channel = unique("D")
    base = {"type": "message", "channel_type": "im", "channel": channel, "text": "How did El Bali try to escape?"}
    own = {**base, "user": BOT_USER, "bot_id": BOT_ID, "ts": "1700000500.000100"}
    other = {**base, "bot_id": "BOTHER", "subtype": "bot_message", "ts": "1700000500.000200"}
    assert send_event(slack_server, own)[0] == 200
    assert send_event(slack_server, other)[0] == 200
    time.sleep(QUIET)
    assert fake_slack.involving(channel) == []


def test_the_bots_ids_are_asked_of_slack_once_per_worker(slack_server, fake_slack):
    for n in range(4):
        channel = unique("D")
        event = {"type": "message", "channel_type": "im", "user": "U1", "text": "Where is Verviers?"}
        assert send_event(slack_server, {**event, "channel": channel, "ts": f"1700000550.00010{n}"})[0] == 200
        fake_slack.wait_for("/api/chat.postMessage", channel=channel)
    assert 1 <= len(fake_slack.find("/api/auth.test")) <= 2  # 2 workers; never again once known


# ---------------------------------------------------------------- request verification


@pytest.mark.parametrize(
    "sign",
    [
        pytest.param({"secret": "not-the-signing-secret"}, id="bad-signature"),
        pytest.param({"timestamp": int(time.time()) - 6 * 60}, id="stale-timestamp"),
    ],
)
def test_unverified_requests_are_refused_and_nothing_is_posted(slack_server, fake_slack, sign):
    channel = unique("C")
    event = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> Where is Verviers?", "channel": channel}
    status, _ = send_event(slack_server, {**event, "ts": "1700000600.000100"}, **sign)
    assert status == 401
    time.sleep(QUIET)
    assert fake_slack.involving(channel) == []


def test_url_verification_is_answered_with_its_challenge(slack_server):
    body = json.dumps({"token": "legacy", "challenge": "challenge-123", "type": "url_verification"})
    status, text = post(slack_server.url, body, "application/json", signed_headers(body))
    assert status == 200 and json.loads(text) == {"challenge": "challenge-123"}


# ---------------------------------------------------------------- bad input: a 4xx, never logged as an error

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
EVENT = json.dumps(
    {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": "EvBadInput",
        "event": {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> Where?", "channel": "C1", "ts": "1.1"},
    }
)


def signed(**sign) -> Callable[[str], dict[str, str]]:
    return lambda body: signed_headers(body, **sign)


def unsigned(timestamp: str | None = None) -> Callable[[str], dict[str, str]]:
    """A well-formed signature that is not Slack's, with ``timestamp`` (now when None)."""
    return lambda body: {
        "X-Slack-Request-Timestamp": str(int(time.time())) if timestamp is None else timestamp,
        "X-Slack-Signature": "v0=" + "0" * 64,
    }


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "status"),
    [
        pytest.param(EVENT, JSON, signed(timestamp="12ab"), 401, id="timestamp-not-a-number"),
        pytest.param(EVENT, JSON, unsigned("12ab"), 401, id="timestamp-not-a-number-unsigned"),
        pytest.param(EVENT, JSON, signed(timestamp="1764446000.5"), 401, id="timestamp-with-a-fraction"),
        pytest.param(
            EVENT,
            JSON,
            lambda body: signed_headers(body, timestamp=f"{time.time():.1f}"),
            401,
            id="timestamp-now-with-a-fraction",
        ),
        pytest.param(EVENT, JSON, signed(timestamp=""), 401, id="timestamp-empty"),
        pytest.param(
            EVENT,
            JSON,
            lambda body: {**signed_headers(body), "X-Slack-Signature": "v0=é"},
            401,
            id="signature-not-ascii",
        ),
        pytest.param("{not json", JSON, signed(), 400, id="body-not-json"),
        pytest.param("{not json", JSON, unsigned(), 401, id="body-not-json-unsigned"),
        pytest.param("[]", JSON, signed(), 400, id="body-not-an-object"),
        pytest.param("[" * 50_000, JSON, signed(), 400, id="body-nested-too-deep"),
        pytest.param("payload=%7Bnot+json", FORM, signed(), 400, id="payload-not-json"),
        pytest.param("payload=%7Bnot+json", FORM, unsigned(), 401, id="payload-not-json-unsigned"),
        pytest.param("payload=%22text%22", FORM, signed(), 400, id="payload-not-an-object"),
    ],
)
def test_bad_input_is_refused_with_a_4xx_and_no_error_logged(slack_server, body, content_type, headers, status):
    logged_before = len(server_log(slack_server))
    got, text = post(slack_server.url, body, content_type, headers(body))
    assert got == status
    assert json.loads(text)["error"]["code"] == {401: "invalid_signature", 400: "invalid_body"}[status]
    logged = server_log(slack_server)[logged_before:]
    assert f'"route": "/slack/events", "status": {status}' in logged
    assert error_lines(logged) == []


# ---------------------------------------------------------------- without Slack settings


def test_without_slack_settings_the_route_is_absent_and_the_api_works(server):
    assert not os.environ.get("SLACK_SIGNING_SECRET") and not os.environ.get("SLACK_BOT_TOKEN")
    body = json.dumps({"type": "url_verification", "challenge": "x"})
    status, text = post(server.url, body, "application/json", signed_headers(body))
    assert status == 404 and json.loads(text)["error"]["code"] == "not_found"
    assert ask_api(server, "How did El Bali try to escape?")["answerable"] is True


# ---------------------------------------------------------------- failures get an apology, not silence


@pytest.fixture(scope="module")
def unready_app(fake_slack, corpus_dir, tmp_path_factory):
    """The app in-process with no index (answerer None), answering slash commands in the channel."""
    from service import create_app

    tmp = tmp_path_factory.mktemp("slack-unready")
    return create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(tmp / "missing-index"),
            "CORPUS_DIR": str(corpus_dir),
            "FEEDBACK_DB": str(tmp / "feedback.sqlite3"),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake_slack.url + "/api/",
            "SLACK_ANSWER_IN_CHANNEL": True,
        }
    )


def test_when_the_index_is_not_ready_the_user_gets_an_apology(unready_app, fake_slack):
    assert unready_app.extensions["qa"].answerer is None
    client = unready_app.test_client()
    channel, ts = unique("C"), "1700000700.000100"
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "event_id": unique("Ev"),
            "event": {
                "type": "app_mention",
                "user": "U1",
                "text": f"<@{BOT_USER}> Where?",
                "channel": channel,
                "ts": ts,
            },
        }
    )
    response = client.post("/slack/events", data=body, content_type="application/json", headers=signed_headers(body))
    assert response.status_code == 200
    (call,) = fake_slack.wait_for("/api/chat.postMessage", channel=channel)
    assert call["body"]["thread_ts"] == ts
    assert call["body"]["text"].startswith("Sorry, I can't answer right now") and "blocks" not in call["body"]

    path = "/response/" + unique("cmd")
    form = urllib.parse.urlencode(
        {"command": "/ask", "text": "Where is Verviers?", "team_id": "T1", "response_url": fake_slack.url + path}
    )
    response = client.post(
        "/slack/events", data=form, content_type="application/x-www-form-urlencoded", headers=signed_headers(form)
    )
    assert response.status_code == 200
    (reply,) = fake_slack.wait_for(path)
    assert reply["body"]["response_type"] == "in_channel"  # QA_SLACK_ANSWER_IN_CHANNEL
    assert reply["body"]["text"].startswith("Sorry, I can't answer right now")


def test_without_slack_secrets_the_log_says_so_once(retriever, index_dir, corpus_dir, caplog):
    from service import create_app

    config = {"TESTING": True, "INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus_dir)}
    with caplog.at_level("INFO", logger="service.slack"):
        app = create_app({**config, "SLACK_SIGNING_SECRET": "", "SLACK_BOT_TOKEN": ""}, retriever=retriever)
    notes = [r.getMessage() for r in caplog.records if r.name == "service.slack"]
    assert notes == ["Slack bot not mounted: SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN not set"]
    assert "slack" not in app.extensions
    assert all(rule.rule != "/slack/events" for rule in app.url_map.iter_rules())


# ---------------------------------------------------------------- while Slack's Web API is unreachable


@pytest.fixture(scope="module")
def offline_api_port() -> int:
    """A loopback port where nothing listens, until a test starts Slack's fake there."""
    return free_port()


@pytest.fixture(scope="module")
def offline_server(offline_api_port, index_dir, corpus_dir, tmp_path_factory):
    srv = Server(
        {
            "QA_INDEX_DIR": str(index_dir),
            "QA_CORPUS_DIR": str(corpus_dir),
            "QA_FEEDBACK_DB": str(tmp_path_factory.mktemp("slack-offline") / "feedback.sqlite3"),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": f"http://127.0.0.1:{offline_api_port}/api/",
        },
        workers=1,
    )
    try:
        wait_ready(srv.url + "/readyz")
        yield srv
    finally:
        log = srv.stop()
        assert "Traceback" not in log, log


def test_while_the_web_api_is_unreachable_events_are_acknowledged_at_once(offline_server):
    logged_before = len(server_log(offline_server))
    channels = [unique("C"), unique("D")]
    mention = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> Where is Verviers?"}
    direct = {"type": "message", "channel_type": "im", "user": "U1", "text": "Where is Verviers?"}
    for channel, event in zip(channels, (mention, direct), strict=True):
        started = time.monotonic()
        status, _ = send_event(offline_server, {**event, "channel": channel, "ts": "1700000900.000100"})
        assert status == 200
        assert time.monotonic() - started < 0.5  # auth.test is not asked before the acknowledgement
    deadline = time.monotonic() + WAIT
    while len(error_lines(server_log(offline_server)[logged_before:])) < len(channels):
        assert time.monotonic() < deadline, server_log(offline_server)[logged_before:]
        time.sleep(0.1)
    time.sleep(QUIET)
    errors = error_lines(server_log(offline_server)[logged_before:])
    assert len(errors) == len(channels)  # the failed reply, once per event, and nothing else
    for channel, line in zip(channels, errors, strict=True):
        assert f"slack: the answer in {channel} was not sent" in json.loads(line)["message"]


def test_once_the_web_api_is_back_events_are_answered(offline_server, offline_api_port):
    fake = FakeSlack(port=offline_api_port)
    try:
        for n in range(2):
            channel = unique("C")
            event = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> How did El Bali try to escape?"}
            assert send_event(offline_server, {**event, "channel": channel, "ts": f"1700001000.00010{n}"})[0] == 200
            (call,) = fake.wait_for("/api/chat.postMessage", channel=channel)
            assert "jumped out of a window" in context_texts(as_list(call["body"]["blocks"]))[0]
        assert len(fake.find("/api/auth.test")) == 1  # asked until it once succeeds, then never again
    finally:
        fake.stop()
