"""What the patient reads, composed from the trial definition and the engine's findings.

Kept here (not in the Rasa actions) so the wording can be tested for plain language, and so the
actions stay thin. Every text is short and free of protocol jargon. Each is written in English,
the source language, and marked with `_()`: bot/locale/<language>/LC_MESSAGES/patient.po holds
its translation (bot/i18n.py). The trial's own words (questions, why-texts, explanations, the
study's facts) and the lexicons' display names are translated through the same catalog; so are
domain.yml's responses, which extensions/translating_nlg.py translates and fills with
`study_facts`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from babel.dates import format_date
from babel.lists import format_list

from bot.eligibility import (
    LIKELY_ELIGIBLE,
    NEEDS_REVIEW,
    NOT_ELIGIBLE,
    NOT_ELIGIBLE_NOW,
    PENDING,
    UNKNOWN,
    Assessment,
)
from bot.i18n import CHINESE, ENGLISH, N_, gettext_for
from bot.lexicon import Lexicon
from bot.trial import STUDY_FACTS, Question, Trial

TOO_LONG = 500

# Quick replies as (title, payload): the title is translated when shown (`buttons`).
CONSENT_OPTIONS = ((N_("Yes, I agree"), "yes"), (N_("No"), "no"))
READ_BACK_OPTIONS = ((N_("Yes"), "yes"), (N_("No, let me fix it"), "no"))
OFFER_OPTIONS = ((N_("Yes"), "/affirm"), (N_("No, thanks"), "/deny"))
CONTACT_CONFIRM_OPTIONS = ((N_("Yes, that's right"), "/affirm"), (N_("No, change it"), "/deny"))


def study_facts(trial: Trial, language: str = ENGLISH) -> dict[str, str]:
    """The study's facts from the trial definition, in `language`, by the name a text gives
    each: `{title}`, `{site}`, `{location}`, `{lead_doctor}`, `{sponsor}` (bot.trial.STUDY_FACTS)
    and `{study_team}` (the trial's `study_team`, itself naming some of the others)."""
    _ = gettext_for(language)
    facts = {name: _(getattr(trial, name)) for name in STUDY_FACTS}
    return {**facts, "study_team": _(trial.study_team).format(**facts)}


def joined(sentences: list[str], language: str = ENGLISH) -> str:
    """Sentences as one message: Chinese puts no space after its full stops."""
    return ("" if language == CHINESE else " ").join(s for s in sentences if s)


def question_prompt(
    question: Question, position: int, total: int, *, reask: bool, language: str = ENGLISH
) -> str:
    """The question with visible progress; the re-ask gives an example instead."""
    _ = gettext_for(language)
    if reask:
        return joined([_("Sorry, I didn't quite get that."), _(question.reask)], language)
    return _("Question {position} of about {total}: {ask}").format(
        position=position, total=max(total, position), ask=_(question.ask)
    )


def why_message(question: Question, language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("Why I ask: {why}").format(why=_(question.why))


def consent_question(*, reask: bool, language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    if reask:
        return _('Please answer "yes" if you agree, or "no" if you don\'t.')
    return _(
        "First, may I use your health answers for this pre-screen only? They are kept safe and "
        "used for nothing else. You can ask me to delete them at any time."
    )


def consent_why_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "I need your OK before I keep any health answers. They are used only for this "
        "pre-screen, and you can have them deleted at any time."
    )


def no_consent_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "That's fine. I have not kept anything you told me. If you change your mind, just say "
        "hi again. Take care!"
    )


def going_back_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("OK, let's do that question again.")


def nothing_to_go_back_to_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("There is no earlier answer to go back to yet.")


def correction_unclear_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Sorry, I couldn't tell which answer to change. Say, for example, \"change my age to "
        '45", or "go back" to redo the last question.'
    )


def correction_reask_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("OK, let's fix that answer.")


