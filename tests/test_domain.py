"""The Rasa domain, the training data and the trial definition agree with each other."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from actions import screening
from bot.trial import STUDY_FACTS, load_trial

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
TRIAL = load_trial()
# An action is its name, or {name: {send_domain: true}}.
ACTION_NAMES = [a if isinstance(a, str) else next(iter(a)) for a in DOMAIN["actions"]]


def test_every_question_has_its_slot_extractor_and_validator():
    """The form's validation action fills each question's slot (the open question comes first)."""
    form = screening.ValidateScreeningForm
    for question in TRIAL.questions:
        assert DOMAIN["slots"][question.id]["mappings"] == [{"type": "custom"}]
        assert callable(getattr(form, f"extract_{question.id}"))
        assert callable(getattr(form, f"validate_{question.id}"))


def test_the_form_lists_consent_the_read_back_then_every_question_in_order():
    required = DOMAIN["forms"]["screening_form"]["required_slots"]
    assert required == ["consent", "confirm_answer", *(q.id for q in TRIAL.questions)]
    assert required == screening.FORM_SLOTS  # what the validation action knows without a domain


def test_rasa_asks_no_screening_question_itself():
    """The validation action asks each one; an `action_ask_*` or `utter_ask_*` would ask twice."""
    for slot in DOMAIN["forms"]["screening_form"]["required_slots"]:
        assert f"action_ask_{slot}" not in ACTION_NAMES
        assert f"utter_ask_{slot}" not in DOMAIN["responses"]


def test_every_custom_action_in_the_domain_is_served_by_the_action_server():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    custom = {a for a in ACTION_NAMES if not a.startswith("utter_")}
    assert custom <= set(executor.actions)


# Warnings of `rasa data validate` that do not matter: responses used from custom actions or by
# forms (`utter_ask_<slot>`) are invisible to the validator; `inform` and `unsure` are answers,
# which the form reads whatever the intent (no rule needs to name them: there are no stories).
HARMLESS = (
    "utter_greet'",
    "utter_greet_again",
    "utter_ask_contact_",
    "utter_ask_news_contact",
    "intent 'inform' is not used",
    "intent 'unsure' is not used",
)


def test_rasa_data_validate_passes_without_warnings_that_matter():
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "data",
            "validate",
            "--domain",
            "domain.yml",
            "--data",
            "data",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    warnings = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "UserWarning" in line and not any(name in line for name in HARMLESS)
    ]
    assert not warnings, "\n".join(warnings)
    assert " ERROR " not in result.stdout + result.stderr
    assert "Story structure validation" in result.stdout + result.stderr


def test_every_placeholder_in_a_response_is_a_study_fact_or_a_slot():
    """Rasa sends a response with an unknown `{name}` as it is written, braces and all."""
    known = {*STUDY_FACTS, *DOMAIN["slots"]}
    for name, variants in DOMAIN["responses"].items():
        for variant in variants:
            texts = [variant["text"], *(b["title"] for b in variant.get("buttons") or [])]
            for placeholder in re.findall(r"\{([^{}]*)\}", " ".join(texts)):
                assert placeholder in known, f"{name}: {{{placeholder}}}"
