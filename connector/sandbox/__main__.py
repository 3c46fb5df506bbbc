"""`python -m connector.sandbox`: run the Jira sandbox without the ticketflow CLI."""

from __future__ import annotations

import argparse

from connector.sandbox.sandbox import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connector.sandbox",
                                     description="Run the Jira sandbox on loopback.")
    parser.add_argument("--flavor", choices=["cloud", "datacenter"], default="cloud")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2990)
    args = parser.parse_args(argv)
    return serve(flavor=args.flavor, host=args.host, port=args.port)


if __name__ == "__main__":
    raise SystemExit(main())
