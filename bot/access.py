"""A patient's request about a referral from an earlier conversation, and contact details shown
masked.

Once the page has forgotten a conversation, the reference code ("HN-7K3Q9P") is what a patient
can quote. A code is six letters, so it can be guessed, overheard or read off a screen: it is
honoured only together with the phone number or e-mail address given at the referral, both in
the patient's message ("delete my data HN-7K3Q9P +86 138 0013 8000"). The chat's input guard
limits how often anyone can try.

Whatever the chat says back about stored contact details is masked ("+86 138 **** 8000",
"z***@example.com"): enough to recognise them, not enough to learn them from the screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from bot.contact import DEFAULT_REGION, display_phone, read_email
from bot.store.repository import REFERENCE_ALPHABET, REFERENCE_LENGTH, REFERENCE_PREFIX

REFERENCE_CODE = re.compile(
    rf"(?<![A-Za-z0-9])HN[-\s]?([{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# An address as patients type it beside other words (Chinese included): ASCII letters only.
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


@dataclass(frozen=True)
class CodeRequest:
    """A reference code and the contact given with it (E.164 phone, normalised e-mail)."""

    code: str
    phone: str | None
    email: str | None


def read_code_request(text: str) -> CodeRequest | None:
    """The reference code in a message, with a phone number or e-mail found beside it; None
    when the message quotes no code."""
    found = REFERENCE_CODE.search(text or "")
    if found is None:
        return None
    code = REFERENCE_PREFIX + found.group(1).upper()
    rest = (text[: found.start()] + " " + text[found.end() :])[:500]
    email = None
    for candidate in _EMAIL.findall(rest):
        email = read_email(candidate.rstrip(".。"))
        if email:
            break
    phone = None
    for match in phonenumbers.PhoneNumberMatcher(rest, DEFAULT_REGION):
        if phonenumbers.is_valid_number(match.number):
            phone = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            break
    return CodeRequest(code=code, phone=phone, email=email)


def mask_phone(e164: str) -> str:
    """ "+8613800138000" as "+86 138 **** 8000": the country code, the first three and the last
    four digits of the number (the last two only, for a short one)."""
    try:
        shown = display_phone(e164)
    except phonenumbers.NumberParseException:
        shown = e164
    country, _, national = shown.partition(" ") if shown.startswith("+") else ("", "", shown)
    digits = sum(character.isdigit() for character in national)
    head, tail = (3, 4) if digits > 8 else (0, 2)
    masked, seen = [], 0
    for character in national:
        if character.isdigit():
            seen += 1
            masked.append(character if seen <= head or seen > digits - tail else "*")
        else:
            masked.append(character)
    return f"{country} {''.join(masked)}".strip()


def mask_email(email: str) -> str:
    """ "zhu.chen@example.com" as "z***@example.com"."""
    local, at, domain = email.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"
