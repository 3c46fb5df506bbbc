"""Who a rule test names, and the address each name stands for.

The people of mappings.yaml's roles (by address or first name), any other address, and the
words `customer`, `staff`, `ticketflow` and `none`.
"""

from __future__ import annotations

import re
from typing import Literal

from connector.config.loader import Config
from connector.config.problems import suggest

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Which words each place takes: who acts, who writes a comment, who is assigned, who a
# message is to.
Role = Literal["actor", "author", "person", "assignee", "recipient"]
WORDS: dict[Role, tuple[str, ...]] = {
    "actor": ("staff", "ticketflow"),
    "author": ("customer", "staff", "ticketflow"),
    "person": (),
    "assignee": ("none",),
    "recipient": ("customer", "assignee"),
}


class People:
    """The staff of mappings.yaml by address and by the name before the @ (`alice`)."""

    def __init__(self, config: Config) -> None:
        self.staff = list(dict.fromkeys(user for role in config.mappings.roles.values()
                                        for user in role.users))
        short: dict[str, list[str]] = {}
        for user in self.staff:
            short.setdefault(user.partition("@")[0].lower(), []).append(user)
        self.short = short
        first_tier = min(config.rules.tiers, key=lambda tier: tier.tier)
        # Support's first member stands for "staff" on a ticket nobody is assigned.
        self.support = config.mappings.roles[first_tier.role].users[0] \
            if first_tier.role in config.mappings.roles else self.staff[0]

    def check(self, name: str, role: Role) -> str:
        """Why `name` cannot stand here (empty when it can)."""
        words = WORDS[role]
        if name in words or _EMAIL.match(name):
            return ""
        found = self.short.get(name.lower(), [])
        if len(found) == 1:
            return ""
        if len(found) > 1:
            return (f"{name!r} could be {' or '.join(found)}; expected the address of one "
                    "of them")
        choices = [*words, *sorted(self.short)]
        return (f"unknown person {name!r}{suggest(name, choices)}; expected an address, "
                f"{', '.join(choices)}")

    def address(self, name: str) -> str:
        """The address a checked name stands for (a word is returned as it is)."""
        found = self.short.get(name.lower(), [])
        return found[0] if len(found) == 1 and not _EMAIL.match(name) else name
