"""The patient page says what the study listing and the privacy rules require, in plain words,
in English and in Chinese."""

import html
import re

import pytest
import textstat

from bot.webpage.server import render_page

PAGE = render_page("en").decode()
CHINESE_PAGE = render_page("zh").decode()
MAX_HAN_PER_SENTENCE = 40


def visible_text(markup: str) -> str:
    """The page's words; each heading, paragraph and list item ends a sentence."""
    body = markup[markup.index("<body>") : markup.index("</body>")]
    body = re.sub(r"<script[^>]*>.*?</script>", " ", body, flags=re.DOTALL)
    body = re.sub(r"</(h1|h2|p|li)>", ". ", body)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def test_the_page_reads_at_grade_8_or_below():
    assert textstat.flesch_kincaid_grade(visible_text(PAGE)) <= 8.0


@pytest.mark.parametrize(
    "fact",
    [
        "HN2301",
        "mRNA",
        "18 to 69",
        "any gender",
        "still active",
        "Hefei, Anhui, China",
        "The First Affiliated Hospital of University of Science and Technology of China",
        "voluntary",
        "does not decide",
        "study doctor",
        "only after you agree",
        "only if you agree",
        "delete my data",
        "what do you know about me",
    ],
)
def test_the_page_states(fact):
    assert fact in visible_text(PAGE)


@pytest.mark.parametrize(
    "fact",
    [
        "HN2301",
        "mRNA",
        "18",
        "69",
        "合肥",
        "中国科学技术大学附属第一医院",
        "自愿",
        "删除我的数据",
    ],
)
def test_the_chinese_page_states(fact):
    assert fact in visible_text(CHINESE_PAGE)


def test_the_chinese_page_is_in_short_chinese_sentences_with_no_english_left():
    text = visible_text(CHINESE_PAGE)
    for sentence in re.split(r"[。！？；.]", text):
        assert len(re.findall(r"[\u4e00-\u9fff]", sentence)) <= MAX_HAN_PER_SENTENCE, sentence
    # Proper names and codes aside (HN2301, mRNA, LNP, SLE, the switch's "English").
    leftover = set(re.findall(r"[A-Za-z][A-Za-z0-9]*", text)) - {
        "HN2301", "mRNA", "LNP", "SLE", "English",
    }  # fmt: skip
    assert not leftover


@pytest.mark.parametrize(("page", "lang"), [(PAGE, "en"), (CHINESE_PAGE, "zh-CN")])
def test_the_page_names_its_language_and_offers_the_other(page, lang):
    assert f'<html lang="{lang}">' in page
    assert 'href="/?lang=zh" lang="zh-CN"' in page and 'href="/?lang=en" lang="en"' in page
    assert page.count('aria-current="true"') == 1


@pytest.mark.parametrize("page", [PAGE, CHINESE_PAGE])
def test_the_page_loads_no_script_or_style_from_another_site(page):
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith(("/", "#")) for source in sources)