def corrected_message(trial: Trial, question: Question, language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    about = next(c.about for c in trial.criteria if question.id in c.uses)
    return _("Thanks, I changed your answer about {about}.").format(about=_(about))


def restart_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("OK, let's start again from the first question.")


def too_long_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("That's a long message! Please answer this question in a few words.")


def something_went_wrong_message(language: str = ENGLISH) -> str:
    """Said by the input channel when a turn failed (the action server or a database away)."""
    _ = gettext_for(language)
    return _(
        "Sorry, something went wrong on our side. Your answers are kept. Please send your last "
        "answer again in a minute."
    )


def slow_down_message(language: str = ENGLISH) -> str:
    """Said by the input channel instead of handling a message sent too fast."""
    _ = gettext_for(language)
    return _(
        "You are sending messages very fast. Please wait a moment, then send your answer again."
    )


def recorded_as_unsure_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _('No problem. I\'ll note that as "not sure" and the study team can check it.')


def human_handoff_message(trial: Trial, language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "You can contact {study_team}. If you share your contact details at the end, a "
        'coordinator can call you. We can go on with the questions, or say "stop" to end.'
    ).format(study_team=study_facts(trial, language)["study_team"])


def language_changed_message(language: str = ENGLISH) -> str:
    """Said in the language just chosen, before the open question is asked again in it."""
    _ = gettext_for(language)
    return _("OK, let's go on in English.")


def _format_day(day: date, language: str) -> str:
    if language == CHINESE:
        return format_date(day, format="long", locale="zh_Hans_CN")
    return f"{day.day} {day:%B %Y}"


def _listed(names: list[str], language: str = ENGLISH) -> str:
    """ "A, B and C" (English without the serial comma, as the rest of the wording), "A、B和C"."""
    if language == CHINESE:
        return format_list(names, locale="zh_Hans_CN") if names else ""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def outcome_messages(trial: Trial, assessment: Assessment, language: str = ENGLISH) -> list[str]:
    """The outcome in plain words (README, "How the trial definition maps to the protocol"),
    then the next offer."""
    _ = gettext_for(language)
    share = _("May I share your answers with the study team, so a coordinator can contact you?")
    other_studies = _("Would you like us to tell you about other lupus studies?")
    if assessment.outcome == LIKELY_ELIGIBLE:
        return [
            _(
                "Thank you! From your answers, you may be a good fit for this study. This is not "
                "a final decision. A study coordinator will check your answers, and a study "
                "doctor confirms everything at a visit."
            ),
            share,
        ]
    if assessment.outcome == NEEDS_REVIEW:
        unsure = [
            _(v.about)
            for v in assessment.verdicts
            if v.status in (UNKNOWN, PENDING) and v.kind == "self_reported"
        ]
        return [
            _(
                "Thank you! A coordinator will need to check a few of your answers, about {topics}."
            ).format(topics=_listed(unsure, language)),
            share,
        ]
    reason = _(assessment.main_reason)
    if assessment.outcome == NOT_ELIGIBLE_NOW:
        when = (
            _("You may be able to check again after {day}.").format(
                day=_format_day(assessment.recheck_date, language)
            )
            if assessment.recheck_date
            else _("You may be able to check again once that has changed.")
        )
        return [
            joined(
                [_("Thank you. This study is not right for you just now."), reason, when], language
            ),
            other_studies,
        ]
    if assessment.outcome == NOT_ELIGIBLE:
        return [
            joined(
                [
                    _("Thank you for your answers. I'm sorry, this study is not a fit for you."),
                    reason,
                ],
                language,
            ),
            _("You can find other lupus studies here: {url}").format(url=trial.other_studies_url),
            other_studies,
        ]
    raise ValueError(f"unknown outcome {assessment.outcome!r}")


def contact_summary(
    name: str, phone: str | None, email: str | None, when: str, language: str = ENGLISH
) -> str:
    _ = gettext_for(language)
    return _(
        "Here is what I have. Name: {name}. Phone: {phone}. E-mail: {email}. Best time: {when}. "
        "Is this right?"
    ).format(name=name, phone=phone or _("none"), email=email or _("none"), when=when)


def referral_done_message(reference_code: str, language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Thank you! I have passed your answers to the study team. Your reference code is "
        "{code}. Please keep it, in case you contact the team. A coordinator will get in touch "
        "with you."
    ).format(code=reference_code)


def deleted_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Done. I have deleted your answers, your contact details and this chat. If you write "
        "again, we start fresh."
    )


