"""Chinese as patients type it: traditional characters, and slips of a pinyin keyboard.

Patients in Hong Kong, Taiwan or abroad, and phones set to traditional input, write 潑尼松 for
泼尼松; the lexicons and parsers are written in simplified characters, so text is read through
OpenCC's traditional-to-simplified conversion first. Most Chinese is typed by pinyin, so a
misspelt drug name is nearly always a homophone of the right character (羟绿喹 for 羟氯喹, 强的送
for 强的松): `homophones` says whether two characters share a reading (pypinyin, without tones).
"""

from __future__ import annotations

import functools
import re

import opencc
from pypinyin import Style, lazy_pinyin, pinyin

_TO_SIMPLIFIED = opencc.OpenCC("t2s")
# Characters many people read wrongly, and so type by the wrong sound: 羟 (qiǎng, "hydroxy") is
# widely read qīng, after 氢 (hydrogen), so 羟氯喹 comes as 轻氯喹 or 青氯喹.
_MISREAD_AS = {"羟": frozenset({"qing"})}


# Everyday and online spellings patients use, each as long as the word it stands for:
# 木有 / 莫得 / 没得 (没有), 俺 (我), 好滴 (好的), 神马 (什么).
_EVERYDAY = {"木有": "没有", "莫得": "没有", "没得": "没有", "俺": "我", "好滴": "好的"}
_EVERYDAY |= {"神马": "什么", "酱紫": "这样"}
_EVERYDAY_WORDS = re.compile("|".join(_EVERYDAY))
# A year said digit by digit (一九八五年, 一七年, 零九年) is written with digits.
_DIGITS = str.maketrans("零〇一二三四五六七八九", "00123456789")
# Two digits are a year of this century only when no duration follows (五六年前 is "five or
# six years ago"; 一七年查出来的 is 2017).
_DIGIT = "零〇一二三四五六七八九"
_DIGIT_YEAR = re.compile(
    rf"(?<![{_DIGIT}十百千万两])([一二][{_DIGIT}]{{3}}|[零〇一二][{_DIGIT}])年"
    r"(?!前|以前|之前|了|多|来|半|左右|内|之内|以内|里)"
)


def to_simplified(text: str) -> str:
    """The text in simplified characters and standard words, character for character, so
    spans over it hold."""
    converted = _TO_SIMPLIFIED.convert(text)
    if len(converted) != len(text):
        by_character = "".join(_simplified_character(character) for character in text)
        converted = by_character if len(by_character) == len(text) else text
    converted = _EVERYDAY_WORDS.sub(lambda m: _EVERYDAY[m[0]], converted)
    return _DIGIT_YEAR.sub(lambda m: m[1].translate(_DIGITS) + "年", converted)


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
    # ü is typed v (lv) or u (lu): 录 lù for 氯 lǜ
    typed = said | {reading.replace("v", "u") for reading in said}
    return typed | _MISREAD_AS.get(character, frozenset())


def homophones(first: str, second: str) -> bool:
    """Two different Chinese characters a pinyin keyboard offers for the same syllable."""
    return first != second and bool(readings(first) & readings(second))


def pinyin_spellings(name: str) -> tuple[str, ...]:
    """A Chinese name as a patient writes it when their keyboard gives no characters: its
    toneless syllables apart and run together (强的松: "qiang de song", "qiangdesong"), with ü
    as v and as u. Nothing for a name with other characters or shorter than five letters."""
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,}", name):
        return ()
    syllables = lazy_pinyin(name, style=Style.NORMAL)
    spellings = []
    for umlaut in ("v", "u"):
        written = [syllable.replace("ü", umlaut).replace("v", umlaut) for syllable in syllables]
        spellings += [" ".join(written), "".join(written)]
    return tuple(s for s in dict.fromkeys(spellings) if len(s.replace(" ", "")) >= 5)
