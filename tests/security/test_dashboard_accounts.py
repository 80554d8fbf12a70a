"""`python -m bot` account commands (issue 11, finding 5: "no way to disable, unlock or reset an
account"): create with TOTP enrolment, disable (its sessions end), enable, unlock, reset the
password and/or the TOTP secret. Run in-process against the dashboard's own store."""

import io
import re

import pyotp
import pytest
from sqlalchemy import select

from bot import cli
from bot.store import repository
from bot.store.models import Coordinator, DashboardSession
from tests.bot.dashboard.dashboard_fixtures import app, client, clock, signed_in, store
from tests.bot.dashboard.dashboard_helpers import PASSWORD, csrf_token, sign_in, totp_now

__all__ = ["app", "client", "clock", "signed_in", "store"]

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def bot(app, monkeypatch, capsys):
    """Run `python -m bot ARGS` on the dashboard's store; (exit code, stdout, stderr)."""
    monkeypatch.setenv("HN2301_DATABASE_URL", app.config["DATABASE_URL"])

    def run(*arguments, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = cli.main(list(arguments))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def printed_secret(output: str) -> str:
    return re.search(r"secret \(to type in by hand\): ([A-Z2-7]+)", output).group(1)


def sessions_of(store, username="amy"):
    with store() as session:
        return len(
            session.scalars(
                select(DashboardSession).join(Coordinator).where(Coordinator.username == username)
            ).all()
        )


def test_create_coordinator_prints_the_otpauth_uri_the_secret_and_a_qr_code(bot, store, app):
    code, out, err = bot("create-coordinator", "bo", "--password-stdin", "--qr", stdin=PASSWORD)
    assert code == 0, err
    secret = printed_secret(out)
    uri = re.search(r"otpauth://\S+", out).group(0)
    assert pyotp.parse_uri(uri).secret == secret
    assert "issuer=HN2301" in uri and "bo" in uri
    assert "█" in out or "▀" in out or "▄" in out  # the terminal QR code
    with store() as session:
        stored = session.scalar(select(Coordinator.totp_secret).where(Coordinator.username == "bo"))
    assert stored == secret
    assert sign_in(app.test_client(), "bo").status_code == 302


def test_disabling_ends_open_sessions_and_refuses_sign_in_until_enabled(bot, signed_in, store):
    assert signed_in.get("/").status_code == 200
    code, out, _ = bot("disable-coordinator", "amy")
    assert code == 0 and "disabled" in out
    assert sessions_of(store) == 0
    ended = signed_in.get("/")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")
    assert signed_in.get("/api/referrals").status_code == 401
    assert sign_in(signed_in).status_code == 401  # right password and code, disabled account
    assert bot("enable-coordinator", "amy")[0] == 0
    assert sign_in(signed_in).status_code == 302


def test_a_session_of_a_disabled_account_ends_even_if_its_row_survived(signed_in, store, clock):
    """The guard itself checks the account, not only the command deleting the sessions."""
    with store() as session:
        amy = session.scalar(select(Coordinator).where(Coordinator.username == "amy"))
        amy.disabled_at = clock()
    assert signed_in.get("/").status_code == 302


def test_unlock_clears_the_accounts_throttle(bot, app):
    for n in range(repository.THROTTLE_FREE_TRIES["acct"]):
        browser = app.test_client()
        browser.post(
            "/login",
            data={"username": "amy", "password": "wrong", "totp": "000000",
                  "csrf_token": csrf_token(browser)},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"},
        )  # fmt: skip
    assert sign_in(app.test_client()).status_code == 401
    code, out, _ = bot("unlock-coordinator", "amy")
    assert code == 0 and "unlocked" in out
    assert sign_in(app.test_client()).status_code == 302


def test_reset_password_replaces_it_and_ends_sessions(bot, signed_in, store, app):
    code, out, err = bot(
        "reset-coordinator", "amy", "--password", "--password-stdin", stdin=NEW_PASSWORD + "\n"
    )
    assert code == 0, err
    assert "otpauth" not in out  # the TOTP secret is unchanged and not shown again
    assert sessions_of(store) == 0
    assert signed_in.get("/").status_code == 302
    assert sign_in(app.test_client()).status_code == 401
    assert sign_in(app.test_client(), password=NEW_PASSWORD).status_code == 302


def test_reset_totp_enrols_a_new_secret_and_the_old_one_stops_working(bot, app, store, clock):
    with store() as session:
        old_secret = session.scalar(select(Coordinator.totp_secret))
    code, out, err = bot("reset-coordinator", "amy", "--totp")
    assert code == 0, err
    new_secret = printed_secret(out)
    assert new_secret != old_secret
    old_code = repository.totp_code(old_secret, clock())
    assert old_code != repository.totp_code(new_secret, clock())
    assert sign_in(app.test_client(), totp=old_code).status_code == 401
    assert sign_in(app.test_client(), totp=totp_now(app)).status_code == 302


def test_the_commands_refuse_unknown_accounts_and_empty_resets(bot):
    for command in ("disable-coordinator", "enable-coordinator", "unlock-coordinator"):
        code, _, err = bot(command, "nobody")
        assert code == 1 and "no coordinator" in err
    assert bot("reset-coordinator", "nobody", "--totp")[0] == 1
    code, _, err = bot("reset-coordinator", "amy")
    assert code == 1 and "--password" in err
    assert bot("reset-coordinator", "amy", "--password", "--password-stdin", stdin="short")[0] == 1


def test_account_commands_are_audited_and_listed(bot, store):
    bot("disable-coordinator", "amy")
    bot("enable-coordinator", "amy")
    bot("unlock-coordinator", "amy")
    bot("reset-coordinator", "amy", "--totp")
    with store() as session:
        events = [(e.actor, e.action) for e in repository.list_audit(session=session)]
    assert events[:4] == [
        ("(command line)", "coordinator_reset"),
        ("(command line)", "coordinator_unlocked"),
        ("(command line)", "coordinator_enabled"),
        ("(command line)", "coordinator_disabled"),
    ]
    code, out, _ = bot("coordinators")
    assert code == 0 and re.search(r"^amy\tyes\tactive\t", out, re.M)
