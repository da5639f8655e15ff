"""The Slack bot's pure parts: text cutting, Block Kit building within Slack's limits, history from a thread."""

from __future__ import annotations

import json

import pytest
import yaml

from qa.links import paragraph_url
from qa.models import Answer, CitedPassage, Declined, Highlight
from service.slack.blocks import (
    BUTTON_VALUE_LIMIT,
    MAX_BLOCKS,
    RELATED_LABEL,
    SECTION_LIMIT,
    answer_blocks,
    citation_line,
    feedback_value,
    parse_feedback_value,
)
from service.slack.history import history_from_replies
from service.slack.text import APOLOGY, excerpt, plain_text, truncate, truncate_start
from tests.conftest import ROOT

BASE = "https://qa.example.test/"


def passage(rank=1, text="Before it. The answer is here. After it.", start=11, end=30) -> CitedPassage:
    return CitedPassage(
        id=f"verviers-raid:6:{rank}",
        rank=rank,
        document="verviers-raid",
        title="The Anti-Terror Raid",
        paragraph=6,
        start=0,
        end=len(text),
        text=text,
        score=1.0,
        highlight=Highlight(start=start, end=end),
    )


def answer(
    text: str,
    answerable: bool,
    passages: list[CitedPassage],
    declined: Declined | None = None,
    related: list[CitedPassage] | None = None,
) -> Answer:
    return Answer(
        answer=text,
        answerable=answerable,
        passages=passages,
        confidence=1.0,
        took_ms=1.0,
        declined=declined,
        related=related or [],
    )


def test_truncate_cuts_at_a_word_with_an_ellipsis():
    assert truncate("one two three four", 100) == "one two three four"
    assert truncate("one two three four", 12) == "one two…"
    assert truncate("one two, three", 9) == "one two…"  # no dangling comma
    assert truncate("abcdefghijkl", 6) == "abcde…"  # a single long word is cut inside
    assert truncate_start("one two three four", 12) == "…three four"


def test_excerpt_keeps_the_sentence_whole_and_cuts_context_at_words():
    words = " ".join(f"w{i}" for i in range(300))
    text = f"{words}. The escape was through a window. {words}."
    start = text.index("The escape")
    end = start + len("The escape was through a window.")
    before, sentence, after = excerpt(text, start, end, 200)
    assert sentence == "The escape was through a window."
    assert before.startswith("…") and after.endswith("…")
    assert len(before) + len(sentence) + len(after) + 2 <= 200
    assert before[1:].split()[0] in words.split() and after[:-1].split()[-1] in words.split()


def test_excerpt_of_a_sentence_longer_than_the_limit():
    text = "Intro. " + " ".join(["long"] * 400) + "."
    before, sentence, after = excerpt(text, 7, len(text), 100)
    assert before == "…" and after == "" and len(sentence) <= 99 and sentence.endswith("…")


def test_citation_line_links_the_paragraph_and_bolds_the_sentence():
    line = citation_line(passage(), BASE)
    url = "https://qa.example.test/articles/verviers-raid#p6"
    assert line == f"*[1]* <{url}|verviers-raid, paragraph 6> Before it. *The answer is here.* After it."
    assert paragraph_url(BASE, "a doc/x", 3) == "https://qa.example.test/articles/a%20doc%2Fx#p3"


def test_citation_line_escapes_slack_control_characters():
    text = "A <b> & c. Tom & Jerry ran. End."
    line = citation_line(passage(text=text, start=11, end=27), BASE)
    assert "A &lt;b&gt; &amp; c. *Tom &amp; Jerry ran.* End." in line
    assert "<b>" not in line


def test_long_passages_stay_within_the_section_limit():
    text = " ".join(["word"] * 3000) + " The sentence. " + " ".join(["&&&&"] * 1000)
    start = text.index("The sentence.")
    line = citation_line(passage(text=text, start=start, end=start + 13), BASE, limit=SECTION_LIMIT)
    assert len(line) <= SECTION_LIMIT
    assert "*The sentence.*" in line and "…" in line


def test_answer_blocks_answer_citations_and_feedback_buttons():
    result = answer("The answer is here. [1]", True, [passage(1), passage(2)])
    blocks = answer_blocks("Where is it?", result, BASE)
    assert [b["type"] for b in blocks] == ["section", "context", "context", "actions"]
    assert blocks[0]["text"] == {"type": "mrkdwn", "text": "The answer is here. [1]"}
    assert blocks[2]["elements"][0]["text"].startswith("*[2]* <https://qa.example.test/articles/verviers-raid#p6|")
    up, down = blocks[3]["elements"]
    assert (up["action_id"], down["action_id"]) == ("qa_feedback_up", "qa_feedback_down")
    assert parse_feedback_value(up["value"]) == (
        "Where is it?",
        "The answer is here. [1]",
        ["verviers-raid:6:1", "verviers-raid:6:2"],
    )


def test_answer_blocks_respect_the_block_limit():
    result = answer("x [1]", True, [passage(i) for i in range(1, 80)])
    blocks = answer_blocks("q", result, BASE)
    assert len(blocks) == MAX_BLOCKS
    assert blocks[-1]["type"] == "actions"
    assert len(json.loads(blocks[-1]["elements"][0]["value"])["p"]) <= MAX_BLOCKS - 2


