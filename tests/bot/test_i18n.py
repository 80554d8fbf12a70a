"""The catalogs: every patient-facing text has its Chinese, and no English leaks into it."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import CHINESE, ENGLISH, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")  # str.format and the page's Jinja ones
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Latin-letter words a Chinese text may keep: proper names and codes, units, examples of what to
# type (an e-mail address, a web address).
ALLOWED_LATIN = {
    "hn2301", "mrna", "lnp", "sle", "covid", "hiv", "cmv", "ana", "dsdna", "mg", "rsv", "bcg",
    "mmr", "ltd", "md", "https", "http", "www", "clinicaltrials", "gov", "name", "example", "com",
    "c3", "c4", "hpv",
}  # fmt: skip


def patient_texts() -> set[str]:
    """Every text the patient catalog's mapping file finds in the sources, extracted now."""
    with (LOCALE_DIR / "patient.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    keywords = {"_": None, "N_": None, "gettext": None}
    return {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }


@pytest.fixture(scope="module")
def chinese_catalog():
    with (LOCALE_DIR / CHINESE / "LC_MESSAGES" / "patient.po").open("rb") as source:
        return {m.id: m for m in read_po(source) if m.id}


def test_every_patient_text_has_a_chinese_translation(chinese_catalog):
    missing = sorted(
        text
        for text in patient_texts()
        if text not in chinese_catalog
        or not chinese_catalog[text].string
        or chinese_catalog[text].fuzzy
    )
    assert not missing, f"run `make catalogs` and translate: {missing[:10]}"


def test_the_catalog_holds_texts_still_in_use_only(chinese_catalog):
    assert set(chinese_catalog) <= patient_texts()


def test_a_translation_keeps_every_placeholder(chinese_catalog):
    for message in chinese_catalog.values():
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
            PLACEHOLDER.findall(message.id)
        ), message.id


def test_no_english_word_in_a_chinese_text_but_names_and_codes(chinese_catalog):
    lexicon_names = {
        word.casefold()
        for message in chinese_catalog.values()
        if message.id == message.string  # a proper name kept as it is (a brand with no Chinese)
        for word in LATIN_WORD.findall(message.id)
    }
    for message in chinese_catalog.values():
        words = {w.casefold() for w in LATIN_WORD.findall(PLACEHOLDER.sub(" ", message.string))}
        leaked = words - ALLOWED_LATIN - lexicon_names
        assert not leaked, f"{message.id!r} -> {message.string!r}: {sorted(leaked)}"


def test_english_is_the_source_language():
    assert i18n.gettext_for(ENGLISH)("Yes") == "Yes"
    assert i18n.gettext_for("zh-CN")("Yes") != "Yes"


@pytest.mark.parametrize(
    ("given", "language"),
    [
        ("zh", CHINESE),
        ("zh-CN", CHINESE),
        ("zh_Hans", CHINESE),
        ("中文", CHINESE),
        ("Chinese", CHINESE),
        ("en", ENGLISH),
        ("en-GB", ENGLISH),
        ("English", ENGLISH),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_named_language(given, language):
    assert i18n.named_language(given) == language
    assert i18n.normalise(given) == (language or ENGLISH)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("你好", CHINESE),
        ("我吃plaquenil和pred 10mg", CHINESE),
        ("hello", ENGLISH),
        ("I take 羟氯喹", CHINESE),
        ("38", None),
        ("👍", None),
        ("", None),
    ],
)
def test_detect(text, language):
    assert i18n.detect(text) == language


def test_extract_yaml_finds_the_keys_asked_for(tmp_path):
    source = tmp_path / "x.yml"
    source.write_text("a:\n  text: Hello\n  other: no\nb:\n  - title: Yes\n", encoding="utf-8")
    with source.open("rb") as fileobj:
        found = list(i18n.extract_yaml(fileobj, [], [], {"keys": "text title"}))
    assert [(line, text) for line, _, text, _ in found] == [(2, "Hello"), (5, "Yes")]


def test_compile_all_writes_mo_files_flask_babel_can_read(tmp_path, monkeypatch):
    target = tmp_path / "locale" / CHINESE / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "patient.po").write_bytes(
        (LOCALE_DIR / CHINESE / "LC_MESSAGES" / "patient.po").read_bytes()
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    assert i18n.compile_all() == [target / "patient.mo"]
    assert i18n.compile_all() == []  # up to date: nothing rewritten
