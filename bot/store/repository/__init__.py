"""Every read and write of the referral store, as keyword-only, session-first functions.

The chat's actions and the coordinator dashboard call only these. Callers own the transaction
(`bot.store.db.session_scope`): a function here never commits, so a referral and everything it
carries is written together or not at all.

One module per job; this package re-exports their public names, so callers write
`repository.create_referral(...)` whichever module holds it:

- `chat`: the chat's writes (consent, assessment, referral, describe and delete a patient's
  data), the retention purge and erasure by reference code
- `workflow`: the dashboard's queue (filters, list, one referral), status changes, notes, the
  audit trail
- `funnel`: funnel statistics
- `accounts`: coordinator accounts, sign-in, its throttling and TOTP, dashboard sessions
- `views`: plain dicts of rows, for JSON
- `common`: what they share: reference-code constants, the errors, lookups

The outcome, verdict and criterion-kind codes are the engine's and the trial's
(bot.eligibility, bot.trial), re-exported here for the store's callers.
"""

from __future__ import annotations

from bot.eligibility import OUTCOMES, REFERABLE_OUTCOMES, VERDICT_STATUSES
from bot.store.models import Coordinator, Referral, Screening  # as callers' type hints name them
from bot.store.repository.accounts import (
    ABSOLUTE_SESSION_LIFETIME,
    COMMAND_LINE,
    THROTTLE_CAP,
    THROTTLE_FIRST_DELAY,
    THROTTLE_FORGET,
    THROTTLE_FREE_TRIES,
    TOTP_ISSUER,
    TOTP_STEP_SECONDS,
    TOTP_VALID_STEPS,
    UNKNOWN_ACCOUNT,
    LoginResult,
    close_dashboard_session,
    create_coordinator,
    disable_coordinator,
    enable_coordinator,
    end_coordinator_sessions,
    list_coordinators,
    new_totp_secret,
    open_dashboard_session,
    reset_coordinator,
    resume_dashboard_session,
    set_coordinator_language,
    throttled_until,
    totp_code,
    totp_uri,
    unlock_coordinator,
    verify_login,
)
from bot.store.repository.chat import (
    ExpiredRows,
    conversation_outcomes,
    create_referral,
    delete_conversation_data,
    describe_conversation_data,
    erase_referral,
    find_own_referral,
    note_conversation_started,
    purge_expired,
    record_consent,
    record_other_studies_contact,
    save_assessment,
)
from bot.store.repository.common import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    REFERENCE_PREFIX,
    CoordinatorExists,
    InvalidStatusChange,
    NotReferable,
    UnknownConversation,
)
from bot.store.repository.funnel import (
    funnel_counts,
    top_not_eligible_criteria,
    top_not_eligible_reasons,
)
from bot.store.repository.views import referral_as_dict, referral_contact_as_dict, verdict_as_dict
from bot.store.repository.workflow import (
    STATUS_TRANSITIONS,
    ReferralFilters,
    add_note,
    allowed_next_statuses,
    change_status,
    count_referrals_by_status,
    get_referral,
    get_referral_by_code,
    list_audit,
    list_referrals,
    record_audit,
)
from bot.trial import CRITERION_KINDS

__all__ = [
    "ABSOLUTE_SESSION_LIFETIME",
    "COMMAND_LINE",
    "CRITERION_KINDS",
    "OUTCOMES",
    "REFERABLE_OUTCOMES",
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "REFERENCE_PREFIX",
    "STATUS_TRANSITIONS",
    "THROTTLE_CAP",
    "THROTTLE_FIRST_DELAY",
    "THROTTLE_FORGET",
    "THROTTLE_FREE_TRIES",
    "TOTP_ISSUER",
    "TOTP_STEP_SECONDS",
    "TOTP_VALID_STEPS",
    "UNKNOWN_ACCOUNT",
    "VERDICT_STATUSES",
    "Coordinator",
    "CoordinatorExists",
    "ExpiredRows",
    "InvalidStatusChange",
    "LoginResult",
    "NotReferable",
    "Referral",
    "ReferralFilters",
    "Screening",
    "UnknownConversation",
    "add_note",
    "allowed_next_statuses",
    "change_status",
    "close_dashboard_session",
    "conversation_outcomes",
    "count_referrals_by_status",
    "create_coordinator",
    "create_referral",
    "delete_conversation_data",
    "describe_conversation_data",
    "disable_coordinator",
    "enable_coordinator",
    "end_coordinator_sessions",
    "erase_referral",
    "find_own_referral",
    "funnel_counts",
    "get_referral",
    "get_referral_by_code",
    "list_audit",
    "list_coordinators",
    "list_referrals",
    "new_totp_secret",
    "note_conversation_started",
    "open_dashboard_session",
    "purge_expired",
    "record_audit",
    "record_consent",
    "record_other_studies_contact",
    "referral_as_dict",
    "referral_contact_as_dict",
    "reset_coordinator",
    "resume_dashboard_session",
    "save_assessment",
    "set_coordinator_language",
    "throttled_until",
    "top_not_eligible_criteria",
    "top_not_eligible_reasons",
    "totp_code",
    "totp_uri",
    "unlock_coordinator",
    "verdict_as_dict",
    "verify_login",
]
