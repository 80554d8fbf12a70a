"""bot.chinese: traditional characters read as simplified, and homophones of a pinyin keyboard."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.chinese import homophones, to_simplified


def test_traditional_characters_become_simplified():
    assert to_simplified("四十三歲 羥氯喹 潑尼松 沒有") == "四十三岁 羟氯喹 泼尼松 没有"


def test_simplified_and_latin_text_is_left_as_it_is():
    assert to_simplified("泼尼松10mg, plaquenil") == "泼尼松10mg, plaquenil"


@given(st.text())
def test_the_length_never_changes_so_spans_over_it_hold(text):
    assert len(to_simplified(text)) == len(text)


def test_homophones_share_a_reading_without_tones():
    assert homophones("绿", "氯")  # lǜ, lǜ
    assert homophones("送", "松")  # sòng, sōng
    assert not homophones("松", "松")  # the same character is no slip
    assert not homophones("松", "片")
    assert not homophones("a", "a")
