"""The two languages of the product, and the gettext catalogs that hold every word in them.

English is the source language: each text is written in English in the code (or the trial
definition) and marked for translation; `bot/locale/<language>/LC_MESSAGES/<domain>.po` holds its
translation. The `.po` files are the only home of translated text. They are read directly
(`Translations` built in memory from the `.po`), so a catalog can never be stale; `compile_all`
also writes `.mo` files beside them for Flask-Babel, which reads those.

Domains: `patient` (everything a patient reads: domain responses, composed messages, the trial's
questions and explanations, the page) and `dashboard` (the coordinator's side).
"""

from __future__ import annotations

import gettext
import io
import re
from functools import cache
from pathlib import Path

import yaml
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"
CHINESE = "zh"
LANGUAGES = (ENGLISH, CHINESE)
# What the HTML `lang` attribute, FHIR `language` and HTTP negotiation call each language.
BCP47 = {ENGLISH: "en", CHINESE: "zh-CN"}
PATIENT = "patient"
DASHBOARD = "dashboard"

_CHINESE_NAMES = ("中文", "chinese", "mandarin", "汉语", "普通话", "国语", "cn")
_ENGLISH_NAMES = ("english", "英文", "英语")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def normalise(language: object) -> str:
    """A supported language code from anything a channel or browser may send ("zh-CN", "en_GB",
    "中文"); English when it names neither."""
    return named_language(language) or ENGLISH


def named_language(language: object) -> str | None:
    """The supported language a value names, or None when it names none (no silent default)."""
    said = str(language or "").strip().casefold().replace("_", "-")
    if not said:
        return None
    if said.startswith("zh") or said in _CHINESE_NAMES:
        return CHINESE
    if said.startswith("en") or said in _ENGLISH_NAMES:
        return ENGLISH
    return None


def detect(text: str) -> str | None:
    """The language of a patient's message: Chinese when it has any Chinese character (drug names
    in English inside Chinese are common), English when it has Latin letters and no Chinese,
    None when it has neither ("38", "👍")."""
    if _CJK.search(text or ""):
        return CHINESE
    if _LATIN_LETTER.search(text or ""):
        return ENGLISH
    return None


@cache
def translations(language: str, domain: str = PATIENT) -> gettext.NullTranslations:
    """The catalog of one language and domain; English (the source) is the identity."""
    if language == ENGLISH:
        return gettext.NullTranslations()
    po_file = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=language, domain=domain)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=domain)


def gettext_for(language: str, domain: str = PATIENT):
    """`_` for one language: `_("Hello")` is the text in that language."""
    return translations(normalise(language), domain).gettext


def N_(text: str) -> str:
    """Marks a text for the catalog where it is defined; it is translated where it is shown."""
    return text


def compile_all() -> list[Path]:
    """Write a `.mo` beside each `.po` that is newer than it (Flask-Babel reads `.mo` files)."""
    written = []
    for po_file in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        mo_file = po_file.with_suffix(".mo")
        if mo_file.exists() and mo_file.stat().st_mtime >= po_file.stat().st_mtime:
            continue
        with po_file.open("rb") as source:
            catalog = read_po(source, locale=po_file.parent.parent.name)
        with mo_file.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        written.append(mo_file)
    return written


def extract_yaml(fileobj, keywords, comment_tags, options):
    """Babel extraction method for YAML files: every string under one of the mapping keys named
    in the mapping file's `keys` option (domain.yml's `text`, the trial's `ask`...), in order."""
    wanted = set(options.get("keys", "").split())

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value in wanted and isinstance(value, yaml.ScalarNode) and value.value:
                    yield value.start_mark.line + 1, None, value.value, []
                else:
                    yield from walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from walk(item)

    yield from walk(yaml.compose(fileobj.read().decode("utf-8")))


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(LOCALE_DIR.parent.parent)}")
