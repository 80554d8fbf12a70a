"""A retried or concurrent referral turn never makes two referrals (SQLite and PostgreSQL).

Rasa retries nothing by itself, but a patient who saw "something went wrong" sends the same
answer again, and two Rasa servers may run the same conversation's turn at once when a lock is
lost. Each case goes through `create_referral` in its own transaction, as the action does.
"""

import threading
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from bot.store.db import session_scope
from bot.store.models import Referral
from tests.support.referrals import refer, screened

AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def referrals(engine, conversation_id="conv-1"):
    with session_scope(engine) as session:
        return session.scalars(select(Referral).order_by(Referral.id)).all()


def test_a_retried_referral_turn_keeps_one_referral_with_the_latest_details(engine):
    with session_scope(engine) as session:
        screened(session, at=AT)
    with session_scope(engine) as session:
        first = refer(session, at=AT).reference_code
    with session_scope(engine) as session:
        again = refer(session, at=AT, name="Li Wei (again)").reference_code
    stored = referrals(engine)
    assert len(stored) == 1 and first == again == stored[0].reference_code
    assert stored[0].contact_name == "Li Wei (again)"


def test_a_turn_that_races_an_uncommitted_referral_joins_it(engine):
    """B reads "no referral yet" while A's insert is not committed, then inserts too."""
    with session_scope(engine) as session:
        screened(session, at=AT)
    outcome = {}

    def turn_b():
        try:
            with session_scope(engine) as session:
                outcome["code"] = refer(session, at=AT, name="B").reference_code
        except Exception as error:  # the test reports it below
            outcome["error"] = error

    with session_scope(engine) as session_a:
        code_a = refer(session_a, at=AT, name="A").reference_code  # flushed, not committed
        racer = threading.Thread(target=turn_b)
        racer.start()
        time.sleep(0.5)  # B has read and is waiting on A's row
    racer.join(timeout=30)
    assert "error" not in outcome, outcome
    stored = referrals(engine)
    assert len(stored) == 1 and stored[0].reference_code == code_a == outcome["code"]


def test_concurrent_referral_turns_make_one_referral(engine):
    with session_scope(engine) as session:
        screened(session, at=AT)
    start = threading.Barrier(4)
    codes, errors = [], []

    def turn(n):
        start.wait()
        try:
            with session_scope(engine) as session:
                codes.append(refer(session, at=AT, name=f"turn {n}").reference_code)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=turn, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    stored = referrals(engine)
    assert len(stored) == 1 and set(codes) == {stored[0].reference_code}
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Referral.id))) == 1
