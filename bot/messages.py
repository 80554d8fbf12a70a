"""What the patient reads, composed from the trial definition and the engine's findings.

Kept here (not in the Rasa actions) so the wording can be tested for plain language, and so the
actions stay thin. Every text is short and free of protocol jargon.
"""

from __future__ import annotations

from datetime import date

from bot.engine import (
    LIKELY_ELIGIBLE,
    NEEDS_REVIEW,
    NOT_ELIGIBLE,
    NOT_ELIGIBLE_NOW,
    PENDING,
    UNKNOWN,
    Assessment,
)
from bot.lexicon import Lexicon
from bot.trial import Question, Trial

TOO_LONG = 500


def question_prompt(question: Question, position: int, total: int, *, reask: bool) -> str:
    """The question with visible progress; the re-ask gives an example instead."""
    if reask:
        return f"Sorry, I didn't quite get that. {question.reask}"
    return f"Question {position} of about {max(total, position)}: {question.ask}"


def why_message(question: Question) -> str:
    return f"Why I ask: {question.why}"


def consent_why_message() -> str:
    return (
        "I need your OK before I keep any health answers. They are used only for this "
        "pre-screen, and you can have them deleted at any time."
    )


def no_consent_message() -> str:
    return (
        "That's fine. I have not kept anything you told me. If you change your mind, just say "
        "hi again. Take care!"
    )


def going_back_message() -> str:
    return "OK, let's do that question again."


def nothing_to_go_back_to_message() -> str:
    return "There is no earlier answer to go back to yet."


def correction_unclear_message() -> str:
    return (
        "Sorry, I couldn't tell which answer to change. Say, for example, \"change my age to "
        '45", or "go back" to redo the last question.'
    )


def correction_reask_message() -> str:
    return "OK, let's fix that answer."


def corrected_message(trial: Trial, question: Question) -> str:
    about = next(c.about for c in trial.criteria if question.id in c.uses)
    return f"Thanks, I changed your answer about {about}."


def restart_message() -> str:
    return "OK, let's start again from the first question."


def too_long_message() -> str:
    return "That's a long message! Please answer this question in a few words."


def recorded_as_unsure_message() -> str:
    return 'No problem. I\'ll note that as "not sure" and the study team can check it.'


def human_handoff_message(trial: Trial) -> str:
    return (
        f"You can contact {trial.study_team}. If you share your contact details at the end, a "
        'coordinator can call you. We can go on with the questions, or say "stop" to end.'
    )


def _format_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def outcome_messages(trial: Trial, assessment: Assessment) -> list[str]:
    """The outcome in plain words, per the spec's outcome table, then the next offer."""
    if assessment.outcome == LIKELY_ELIGIBLE:
        return [
            "Thank you! From your answers, you may be a good fit for this study. This is not a "
            "final decision. A study coordinator will check your answers, and a study doctor "
            "confirms everything at a visit.",
            "May I share your answers with the study team, so a coordinator can contact you?",
        ]
    if assessment.outcome == NEEDS_REVIEW:
        unsure = [
            v.about
            for v in assessment.verdicts
            if v.verdict in (UNKNOWN, PENDING) and v.kind == "self_reported"
        ]
        return [
            "Thank you! A coordinator will need to check a few of your answers, about "
            + ", ".join(unsure)
            + ".",
            "May I share your answers with the study team, so a coordinator can contact you?",
        ]
    if assessment.outcome == NOT_ELIGIBLE_NOW:
        when = (
            f"You may be able to check again after {_format_day(assessment.recheck_date)}."
            if assessment.recheck_date
            else "You may be able to check again once that has changed."
        )
        return [
            f"Thank you. This study is not right for you just now. {assessment.main_reason} {when}",
            "Would you like us to tell you about other lupus studies?",
        ]
    if assessment.outcome == NOT_ELIGIBLE:
        return [
            "Thank you for your answers. I'm sorry, this study is not a fit for you. "
            f"{assessment.main_reason}",
            f"You can find other lupus studies here: {trial.other_studies_url}",
            "Would you like us to tell you about other lupus studies?",
        ]
    raise ValueError(f"unknown outcome {assessment.outcome!r}")


def contact_summary(name: str, phone: str | None, email: str | None, when: str) -> str:
    return (
        "Here is what I have. "
        f"Name: {name}. Phone: {phone or 'none'}. E-mail: {email or 'none'}. "
        f"Best time: {when}. Is this right?"
    )


