"""Reading contact details typed by patients: names, phone numbers, e-mail addresses, times.

Phone numbers are read with `phonenumbers` (Google's libphonenumber), e-mail addresses with
`email-validator` without any network look-up. Numbers without a country code are read as
Chinese numbers, since the study site is in Hefei.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "CN"
MAX_NAME = 80
MAX_TIME = 120
_NONE_ANSWERS = {
    "none",
    "no",
    "nope",
    "skip",
    "n/a",
    "na",
    "no phone",
    "no email",
    "no e-mail",
    "i don't have one",
    "dont have one",
    "没有",
    "无",
}


def says_none(text: str) -> bool:
    """True when the patient declines to give this detail ("none", "skip", "no phone")."""
    return text.strip().lower().strip(".!") in _NONE_ANSWERS


def read_phone(text: str) -> str | None:
    """The phone number in E.164 form ("+8613800138000"), or None if it is not a valid number."""
    candidate = text.strip()
    if len(candidate) > 40:
        return None
    try:
        number = phonenumbers.parse(candidate, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored number as people write it: "+86 138 0013 8000"."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def read_email(text: str) -> str | None:
    """The normalised e-mail address, or None if it is not a valid address (no DNS look-up)."""
    candidate = text.strip()
    if len(candidate) > 254:
        return None
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def read_name(text: str) -> str | None:
    """A name as the patient wants to be called: letters present, no address or long number."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME or not re.search(r"[^\W\d_]", name):
        return None
    if "@" in name or "://" in name or re.search(r"\d{3,}", name):
        return None
    return name


def read_contact_time(text: str) -> str | None:
    """A preferred contact time in the patient's own words, kept short."""
    when = " ".join(text.split())
    return when if 0 < len(when) <= MAX_TIME else None


# Words that make a message a time of day or week, whatever the NLU thinks of it ("工作日上午"
# shares a character with 人工, "a person").
_TIME_WORDS = re.compile(
    r"\b(?:mornings?|afternoons?|evenings?|nights?|noon|weekdays?|weekends?|anytime|any time"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}\s*(?:am|pm|h)|o'?clock)\b"
    r"|上午|下午|中午|晚上|早上|傍晚|工作日|周末|周[一二三四五六日天]|星期|随时|\d{1,2}\s*点",
    re.IGNORECASE,
)


def names_a_time(text: str) -> bool:
    """The message says when to call ("weekday mornings", "工作日上午", "after 6 pm")."""
    return bool(_TIME_WORDS.search(text))


def read_phone_or_email(text: str) -> tuple[str | None, str | None]:
    """(phone, email) from one answer; both None when neither can be read."""
    email = read_email(text) if "@" in text else None
    return (None, email) if email else (read_phone(text), None)
