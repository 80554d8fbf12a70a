"""Chat ids bound to a browser and the tokens that name them (bot/webpage/tokens.py)."""

import jwt
import pytest

from bot.webpage import tokens

KEY = "k" * 64


def test_a_chat_id_belongs_to_the_browser_it_was_made_for_only():
    browser, other = tokens.new_browser_key(), tokens.new_browser_key()
    chat_id = tokens.new_chat_id(KEY, browser)
    assert tokens.CHAT_ID.fullmatch(chat_id)
    assert tokens.belongs_to(KEY, browser, chat_id)
    assert not tokens.belongs_to(KEY, other, chat_id)
    assert not tokens.belongs_to("x" * 64, browser, chat_id), "another secret"
    tampered = chat_id[:31] + ("0" if chat_id[31] != "0" else "1") + chat_id[32:]
    assert not tokens.belongs_to(KEY, browser, tampered)
    assert tokens.new_chat_id(KEY, browser) != chat_id


def test_a_token_names_its_chat_until_it_expires():
    token = tokens.issue_token(KEY, "a" * 32, ttl_s=60, now=1_000_000)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "a" * 32 and claims["exp"] == 1_000_060
    assert tokens.chat_id_of(KEY, tokens.issue_token(KEY, "a" * 32)) == "a" * 32
    assert tokens.chat_id_of(KEY, token) is None, "expired long ago"


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not.a.token",
        jwt.encode({"sub": "a" * 32, "exp": 2**33, "iat": 1}, KEY, algorithm="HS256"),
        jwt.encode(
            {"sub": "a" * 32, "exp": 2**33, "iat": 1, "aud": tokens.AUDIENCE, "iss": "x"},
            KEY,
            algorithm="HS256",
        ),
        jwt.encode(
            {"sub": "a" * 32, "aud": tokens.AUDIENCE, "iss": tokens.ISSUER, "iat": 1},
            KEY,
            algorithm="HS256",
        ),
        jwt.encode(
            {"sub": "a" * 32, "exp": 2**33, "iat": 1, "aud": tokens.AUDIENCE, "iss": tokens.ISSUER},
            None,
            algorithm="none",
        ),
        "x" * 5000,
    ],
    ids=["none", "empty", "garbage", "raw key", "wrong issuer", "no expiry", "alg none", "huge"],
)
def test_anything_but_our_own_token_names_no_chat(token):
    assert tokens.chat_id_of(KEY, token) is None


@pytest.mark.parametrize("chat_id", ["short", "has spaces in it ok", "x" * 129, "é" * 20])
def test_a_token_names_only_a_well_formed_id(chat_id):
    with pytest.raises(ValueError):
        tokens.issue_token(KEY, chat_id)


def test_the_secret_must_be_given_and_long(monkeypatch, tmp_path):
    monkeypatch.delenv(tokens.KEY_ENV, raising=False)
    with pytest.raises(tokens.ChatKeyMissing):
        tokens.load_key()
    short = tmp_path / "key"
    short.write_text("abc")
    with pytest.raises(tokens.ChatKeyMissing):
        tokens.load_key(short)
    monkeypatch.setenv(tokens.KEY_ENV, KEY)
    assert tokens.load_key(short) == KEY
