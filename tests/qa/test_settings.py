"""qa.settings: one table of settings, read one way, refused with the variable's name."""

from __future__ import annotations

import pytest

from qa.settings import ABSTAIN_THRESHOLD, ROOT, SETTINGS, SettingError, defaults, load_settings, markdown_table


def test_no_variables_gives_every_default():
    values = load_settings({})
    assert values == defaults()
    assert values["ABSTAIN_THRESHOLD"] == ABSTAIN_THRESHOLD == 0.34
    assert values["RATELIMIT_ENABLED"] is True and values["LOG_QUESTIONS"] is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[("true", True), ("TRUE", True), ("1", True), ("yes", True), (" on ", True)],
        *[("false", False), ("0", False), ("no", False), ("off", False), ("", False)],
    ],
)
def test_booleans_are_read_one_way(raw, expected):
    assert load_settings({"QA_LOG_QUESTIONS": raw})["LOG_QUESTIONS"] is expected
    assert load_settings({"QA_SLACK_ANSWER_IN_CHANNEL": raw})["SLACK_ANSWER_IN_CHANNEL"] is expected


def test_numbers_are_typed():
    values = load_settings({"QA_ENCODER_THREADS": " 2 ", "QA_ABSTAIN_THRESHOLD": "0.4", "QA_QUERY_CACHE_SIZE": "0"})
    assert values["ENCODER_THREADS"] == 2 and values["ABSTAIN_THRESHOLD"] == 0.4 and values["QUERY_CACHE_SIZE"] == 0


def test_slack_settings_keep_slack_names():
    values = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert values["SLACK_BOT_TOKEN"] == "xoxb-1" and values["SLACK_SIGNING_SECRET"] == "s"


@pytest.mark.parametrize(
    ("variable", "raw", "said"),
    [
        ("QA_ENCODER_THREADS", "two", "QA_ENCODER_THREADS must be a whole number of 0 or more, not 'two'."),
        ("QA_TRUSTED_PROXIES", "-1", "QA_TRUSTED_PROXIES must be a whole number of 0 or more, not '-1'."),
        ("QA_ABSTAIN_THRESHOLD", "high", "QA_ABSTAIN_THRESHOLD must be a number, not 'high'."),
        ("QA_RATELIMIT_ENABLED", "maybe", "QA_RATELIMIT_ENABLED must be true or false, not 'maybe'."),
        ("QA_ENCODER", "gpu", "QA_ENCODER must be one of onnx, torch, not 'gpu'."),
        ("QA_LOG_LEVEL", "loud", "QA_LOG_LEVEL must be one of debug, info, warning, error, not 'loud'."),
    ],
)
def test_an_unreadable_value_names_its_variable(variable, raw, said):
    with pytest.raises(SettingError) as caught:
        load_settings({variable: raw})
    assert str(caught.value) == said


def test_choices_are_case_blind():
    assert load_settings({"QA_LOG_LEVEL": "WARNING", "QA_ENCODER": "Torch"})["LOG_LEVEL"] == "warning"


def test_a_misspelt_variable_is_refused_not_ignored():
    with pytest.raises(SettingError, match="Unknown setting QA_INDEX_DRI"):
        load_settings({"QA_INDEX_DRI": "/srv/index"})


def test_readme_lists_every_setting_as_the_code_defines_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme
    assert all(f"`{s.variable}`" in readme for s in SETTINGS)