def referral_done_message(reference_code: str) -> str:
    return (
        f"Thank you! I have passed your answers to the study team. Your reference code is "
        f"{reference_code}. Please keep it, in case you contact the team. A coordinator will "
        "get in touch with you."
    )


def deleted_message() -> str:
    return (
        "Done. I have deleted your answers, your contact details and this chat. If you write "
        "again, we start fresh."
    )


def stopped_message() -> str:
    return (
        "OK, I have stopped and deleted what you told me. Thank you for your time. You can "
        "come back at any time."
    )


def no_referral_message(trial: Trial) -> str:
    return (
        "That's fine. I have not passed on anything about you. If you change your mind, you can "
        f"contact {trial.study_team}. Take care!"
    )


def no_other_studies_message() -> str:
    return "That's fine. I have not kept any way to contact you. Take care!"


def other_studies_saved_message() -> str:
    return (
        "Thank you! We will use this only to tell you about other lupus studies. Say "
        '"delete my data" at any time to remove it.'
    )


def bad_phone_message() -> str:
    return (
        "Sorry, that doesn't look like a phone number. Please type it with the country code, "
        'like +86 138 0013 8000, or say "none".'
    )


def bad_email_message() -> str:
    return (
        "Sorry, that doesn't look like an e-mail address. Please type it like name@example.com, "
        'or say "none".'
    )


def need_a_contact_message() -> str:
    return "We need at least one way to reach you: a phone number or an e-mail address."


def bad_name_message() -> str:
    return 'Sorry, I didn\'t get your name. Please type the name we should use, like "Li Na".'


def bad_contact_time_message() -> str:
    return 'Please tell me in a few words, like "weekday mornings" or "after 6 pm".'


def bad_news_contact_message() -> str:
    return (
        "Sorry, I couldn't read that. Please type an e-mail address, like name@example.com, or a "
        'phone number with the country code. Or say "none" if you changed your mind.'
    )


def referral_store_down_message() -> str:
    return (
        "Sorry, I can't save your details right now. Please try again in a few minutes: just "
        'say "yes" when you are ready.'
    )


def nothing_to_refer_message() -> str:
    return (
        'Sorry, I couldn\'t find your finished answers to pass on. Say "start over" to answer '
        "the questions again."
    )


def store_down_message() -> str:
    return "Sorry, I can't save this right now. Please try again in a few minutes."


def stored_data_message(trial: Trial, in_chat: dict[str, str], stored: dict) -> str:
    """What is kept for this conversation, for "what do you know about me?"."""
    parts = []
    if in_chat:
        answered = "; ".join(
            f"{trial.question(qid).ask.split('?')[0]}: {text}" for qid, text in in_chat.items()
        )
        parts.append(f"Your answers in this chat: {answered}.")
    referral = stored.get("referral")
    if referral:
        parts.append(
            "Your contact details, shared with the study team: "
            f"{referral.get('name')}, {referral.get('phone') or 'no phone'}, "
            f"{referral.get('email') or 'no e-mail'}, best time {referral.get('preferred_time')}."
        )
    for contact in stored.get("other_studies_contacts", []):
        parts.append(
            "Your contact for news of other studies: "
            f"{contact.get('email') or contact.get('phone')}."
        )
    if not parts:
        return "I have not stored anything about you."
    parts.append('Say "delete my data" to erase it all.')
    return " ".join(parts)


