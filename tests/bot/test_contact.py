"""When to call: a time of day or week is the answer, whatever the NLU makes of it."""

import pytest

from bot.contact import names_a_time


@pytest.mark.parametrize(
    "text",
    ["工作日上午", "晚上6点以后", "周末下午", "weekday mornings", "after 6 pm", "Evenings", "随时"],
)
def test_a_time_is_named(text):
    assert names_a_time(text)


@pytest.mark.parametrize(
    "text", ["我要找人工", "I want to talk to a person", "stop", "删除我的数据"]
)
def test_a_request_is_no_time(text):
    assert not names_a_time(text)
