"""`python -m actions.server -p 5055`: rasa_sdk's action server that only Rasa can call.

rasa_sdk's own server answers anyone who can reach its port: a forged "describe my data" call
returned a patient's contact details, a forged "delete my data" removed a referral (issue 11).
This is the same server (rasa_sdk.endpoint.create_app with this package's actions) with a
request check in front: every call but `GET /health` must carry the shared token, as Rasa sends
it (`token` in endpoints.yml's action_endpoint: the query parameter `?token=`), or as
`Authorization: Bearer <token>`. A call without it gets 401 and a warning in the log (the path
and the caller's address, never the body). The token comes from HN2301_ACTIONS_TOKEN or
`--token-file` (scripts/stack.py makes one per stack); without one the server does not start.

Also unlike rasa_sdk's own: no CORS (no browser has business here), and a failed action is
logged by its exception's type and stack only and answered without echoing the request (rasa_sdk
logs the exception's message and returns the whole tracker in its 500 answer).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys
import traceback
from pathlib import Path

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request

from bot.settings import load_settings, variable

logger = logging.getLogger("actions.server")
TOKEN_ENV = variable("actions_token")
MIN_TOKEN_CHARS = 32
OPEN_PATHS = frozenset({"/health"})
KNOWN_PATHS = frozenset({"/webhook", "/actions", "/health"})


def load_token(token_file: str | Path | None = None) -> str:
    """The shared token: HN2301_ACTIONS_TOKEN, else the file's contents."""
    token = load_settings().actions_token
    if not token and token_file:
        token = Path(token_file).read_text().strip()
    if len(token) < MIN_TOKEN_CHARS:
        raise ValueError(
            f"the action server's token ({TOKEN_ENV} or --token-file) is missing or under"
            f" {MIN_TOKEN_CHARS} characters; scripts/stack.py makes one"
        )
    return token


def given_token(request: Request) -> str | None:
    """The token a call carries: Rasa's `?token=`, or a bearer token."""
    token = request.args.get("token")
    if token:
        return token
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _describe(error: BaseException) -> str:
    """An exception's type and where it was raised, without its message (it may quote a
    patient's answer)."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    where = ", ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
    return f"{type(error).__module__}.{type(error).__qualname__} at {where}"


def protect(app: Sanic, token: str) -> Sanic:
    """Refuse every call without the token (but /health); errors answered without the request."""
    expected = token.encode()

    @app.middleware("request")
    async def require_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        given = given_token(request)
        if given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), expected):
            return None
        path = request.path if request.path in KNOWN_PATHS else "another path"
        logger.warning(
            "Refused a %s call to %s from %s: %s",
            request.method,
            path,
            request.ip,
            "no token" if given is None else "a wrong token",
        )
        return response.json({"error": "unauthorized"}, status=401)

    async def failed(request: Request, exception: Exception):
        status = getattr(exception, "status_code", 500)
        if isinstance(status, int) and 400 <= status < 500:
            return response.json({"error": type(exception).__name__}, status=status)
        logger.error("An action call failed: %s", _describe(exception))
        return response.json({"error": "the action failed"}, status=500)

    app.error_handler.add(Exception, failed)
    return app


def build_app(token: str, actions: str = "actions") -> Sanic:
    """rasa_sdk's app with this package's actions, behind the token check."""
    app = create_app(actions, cors_origins="")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return protect(app, token)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-p", "--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions", help="the actions' package")
    parser.add_argument("--token-file", help="the token, if not in HN2301_ACTIONS_TOKEN")
    utils.add_logging_level_option_arguments(parser)
    args = parser.parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    logging.getLogger(APPLICATION_ROOT_LOGGER_NAME).setLevel(args.loglevel)
    logger.setLevel(args.loglevel)
    utils.update_sanic_log_level()
    try:
        token = load_token(args.token_file)
    except (ValueError, OSError) as error:
        print(f"Cannot start the action server: {error}", file=sys.stderr)
        return 2
    app = build_app(token, args.actions)
    host = load_settings().actions_host
    logger.info("Action server on http://%s:%s (calls need the token)", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
