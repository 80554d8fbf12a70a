"""The question slots in domain.yml and the rules in data/generated_rules.yml are generated, and
the committed files are up to date."""

import subprocess
import sys
from pathlib import Path

import yaml

from bot.conversation import DIGRESSION_INTENTS
from bot.trial import load_trial
from scripts import generate_domain

ROOT = Path(__file__).resolve().parents[2]


def test_committed_files_are_up_to_date():
    result = subprocess.run(
        [sys.executable, "scripts/generate_domain.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, (
        f"{result.stdout}{result.stderr}: run .venv/bin/python scripts/generate_domain.py"
    )


def test_only_the_marked_block_of_the_domain_is_rewritten():
    trial = load_trial()
    stale = (
        "slots:\n  # said by hand\n"
        f"{generate_domain.BEGIN_SLOTS}  old_question:\n    type: text\n{generate_domain.END_SLOTS}"
        "  consent:\n    type: any\nresponses:\n  utter_greet: []\n"
        "forms:\n  screening_form:\n    required_slots:\n"
        f"{generate_domain.BEGIN_FORM_SLOTS}      - old_question\n{generate_domain.END_FORM_SLOTS}"
        "  referral_form:\n    required_slots:\n      - contact_name\n"
    )
    domain = yaml.safe_load(generate_domain.render_domain(stale, trial))
    assert list(domain["slots"]) == [*(q.id for q in trial.questions), "consent"]
    assert domain["forms"]["screening_form"]["required_slots"] == [
        "consent",
        "confirm_answer",
        *(q.id for q in trial.questions),
    ]
    assert domain["forms"]["referral_form"] == {"required_slots": ["contact_name"]}
    assert domain["slots"]["age"] == {
        "type": "any",
        "influence_conversation": False,
        "mappings": [{"type": "custom"}],
    }
    assert domain["responses"] == {"utter_greet": []}


def _rules(name: str) -> list[dict]:
    return yaml.safe_load((ROOT / "data" / name).read_text(encoding="utf-8"))["rules"]


def test_each_digression_is_answered_inside_its_forms_and_outside_them():
    rules = [r for r in _rules("generated_rules.yml") if not r.get("conversation_start")]
    for digression in generate_domain.DIGRESSIONS:
        answered = [r for r in rules if r["steps"][0] == {"intent": digression.intent}]
        inside = [r for r in answered if "condition" in r]
        assert [r["condition"] for r in inside] == [[{"active_loop": f}] for f in digression.forms]
        assert all(r["steps"][1] == {"action": digression.action} for r in answered)
        assert len(answered) - len(inside) == int(digression.outside)


def test_every_digression_the_screening_leaves_its_question_for_has_a_rule():
    """bot/conversation.py leaves the open question only for an intent a rule answers."""
    rules = _rules("rules.yml") + _rules("generated_rules.yml")
    during = {
        r["steps"][0]["intent"]
        for r in rules
        if r.get("condition") == [{"active_loop": "screening_form"}] and "intent" in r["steps"][0]
    }
    assert during == DIGRESSION_INTENTS
