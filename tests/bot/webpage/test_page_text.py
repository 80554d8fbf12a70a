"""The patient page says what the study listing and the privacy rules require, in plain words."""

import html
import re

import pytest
import textstat

from bot.webpage.server import STATIC_DIR

PAGE = (STATIC_DIR / "index.html").read_text(encoding="utf-8")


def visible_text(markup: str) -> str:
    """The page's words; each heading, paragraph and list item ends a sentence."""
    body = markup[markup.index("<body>") : markup.index("</body>")]
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


def test_the_page_loads_no_script_or_style_from_another_site():
    sources = re.findall(r'(?:src|href)="([^"]+)"', PAGE)
    assert sources and all(source.startswith(("/", "#")) for source in sources)
