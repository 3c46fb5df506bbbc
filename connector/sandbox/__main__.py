"""`python -m connector.sandbox`: run a tracker sandbox without the ticketflow CLI."""

from __future__ import annotations

import argparse

from connector.sandbox.sandbox import TRACKERS, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connector.sandbox",
                                     description="Run a tracker sandbox on loopback.")
    parser.add_argument("--tracker", choices=TRACKERS, default="jira")
    parser.add_argument("--flavor", choices=["cloud", "datacenter"], default=None,
                        help="Jira only (default: cloud)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2990)
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="create N sample tickets at start")
    args = parser.parse_args(argv)
    if args.flavor and args.tracker != "jira":
        parser.error("--flavor is a Jira notion; leave it out for other trackers")
    return serve(tracker=args.tracker, flavor=args.flavor, host=args.host, port=args.port,
                 seed=args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
