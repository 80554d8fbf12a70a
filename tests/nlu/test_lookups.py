"""The lookup tables and synonyms in data/nlu come from the lexicons and stay in step with them."""

import functools
import re
from pathlib import Path

import pytest

from bot.lexicon import load_lexicon

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<entity>\w+)\)")
ANNOTATED_FILES = [
    *sorted((ROOT / "data" / "nlu").glob("*.yml")),
    ROOT / "tests/nlu/heldout.yml",
    ROOT / "tests/nlu/heldout_zh.yml",
]


def test_committed_lookups_match_the_lexicons(generate_lookups):
    committed = generate_lookups.LOOKUPS_FILE.read_text(encoding="utf-8")
    assert committed == generate_lookups.render(load_lexicon()), (
        "data/nlu/lookups.yml is out of date: run .venv/bin/python scripts/generate_lookups.py"
    )


def test_committed_jieba_dictionary_matches_the_lexicons(generate_lookups):
    committed = generate_lookups.JIEBA_DICTIONARY_FILE.read_text(encoding="utf-8")
    assert committed == generate_lookups.render_jieba_dictionary(load_lexicon())
    assert "吗替麦考酚酯\n" in committed
    assert "plaquenil" not in committed


def _regex_matches(generate_lookups, kind: str, text: str) -> list[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    training_data = load_data(str(generate_lookups.LOOKUPS_FILE))
    (pattern,) = [
        regex["pattern"] for regex in training_data.regex_features if regex["name"] == kind
    ]
    return [match.group() for match in re.finditer(pattern, text, flags=re.IGNORECASE)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("我在吃泼尼松和羟氯喹", ["泼尼松", "羟氯喹"]),
        ("以前吃过泼尼松龙", ["泼尼松龙"]),
        ("我吃plaquenil和美卓乐", ["plaquenil", "美卓乐"]),
        ("i take Plaquenil 200mg and prednisone", ["Plaquenil", "prednisone"]),
        ("mycophenolate  mofetil", ["mycophenolate  mofetil"]),
        ("azathioprine only", ["azathioprine"]),
        ("plaquenils", []),
    ],
)
def test_medicine_regex_finds_names_in_chinese_and_english_text(generate_lookups, text, found):
    """Rasa's \\b-bounded lookup patterns cannot; these are what the RegexEntityExtractor uses."""
    assert _regex_matches(generate_lookups, "medicine", text) == found


def test_vaccine_regex_finds_chinese_and_english_names(generate_lookups):
    assert _regex_matches(generate_lookups, "vaccine", "打了两针科兴 then pfizer") == [
        "科兴",
        "pfizer",
    ]


def test_rasa_reads_every_lexicon_name_into_its_lookup_table_and_synonyms(generate_lookups):
    from rasa.shared.nlu.training_data.loading import load_data

    lexicon = load_lexicon()
    training_data = load_data(str(generate_lookups.LOOKUPS_FILE))
    tables = {table["name"]: set(table["elements"]) for table in training_data.lookup_tables}
    for kind in ("medicine", "vaccine"):
        assert tables[kind] == {" ".join(name.lower().split()) for name in lexicon.all_names(kind)}
    assert "cellcept" in tables["medicine"]
    assert "硫酸羟氯喹" in tables["medicine"]
    assert "comirnaty" not in tables["medicine"]
    synonyms = training_data.entity_synonyms
    assert synonyms["plaquenil"] == "hydroxychloroquine"
    assert synonyms["plaquinil"] == "hydroxychloroquine"
    assert synonyms["pfizer"] == "pfizer_biontech_covid"
    assert "hydroxychloroquine" not in synonyms


@pytest.mark.parametrize("path", ANNOTATED_FILES, ids=lambda path: path.name)
def test_annotated_names_are_known_to_the_lexicon_under_the_same_entity(path):
    """An annotation the lexicon reads as another kind (or not at all) would teach DIET wrong."""
    lexicon = load_lexicon()
    finders = {kind: functools.partial(lexicon.locate, kind) for kind in ("medicine", "vaccine")}
    for match in ANNOTATION.finditer(path.read_text(encoding="utf-8")):
        text, entity = match["text"], match["entity"]
        assert entity in finders, f"{path.name}: unknown entity {entity!r} on {text!r}"
        assert finders[entity](text), f"{path.name}: the lexicon does not know {entity} {text!r}"
