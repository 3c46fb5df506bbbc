"""The `ticketflow` commands: one module each, every one registering its parser the same way.

A command module defines `register(sub, common)`, which adds its parser with
`connector.commands.base.add_command`, and a handler `(args, settings) -> exit code`. Modules
import the library inside their handlers, so `ticketflow --version` and `--help` stay fast.
"""

from __future__ import annotations

# The order of `ticketflow --help`: the main job first, then running, checking, looking.
COMMANDS = (
    "demo", "run", "once", "validate", "test", "backtest", "install_scheme", "explain",
    "report",
    "outbox", "mail", "state", "init", "schema", "sandbox", "serve_feedback",
)  # fmt: skip
