"""The trial definition's study facts: written once in the trial file, read from there, checked at
load."""

import re
from pathlib import Path

import pytest
import yaml

from bot import messages
from bot.i18n import CHINESE, ENGLISH
from bot.trial import TRIALS_DIR, TrialDefinitionError, load_trial, load_trial_file

TRIAL = load_trial()
ROOT = Path(__file__).resolve().parents[2]


def test_the_study_facts_are_read_from_the_trial_file():
    assert TRIAL.title == "HN2301 lupus study"
    assert TRIAL.site == (
        "The First Affiliated Hospital of University of Science and Technology of China"
    )
    assert TRIAL.location == "Hefei, Anhui, China"
    assert TRIAL.lead_doctor == "Zhu Chen"
    assert TRIAL.sponsor == "Shenzhen MagicRNA Biotechnology"


def test_the_study_team_names_the_site_and_lead_doctor_as_written_once():
    assert messages.study_facts(TRIAL, ENGLISH)["study_team"] == (
        "the HN2301 study team at The First Affiliated Hospital of University of Science and "
        "Technology of China, Hefei (lead doctor Dr Zhu Chen)"
    )
    assert messages.study_facts(TRIAL, CHINESE)["study_team"] == (
        "合肥中国科学技术大学附属第一医院HN2301研究团队（负责医生：陈竹）"
    )


def test_no_response_types_a_study_fact_the_trial_file_holds():
    """domain.yml names the facts ({site}...); none of them is typed out in a response."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    texts = [v["text"] for variants in domain["responses"].values() for v in variants]
    for fact in (TRIAL.title, TRIAL.site, TRIAL.location, TRIAL.lead_doctor, TRIAL.sponsor):
        assert not [text for text in texts if fact in text], fact


def _trial_file(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load((TRIALS_DIR / "hn2301.yml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    file = tmp_path / "trial.yml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return file


@pytest.mark.parametrize("fact", ["title", "site", "location", "lead_doctor", "sponsor"])
def test_a_missing_study_fact_stops_the_load(tmp_path, fact):
    with pytest.raises(TrialDefinitionError, match=f"missing `{fact}`"):
        load_trial_file(_trial_file(tmp_path, **{fact: None}), TRIAL.lexicon)


def test_a_study_team_naming_an_unknown_fact_stops_the_load(tmp_path):
    file = _trial_file(tmp_path, study_team="the team at {hospital}")
    with pytest.raises(TrialDefinitionError, match=re.escape("study_team: names `{hospital}`")):
        load_trial_file(file, TRIAL.lexicon)