def stopped_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "OK, I have stopped and deleted what you told me. Thank you for your time. You can "
        "come back at any time."
    )


def no_referral_message(trial: Trial, language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "That's fine. I have not passed on anything about you. If you change your mind, you can "
        "contact {study_team}. Take care!"
    ).format(study_team=study_facts(trial, language)["study_team"])


def no_other_studies_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("That's fine. I have not kept any way to contact you. Take care!")


def other_studies_saved_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Thank you! We will use this only to tell you about other lupus studies. Say "
        '"delete my data" at any time to remove it.'
    )


def bad_phone_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Sorry, that doesn't look like a phone number. Please type it with the country code, "
        'like +86 138 0013 8000, or say "none".'
    )


def bad_email_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Sorry, that doesn't look like an e-mail address. Please type it like name@example.com, "
        'or say "none".'
    )


def need_a_contact_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("We need at least one way to reach you: a phone number or an e-mail address.")


def bad_name_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _('Sorry, I didn\'t get your name. Please type the name we should use, like "Li Na".')


def bad_contact_time_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _('Please tell me in a few words, like "weekday mornings" or "after 6 pm".')


def bad_news_contact_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Sorry, I couldn't read that. Please type an e-mail address, like name@example.com, or a "
        'phone number with the country code. Or say "none" if you changed your mind.'
    )


def contact_fix_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("OK, let's fix that.")


def referral_store_down_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Sorry, I can't save your details right now. Please try again in a few minutes: just "
        'say "yes" when you are ready.'
    )


def nothing_to_refer_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        'Sorry, I couldn\'t find your finished answers to pass on. Say "start over" to answer '
        "the questions again."
    )


def store_down_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("Sorry, I can't save this right now. Please try again in a few minutes.")


def stored_data_message(
    trial: Trial,
    in_chat: dict[str, str],
    stored: dict,
    language: str = ENGLISH,
    *,
    by_code: bool = False,
) -> str:
    """What is kept for this conversation (or, `by_code`, the referral a patient quoted), for
    "what do you know about me?": the store's rows (consent, answers, contact) and the answers
    held in the chat; contact details masked."""
    from bot.access import mask_email, mask_phone

    _ = gettext_for(language)
    parts = []
    screening = stored.get("screening")
    if screening:
        consented = datetime.fromisoformat(screening["consented_at"]).date()
        parts.append(
            _("I keep your agreement to this pre-screen, given on {day}.").format(
                day=_format_day(consented, language)
            )
        )
    about = {criterion.id: criterion.about for criterion in trial.criteria}
    kept = [
        (answer["criterion"], answer["words"]) for answer in stored.get("answers") or []
        if answer.get("words")
    ]  # fmt: skip
    if kept:
        listed = "; ".join(f"{_(about.get(cid, cid))}: {words}" for cid, words in kept)
        parts.append(_("Your answers, kept for the study team: {answers}.").format(answers=listed))
    kept_words = {words for _cid, words in kept}
    in_chat = {qid: text for qid, text in in_chat.items() if text not in kept_words}
    if in_chat:
        answered = "; ".join(
            f"{_(trial.question(qid).ask).split('?')[0].split('？')[0]}: {text}"
            for qid, text in in_chat.items()
        )
        parts.append(_("Your answers in this chat: {answers}.").format(answers=answered))
    referral = stored.get("referral")
    if referral:
        parts.append(
            _(
                "Your contact details, shared with the study team: {name}, {phone}, {email}, "
                "best time {when}."
            ).format(
                name=referral.get("name"),
                phone=mask_phone(referral["phone"]) if referral.get("phone") else _("no phone"),
                email=mask_email(referral["email"]) if referral.get("email") else _("no e-mail"),
                when=referral.get("preferred_time"),
            )
        )
        parts.append(
            _("Your reference code is {code}.").format(code=referral.get("reference_code"))
        )
    for contact in stored.get("other_studies_contacts", []):
        shown = mask_email(contact["email"]) if contact.get("email") else None
        parts.append(
            _("Your contact for news of other studies: {contact}.").format(
                contact=shown or mask_phone(contact.get("phone") or "")
            )
        )
    if not parts:
        nothing = _("I have not stored anything about you.")
        return joined([nothing, code_hint_message(language)], language)
    if by_code:
        parts.append(
            _(
                'To erase it all, send "delete my data" with your reference code and your phone '
                "number or e-mail."
            )
        )
    else:
        parts.append(_('Say "delete my data" to erase it all.'))
    return joined(parts, language)


