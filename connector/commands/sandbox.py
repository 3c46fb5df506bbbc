"""`ticketflow sandbox`: serve a local tracker sandbox (Jira or Zendesk) until interrupted."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.commands.base import add_command

if TYPE_CHECKING:
    from connector.settings import Settings


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "sandbox", handler=sandbox, summary="run a local tracker sandbox",
        description="Serve a loopback Jira (cloud or datacenter flavor) or Zendesk until "
        "interrupted; user sandbox@example.test, token sandbox-token.")
    parser.add_argument("--tracker", choices=["jira", "zendesk"], default="jira")
    parser.add_argument("--flavor", choices=["cloud", "datacenter"], default=None,
                        help="Jira only (default: cloud)")
    parser.add_argument("--port", type=int, default=8080, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="create N sample tickets at start")


def sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Serve a tracker sandbox in the foreground until Ctrl-C or SIGTERM."""
    del settings
    from connector.sandbox import serve

    return serve(tracker=args.tracker, flavor=args.flavor, host=args.host, port=args.port,
                 seed=args.seed)