def _listed(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _medicine_names(lexicon: Lexicon, ids: list[str]) -> str:
    return _listed([lexicon.medicine(m).name for m in ids])


def _dose_words(lexicon: Lexicon, dose: object, steroid: str | None) -> str | None:
    """ "Prednisone 10 mg a day" for a read dose; None when there is nothing to say."""
    if not isinstance(dose, dict) or "mg_per_day" not in dose:
        return None
    parts = dose.get("parts")
    if isinstance(parts, list) and parts:
        return _listed([_dose_words(lexicon, part, steroid) or "" for part in parts])
    medicine = dose.get("medicine") or steroid
    name = lexicon.medicine(medicine).name if medicine else "your steroid"
    return f"{name} {float(dose['mg_per_day']):g} mg a day"


def _medicines_readback(lexicon: Lexicon, medicines: dict, dose: object = None) -> list[str]:
    current = list(medicines.get("medicines") or [])
    said = []
    steroids = [m for m in current if lexicon.medicine(m).drug_class == "corticosteroid"]
    dose_words = _dose_words(lexicon, dose, steroids[0] if steroids else None)
    if dose_words:
        others = [m for m in current if m not in steroids]
        now = [*(lexicon.medicine(m).name for m in others), dose_words]
        said.append(f"Now: {_listed(now)}.")
    elif current:
        said.append(f"Now: {_medicine_names(lexicon, current)}.")
    else:
        said.append("Now: no lupus medicines.")
    if medicines.get("incomplete"):
        said.append("And others you can't name now.")
    if medicines.get("past"):
        said.append(f"In the past, not now: {_medicine_names(lexicon, medicines['past'])}.")
    if medicines.get("planned"):
        said.append(f"Planned, not started: {_medicine_names(lexicon, medicines['planned'])}.")
    return said


def _history_readback(lexicon: Lexicon, history: dict) -> list[str]:
    taken = [*(history.get("medicines") or []), *(history.get("past") or [])]
    said = [f"Ever taken: {_medicine_names(lexicon, taken)}." if taken else "Ever taken: none."]
    if history.get("incomplete"):
        said.append("And others you can't name now.")
    if history.get("planned"):
        said.append(f"Planned, not started: {_medicine_names(lexicon, history['planned'])}.")
    return said


def _vaccines_readback(lexicon: Lexicon, vaccines: dict) -> list[str]:
    names = [lexicon.vaccine(v).name for v in vaccines.get("products") or []]
    if vaccines.get("generic_covid"):
        names.append("a COVID-19 vaccine (type not known)")
    return [f"Vaccines: {_listed(names)}." if names else "Vaccines: none."]


_VIRUS_NAMES = {
    "hiv": "HIV",
    "syphilis": "syphilis",
    "hepatitis_b": "hepatitis B",
    "hepatitis_c": "hepatitis C",
    "cmv": "CMV",
}
_VIRUS_STATUS = {"active": "now", "past": "in the past", "unclear": "not sure if now"}


def _infections_readback(infections: dict) -> list[str]:
    said = []
    for virus, name in _VIRUS_NAMES.items():
        status = infections.get(virus)
        if status is True:
            said.append(name)
        elif status in _VIRUS_STATUS:
            said.append(f"{name} ({_VIRUS_STATUS[status]})")
    return [f"You have had: {_listed(said)}." if said else "None of these infections."]


# A plain reading said back in the patient's terms (bot.conversation.PLAIN_READINGS).
_PLAIN_READINGS = {
    "yes": "Yes",
    "no": "No",
    "not_applicable": "Does not apply to me",
    "dose_changed": "No, a dose changed recently",
    "new_medicine": "No, I started a medicine recently",
}


def readback_message(trial: Trial, question_id: str, value: object, answers: dict) -> str:
    """Say back in plain words what decides an outcome, for the patient to confirm or fix."""
    lexicon = trial.lexicon
    if question_id == "current_medicines":
        said = _medicines_readback(lexicon, value)  # type: ignore[arg-type]
    elif question_id == "steroid_dose":
        medicines = answers["current_medicines"].value
        said = _medicines_readback(lexicon, medicines, value)
    elif question_id == "immunosuppressant_history":
        said = _history_readback(lexicon, value)  # type: ignore[arg-type]
        current = answers["current_medicines"].value if "current_medicines" in answers else None
        if isinstance(current, dict):  # the medicines are said back together
            dose = answers["steroid_dose"].value if "steroid_dose" in answers else None
            said = [*_medicines_readback(lexicon, current, dose), *said]
    elif question_id == "viral_infections":
        said = _infections_readback(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        question = trial.question(question_id).ask
        said = [f'To "{question}" I have your answer as: {_PLAIN_READINGS[value]}.']
    else:
        said = _vaccines_readback(lexicon, value)  # type: ignore[arg-type]
    return "Let me check I have this right. " + " ".join(said) + " Is that right?"


def readback_reask_message() -> str:
    return 'Sorry, please answer "yes" if this is right, or "no" to fix it.'


def readback_fix_message() -> str:
    return "OK, let's fix it. Please tell me again."