def test_off_topic_abstention_is_the_text_alone():
    result = answer("The article doesn't say.", False, [], declined="off_topic")
    blocks = answer_blocks("Capital of Peru?", result, BASE)
    assert [b["type"] for b in blocks] == ["section", "actions"]
    assert parse_feedback_value(blocks[-1]["elements"][0]["value"])[2] == []


def test_not_in_article_offers_related_reading_labelled_as_not_an_answer():
    result = answer("The article doesn't say.", False, [], declined="not_in_article", related=[passage(1), passage(2)])
    blocks = answer_blocks("Which judge?", result, BASE)
    assert [b["type"] for b in blocks] == ["section", "context", "context", "context", "actions"]
    assert blocks[0]["text"]["text"] == "The article doesn't say."
    lines = [b["elements"][0]["text"] for b in blocks[1:4]]
    assert lines[0] == RELATED_LABEL == "Related reading (not an answer):"
    url = "https://qa.example.test/articles/verviers-raid#p6"
    # No [n] and nothing in bold: the passage is offered as reading, not set out as the answer.
    assert lines[1] == lines[2] == f"<{url}|verviers-raid, paragraph 6> Before it. The answer is here. After it."
    assert parse_feedback_value(blocks[-1]["elements"][0]["value"]) == ("Which judge?", "The article doesn't say.", [])


def test_related_reading_respects_the_block_limit():
    result = answer("No.", False, [], declined="not_in_article", related=[passage(i) for i in range(1, 80)])
    blocks = answer_blocks("q", result, BASE)
    assert len(blocks) == MAX_BLOCKS and blocks[-1]["type"] == "actions"


@pytest.mark.parametrize(("q_len", "a_len", "ids"), [(1000, 3000, 3), (1000, 100, 60), (10, 10, 0)])
def test_feedback_value_fits_a_button(q_len, a_len, ids):
    value = feedback_value(
        "q" * q_len, 'a "quoted" ' * max(1, a_len // 11), [f"verviers-raid:{i}:1" for i in range(ids)]
    )
    assert len(value) <= BUTTON_VALUE_LIMIT
    question, answer, _ = parse_feedback_value(value)
    assert question.startswith("q") and len(question) <= q_len
    assert answer.startswith('a "quoted"')


def test_plain_text_strips_the_bot_mention_and_unwraps_entities():
    text = "<@UBOT> Was <@U2|ann> in <#C1|general> &amp; <https://example.test|this page> &lt;ok&gt;?"
    assert plain_text(text, "UBOT") == "Was @ann in #general & this page <ok>?"
    assert plain_text("<@UBOT>", "UBOT") == ""


def test_history_from_replies_in_a_channel_thread():
    messages = [
        {"user": "U1", "text": "<@UBOT> Who is Marouane El Bali?", "ts": "1.1"},
        {"user": "UBOT", "bot_id": "BBOT", "text": "A man &amp; a suspect. [1]", "ts": "1.2"},
        {"user": "U2", "text": "chatter between people", "ts": "1.3"},
        {"bot_id": "BOTHER", "subtype": "bot_message", "text": "<@UBOT> another bot", "ts": "1.4"},
        {"user": "UBOT", "bot_id": "BBOT", "text": APOLOGY, "ts": "1.5"},
        {"user": "U1", "text": "<@UBOT> How did he try to escape?", "ts": "1.6"},
        {"user": "U1", "text": "<@UBOT> later", "ts": "1.7"},
    ]
    assert history_from_replies(messages, "1.6", "UBOT", "BBOT", direct=False) == [
        {"role": "user", "content": "Who is Marouane El Bali?"},
        {"role": "assistant", "content": "A man & a suspect. [1]"},
    ]
    # In a direct message every message of the person is addressed to the bot.
    direct = history_from_replies(messages, "1.6", "UBOT", "BBOT", direct=True)
    assert {"role": "user", "content": "chatter between people"} in direct


def test_history_keeps_the_latest_turns_within_the_api_limits():
    messages = [{"user": "U1", "text": "x" * 5000, "ts": f"1.{i:03d}"} for i in range(30)]
    turns = history_from_replies(messages, "2.0", "UBOT", "BBOT", direct=True)
    assert len(turns) <= 20 and all(len(t["content"]) <= 4000 for t in turns)
    assert sum(len(t["content"]) for t in turns) <= 20_000
    assert turns[-1]["content"] == truncate("x" * 5000, 4000)


def test_manifest_routes_everything_to_slack_events_with_the_needed_scopes():
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text(encoding="utf-8"))
    settings, features = manifest["settings"], manifest["features"]
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *[c["url"] for c in features["slash_commands"]],
    ]
    assert all(url.endswith("/slack/events") for url in urls) and len(urls) == 3
    assert [c["command"] for c in features["slash_commands"]] == ["/ask"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True and settings["socket_mode_enabled"] is False
    needed = {"commands", "app_mentions:read", "chat:write", "im:history", "im:read", "channels:history"}
    assert needed <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_what_was_searched_is_said_under_the_answer_when_a_name_was_respelt():
    reply = answer("He jumped out of a window. [1]", True, [passage()])
    respelt = reply.model_copy(update={"searched": "Who is Marouane El Bali?"})
    assert all("Searched for" not in json.dumps(block) for block in answer_blocks("q", reply, BASE))
    blocks = answer_blocks("Who is Marouane El Bal?", respelt, BASE)
    assert blocks[1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Searched for \u201cWho is Marouane El Bali?\u201d"}],
    }
    assert len(blocks) == len(answer_blocks("q", reply, BASE)) + 1
