"""`python -m bot.webpage --host 127.0.0.1 --port 8000 --socket-url http://127.0.0.1:5005`."""

import argparse

from bot.webpage.server import make_server


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the HN2301 patient page.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--socket-url", default="http://127.0.0.1:5005", help="Rasa server, as the browser sees it"
    )
    args = parser.parse_args()
    server = make_server(args.host, args.port, args.socket_url)
    print(f"Patient page on http://{args.host}:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