def code_hint_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Did you send your answers in an earlier chat? Then type your question with your "
        "reference code and the phone number or e-mail you gave us. For example: {example}"
    ).format(example=_("what do you know about me") + " HN-7K3Q9P +86 138 0013 8000")


def code_not_matched_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Sorry, I found nothing for that reference code with that phone number or e-mail. "
        "Please check both and send them again in one message. Nothing was changed."
    )


def code_chat_not_kept_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("To keep your data private, I do not keep this chat.")


def deleted_by_code_message(reference_code: str, language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _(
        "Done. I have deleted what we kept under {code}: your answers, your contact details "
        "and that chat. I do not keep this chat either."
    ).format(code=reference_code)


def _medicine_names(lexicon: Lexicon, ids: list[str], language: str) -> str:
    _ = gettext_for(language)
    return _listed([_(lexicon.medicine(m).name) for m in ids], language)


def _dose_words(lexicon: Lexicon, dose: object, steroid: str | None, language: str) -> str | None:
    """ "Prednisone 10 mg a day" for a read dose; None when there is nothing to say."""
    if not isinstance(dose, dict) or "mg_per_day" not in dose:
        return None
    _ = gettext_for(language)
    parts = dose.get("parts")
    if isinstance(parts, list) and parts:
        return _listed(
            [_dose_words(lexicon, part, steroid, language) or "" for part in parts], language
        )
    medicine = dose.get("medicine") or steroid
    name = _(lexicon.medicine(medicine).name) if medicine else _("your steroid")
    return _("{medicine} {mg} mg a day").format(medicine=name, mg=f"{float(dose['mg_per_day']):g}")


def _medicines_readback(
    lexicon: Lexicon, medicines: dict, dose: object = None, language: str = ENGLISH
) -> list[str]:
    _ = gettext_for(language)
    current = list(medicines.get("medicines") or [])
    said = []
    steroids = [m for m in current if lexicon.medicine(m).drug_class == "corticosteroid"]
    dose_words = _dose_words(lexicon, dose, steroids[0] if steroids else None, language)
    if dose_words:
        others = [m for m in current if m not in steroids]
        now = [*(_(lexicon.medicine(m).name) for m in others), dose_words]
        said.append(_("Now: {medicines}.").format(medicines=_listed(now, language)))
    elif current:
        said.append(
            _("Now: {medicines}.").format(medicines=_medicine_names(lexicon, current, language))
        )
    else:
        said.append(_("Now: no lupus medicines."))
    if medicines.get("incomplete"):
        said.append(_("And others you can't name now."))
    if medicines.get("past"):
        said.append(
            _("In the past, not now: {medicines}.").format(
                medicines=_medicine_names(lexicon, medicines["past"], language)
            )
        )
    if medicines.get("planned"):
        said.append(
            _("Planned, not started: {medicines}.").format(
                medicines=_medicine_names(lexicon, medicines["planned"], language)
            )
        )
    return said


def _history_readback(lexicon: Lexicon, history: dict, language: str) -> list[str]:
    _ = gettext_for(language)
    taken = [*(history.get("medicines") or []), *(history.get("past") or [])]
    said = [
        _("Ever taken: {medicines}.").format(medicines=_medicine_names(lexicon, taken, language))
        if taken
        else _("Ever taken: none.")
    ]
    if history.get("incomplete"):
        said.append(_("And others you can't name now."))
    if history.get("planned"):
        said.append(
            _("Planned, not started: {medicines}.").format(
                medicines=_medicine_names(lexicon, history["planned"], language)
            )
        )
    return said


def _vaccines_readback(lexicon: Lexicon, vaccines: dict, language: str) -> list[str]:
    _ = gettext_for(language)
    names = [_(lexicon.vaccine(v).name) for v in vaccines.get("products") or []]
    if vaccines.get("generic_covid"):
        names.append(_("a COVID-19 vaccine (type not known)"))
    if not names:
        return [_("Vaccines: none.")]
    return [_("Vaccines: {vaccines}.").format(vaccines=_listed(names, language))]


def _virus_names(language: str) -> dict[str, str]:
    _ = gettext_for(language)
    return {
        "hiv": _("HIV"),
        "syphilis": _("syphilis"),
        "hepatitis_b": _("hepatitis B"),
        "hepatitis_c": _("hepatitis C"),
        "cmv": _("CMV"),
    }


def _virus_status(language: str) -> dict[str, str]:
    _ = gettext_for(language)
    return {"active": _("now"), "past": _("in the past"), "unclear": _("not sure if now")}


def _infections_readback(infections: dict, language: str) -> list[str]:
    _ = gettext_for(language)
    statuses = _virus_status(language)
    said = []
    for virus, name in _virus_names(language).items():
        status = infections.get(virus)
        if status is True:
            said.append(name)
        elif status in statuses:
            said.append(_("{infection} ({status})").format(infection=name, status=statuses[status]))
    if not said:
        return [_("None of these infections.")]
    return [_("You have had: {infections}.").format(infections=_listed(said, language))]


def plain_reading_words(language: str = ENGLISH) -> dict[str, str]:
    """A plain reading (what the yes/no-like parsers return) said back in the patient's terms;
    its keys are the readings that can be said back in a word or two."""
    _ = gettext_for(language)
    return {
        "yes": _("Yes"),
        "no": _("No"),
        "not_applicable": _("Does not apply to me"),
        "dose_changed": _("No, a dose changed recently"),
        "new_medicine": _("No, I started a medicine recently"),
    }


def readback_message(
    trial: Trial, question_id: str, value: object, answers: dict, language: str = ENGLISH
) -> str:
    """Say back in plain words what decides an outcome, for the patient to confirm or fix."""
    _ = gettext_for(language)
    lexicon = trial.lexicon
    if question_id == "current_medicines":
        said = _medicines_readback(lexicon, value, language=language)  # type: ignore[arg-type]
    elif question_id == "steroid_dose":
        medicines = answers["current_medicines"].value
        said = _medicines_readback(lexicon, medicines, value, language)
    elif question_id == "immunosuppressant_history":
        said = _history_readback(lexicon, value, language)  # type: ignore[arg-type]
        current = answers["current_medicines"].value if "current_medicines" in answers else None
        if isinstance(current, dict):  # the medicines are said back together
            dose = answers["steroid_dose"].value if "steroid_dose" in answers else None
            said = [*_medicines_readback(lexicon, current, dose, language), *said]
    elif question_id == "viral_infections":
        said = _infections_readback(value, language)  # type: ignore[arg-type]
    elif isinstance(value, str):
        said = [
            _('To "{question}" I have your answer as: {answer}.').format(
                question=_(trial.question(question_id).ask),
                answer=plain_reading_words(language)[value],
            )
        ]
    else:
        said = _vaccines_readback(lexicon, value, language)  # type: ignore[arg-type]
    return joined([_("Let me check I have this right."), *said, _("Is that right?")], language)


def readback_reask_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _('Sorry, please answer "yes" if this is right, or "no" to fix it.')


def readback_fix_message(language: str = ENGLISH) -> str:
    _ = gettext_for(language)
    return _("OK, let's fix it. Please tell me again.")


def buttons(options: Iterable[tuple[str, str]], language: str = ENGLISH) -> list[dict[str, str]]:
    """Quick replies: each (English title, payload) with its title in the patient's language."""
    _ = gettext_for(language)
    return [{"title": _(title), "payload": payload} for title, payload in options]
