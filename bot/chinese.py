"""Chinese as patients type it: traditional characters, and slips of a pinyin keyboard.

Patients in Hong Kong, Taiwan or abroad, and phones set to traditional input, write 潑尼松 for
泼尼松; the lexicons and parsers are written in simplified characters, so text is read through
OpenCC's traditional-to-simplified conversion first. Most Chinese is typed by pinyin, so a
misspelt drug name is nearly always a homophone of the right character (羟绿喹 for 羟氯喹, 强的送
for 强的松): `homophones` says whether two characters share a reading (pypinyin, without tones).
"""

from __future__ import annotations

import functools

import opencc
from pypinyin import Style, pinyin

_TO_SIMPLIFIED = opencc.OpenCC("t2s")
# Characters many people read wrongly, and so type by the wrong sound: 羟 (qiǎng, "hydroxy") is
# widely read qīng, after 氢 (hydrogen), so 羟氯喹 comes as 轻氯喹 or 青氯喹.
_MISREAD_AS = {"羟": frozenset({"qing"})}


def to_simplified(text: str) -> str:
    """The text in simplified characters, character for character, so spans over it hold."""
    converted = _TO_SIMPLIFIED.convert(text)
    if len(converted) == len(text):
        return converted
    by_character = "".join(_simplified_character(character) for character in text)
    return by_character if len(by_character) == len(text) else text


@functools.lru_cache(maxsize=8192)
def _simplified_character(character: str) -> str:
    converted = _TO_SIMPLIFIED.convert(character)
    return converted if len(converted) == 1 else character


@functools.lru_cache(maxsize=8192)
def readings(character: str) -> frozenset[str]:
    """Every toneless pinyin reading of one Chinese character, and a common misreading (empty
    for anything else)."""
    found = pinyin(character, style=Style.NORMAL, heteronym=True, errors=lambda _: [[]])
    said = frozenset(reading for group in found for reading in group if reading)
    return said | _MISREAD_AS.get(character, frozenset())


def homophones(first: str, second: str) -> bool:
    """Two different Chinese characters a pinyin keyboard offers for the same syllable."""
    return first != second and bool(readings(first) & readings(second))
