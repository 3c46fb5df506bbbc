"""`ticketflow sandbox`: serve the local Jira sandbox in the foreground until interrupted."""

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
        sub, common, "sandbox", handler=sandbox, summary="run the local Jira sandbox",
        description="Serve a loopback Jira (cloud or datacenter flavor) until interrupted; "
        "user sandbox@example.test, token sandbox-token.")
    parser.add_argument("--flavor", choices=["cloud", "datacenter"], default="cloud")
    parser.add_argument("--port", type=int, default=8080, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")


def sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the Jira sandbox in the foreground until Ctrl-C or SIGTERM."""
    del settings
    from connector.sandbox import serve

    return serve(flavor=args.flavor, host=args.host, port=args.port)
